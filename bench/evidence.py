"""Evidence benchmark: do the sentences shown first hold the answer, and how fast do they come?

    .venv/bin/python bench/evidence.py [--per-half 150] [--sets jsquad xquad samples]

For each SQuAD-format dev set the passages are ingested through the real pipeline (cached under
data/eval/<name>/, shared with `assistant eval`), and questions are split by article into a tuning half (the first
articles) and a report half (the rest): thresholds are chosen on the first, figures are read on the second. The
model is not called (`generation.languages = []`), so what is measured is the evidence alone, against the anchor of
the same run: "top passage", the first 3 sentences of the best-ranked passage (what a plain retriever would show).
Reports evidence contains-answer, the share labelled "From the manuals" and its precision, and first-evidence
latency p50/p95.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import summary  # noqa: E402

DEV = ROOT.parent / "shared" / "data" / "dev"
SETS = {"jsquad": DEV / "jsquad" / "jsquad-valid-v1.3.json", "xquad": DEV / "xquad-en" / "xquad.en.json"}


def halves(questions: list, per_half: int) -> tuple[list, list]:
    """First half of the file (its articles) to tune on, second half to report on; n spread through each."""
    from assistant.analytics.evaluation import spread

    mid = len(questions) // 2
    return spread(questions[:mid], per_half), spread(questions[mid:], per_half)


def load_parts(name: str, base, embedder, per_half: int, tune_only: bool = False,  # noqa: ANN001
               keep=lambda q: True):  # noqa: ANN001, ANN201
    """(settings, {part: questions}) of one set, its knowledge base ingested; None when its file is absent.
    `keep` filters the sample questions (the sample set has no halves: nothing is tuned on it)."""
    from assistant.analytics import evaluation as ev
    from ingest.pipeline import Ingestor

    if name == "samples":
        settings = ev.settings_without_usage_log(base)
        settings.paths.data_dir = ROOT / "data" / "eval" / "samples-kb"
        Ingestor(settings, lambda: embedder).run([ROOT / "samples" / "manuals"], prune=True)
        qs = [q for q in ev.load_questions(ROOT / "samples" / "questions.jsonl") if keep(q)]
        return settings, {"all (no tuning)": qs}
    if not SETS[name].is_file():
        print(f"{name}: {SETS[name]} not found, skipped")
        return None
    settings = ev.settings_for_squad(base, ev.eval_name(SETS[name]))
    qs = ev.load_questions(SETS[name], settings.paths.data_dir / "corpus")
    Ingestor(settings, lambda: embedder).run([settings.paths.data_dir / "corpus"], prune=True)
    tune, report = halves(qs, per_half)
    return settings, {"tune (first half)": tune} | ({} if tune_only else {"report (second half)": report})


def run_set(name: str, questions: list, service, principal) -> dict[str, float]:  # noqa: ANN001
    from assistant.analytics import metrics as m
    from assistant.core.sentences import sentence_spans, unwrap

    contains, anchor, confident, confident_right, firsts = [], [], [], [], []
    for q in questions:
        if q.unanswerable or not q.answers:
            continue
        t0 = time.perf_counter()
        stream = service.ask(q.question, principal=principal)
        answer = stream.result()
        firsts.append(answer.timings.get("first_evidence_s", time.perf_counter() - t0))
        evidence = " ".join(unwrap(e.text) for e in answer.evidence)
        hit = m.contains_answer(evidence, q.answers) if answer.evidence else 0.0
        contains.append(hit)
        top = answer.sources[0].passage if answer.sources else ""
        first3 = " ".join(top[a:b] for a, b in sentence_spans(top)[:3])
        anchor.append(m.contains_answer(first3, q.answers) if top else 0.0)
        confident.append(1.0 if answer.evidence_confident else 0.0)
        if answer.evidence_confident:
            confident_right.append(hit)
    return {
        "questions": len(contains),
        "evidence contains answer": statistics.mean(contains) if contains else 0.0,
        "top passage, first 3 sentences": statistics.mean(anchor) if anchor else 0.0,
        "labelled 'from the manuals'": statistics.mean(confident) if confident else 0.0,
        "  of which hold the answer": statistics.mean(confident_right) if confident_right else 0.0,
        "first evidence p50 s": statistics.median(firsts) if firsts else 0.0,
        "first evidence p95 s": sorted(firsts)[int(0.95 * (len(firsts) - 1))] if firsts else 0.0,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-half", type=int, default=150)
    ap.add_argument("--sets", nargs="+", default=["jsquad", "xquad", "samples"])
    ap.add_argument("--tune-only", action="store_true", help="score the tuning halves only")
    ap.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE", help="override an evidence.py constant")
    args = ap.parse_args()
    from assistant.answering import evidence

    for item in args.set:
        key, value = item.split("=")
        setattr(evidence, key, int(value) if value.isdigit() else float(value))

    from assistant.core.config import load_settings
    from assistant.core.identity import Principal
    from assistant.embeddings import load_embedder
    from assistant.services import Assistant

    base = load_settings(ROOT / "config.toml", environ={})
    base.generation.languages = []  # evidence only: the model is not called
    embedder = load_embedder(base.embedding)
    rows = []
    for name in args.sets:
        loaded = load_parts(name, base, embedder, args.per_half, args.tune_only)
        if loaded is None:
            continue
        settings, parts = loaded
        service = Assistant(settings, embedder=embedder)
        for part, questions in parts.items():
            row = {"set": name, "part": part} | run_set(name, questions, service, Principal.everything())
            rows.append(row)
            print(row, flush=True)
        service.close()
    keys = list(rows[0]) if rows else []
    table = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for r in rows:
        table.append("| " + " | ".join(f"{r[k]:.3f}" if isinstance(r[k], float) else str(r[k]) for k in keys) + " |")
    print("\n".join(table))
    summary.record(
        **{f"{r['set']} {r['part']}: evidence contains answer": round(r["evidence contains answer"], 3) for r in rows}
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
