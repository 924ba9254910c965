"""Short answers through the real pipeline: base model vs the adapter, precision of what is shown, coverage,
abstention with the model's "none", evidence before/after, and time to the short answer.

    .venv/bin/python bench/short_answers.py [--per-half 100] [--adapter models/short-answers-lora.gguf]
                                            [--sets jsquad xquad squad2 samples]

Each SQuAD-format set is ingested as in bench/evidence.py (data/eval/<name>/) and its questions are split as
`assistant tune` splits them (assistant/tuning/data.py): the tune half is the calibration paragraphs of the first
half of the articles, which training never sees; the report half is the second half of the articles. The confidence
needed to show a span is chosen on the tune halves, one per language as the product has it (JSQuAD for Japanese,
XQuAD for English: the lowest at which 90% of the tune half's shown spans are right) and applied unchanged to the
report halves, SQuAD 2.0 (Normans tunes, Rhine reports; its unanswerable questions measure abstention) and the
sample manuals. The service runs with the shipped config except `qa.short_answer_min_confidence = 0` (every
verbatim span is recorded with its confidence; the threshold is applied afterwards) and `generation.languages = []`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import summary  # noqa: E402
from bench.evidence import DEV, SETS, load_parts  # noqa: E402

RIGHT_F1 = 0.5
SQUAD2 = DEV / "squad2" / "squad2-dev-subset.json"
LANGUAGE_OF = {"jsquad": "ja", "xquad": "en"}  # the sets whose tune halves choose each language's threshold


def run(service, questions, principal) -> list[dict]:  # noqa: ANN001
    from assistant.analytics import metrics as m
    from assistant.core.sentences import unwrap
    from assistant.tuning.report import is_right

    out = []
    for q in questions:
        answer = service.ask(q.question, principal=principal).result()
        check = answer.short_answer_check or {}
        shown = answer.short_answer
        evidence = [unwrap(e.text) for e in answer.evidence]
        before = evidence[1:] if check.get("added_evidence") else evidence
        golds = q.answers
        out.append({
            "id": q.id, "question": q.question, "answers": golds, "unanswerable": q.unanswerable or not golds,
            "label": answer.label, "outcome": answer.outcome,
            "span": shown.text if shown else "", "confidence": shown.confidence if shown else 0.0,
            "model_text": check.get("model_text", ""), "said_none": bool(check.get("said_none")),
            "f1": m.f1(shown.text, golds) if shown and is_right(shown.text, golds) else 0.0,  # numbers must match
            "em": m.exact_match(shown.text, golds) if shown and golds else 0.0,
            "evidence_before": m.contains_answer(" ".join(before), golds) if golds and before else 0.0,
            "evidence_after": m.contains_answer(" ".join(evidence), golds) if golds and evidence else 0.0,
            "added_evidence": bool(check.get("added_evidence")),
            "in_top_evidence": bool(check.get("in_top_evidence")), "answer_type": answer.answer_type,
            "raw_confidence": check.get("confidence"), "rejected": check.get("rejected", ""),
            "short_answer_s": answer.timings.get("short_answer_s"),
            "first_evidence_s": answer.timings.get("first_evidence_s"),
        })
    return out


def threshold_for(rows: list[dict], target: float = 0.9, least: int = 10) -> float:
    shown = sorted((r for r in rows if r["span"] and not r["unanswerable"]), key=lambda r: -r["confidence"])
    best, right = 1.01, 0
    for i, r in enumerate(shown, 1):
        right += r["f1"] >= RIGHT_F1
        if i >= least and right / i >= target:
            best = r["confidence"]
    return best


def scores(rows: list[dict], threshold: float) -> dict:
    answerable = [r for r in rows if not r["unanswerable"]]
    shown = [r for r in answerable if r["span"] and r["confidence"] >= threshold]
    unans = [r for r in rows if r["unanswerable"]]
    mean = lambda xs: round(statistics.mean(xs), 3) if xs else None  # noqa: E731
    out = {
        "n": len(answerable), "threshold": round(threshold, 3),
        "shown": mean([r in shown for r in answerable]),
        "shown right": mean([r["f1"] >= RIGHT_F1 for r in shown]),
        "EM all": mean([r["em"] if r in shown else 0.0 for r in answerable]),
        "F1 all": mean([r["f1"] if r in shown else 0.0 for r in answerable]),
        "evidence before": mean([r["evidence_before"] for r in answerable]),
        "evidence after": mean([r["evidence_after"] if (r in shown or not r["added_evidence"]) else
                                r["evidence_before"] for r in answerable]),
        "short answer p50 s": round(statistics.median([r["short_answer_s"] for r in rows
                                                       if r["short_answer_s"] is not None]), 2)
        if any(r["short_answer_s"] is not None for r in rows) else None,
    }
    if unans:
        def abstained(r: dict, with_none: bool) -> bool:
            return r["label"] != "answered" or (with_none and r["said_none"])

        for with_none in (False, True):
            tag = "with none" if with_none else "evidence only"
            hits = [abstained(r, with_none) for r in unans]
            wrong = [abstained(r, with_none) for r in answerable]
            recall = sum(hits) / len(hits)
            precision = sum(hits) / (sum(hits) + sum(wrong)) if sum(hits) + sum(wrong) else None
            out[f"abstain recall ({tag})"] = round(recall, 3)
            out[f"abstain precision ({tag})"] = round(precision, 3) if precision is not None else None
    return out


def curve(rows: list[dict], points: int = 8) -> list[tuple[float, float, float]]:
    """Coverage and precision as the confidence needed to show a span rises: (threshold, shown, shown right)."""
    answerable = [r for r in rows if not r["unanswerable"]]
    confs = sorted({r["confidence"] for r in answerable if r["span"]})
    if not answerable or not confs:
        return []
    steps = sorted({confs[int(i * (len(confs) - 1) / max(points - 1, 1))] for i in range(points)})
    out = []
    for t in steps:
        shown = [r for r in answerable if r["span"] and r["confidence"] >= t]
        right = sum(r["f1"] >= RIGHT_F1 for r in shown) / len(shown) if shown else 0.0
        out.append((round(t, 3), round(len(shown) / len(answerable), 3), round(right, 3)))
    return out


def tuning_halves(path: Path, questions: list, per_half: int) -> dict[str, list]:
    """{"tune": calibration paragraphs, "report": report articles}, as `assistant tune` splits the file."""
    from assistant.analytics.evaluation import spread
    from assistant.tuning.data import CALIBRATE, REPORT, split_of

    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    split, paragraph = {}, 0
    for a, article in enumerate(data):
        for p in article["paragraphs"]:
            split.update({str(qa["id"]): split_of(a, len(data), paragraph) for qa in p["qas"]})
            paragraph += 1
    return {"tune": spread([q for q in questions if split.get(q.id) == CALIBRATE], per_half),
            "report": spread([q for q in questions if split.get(q.id) == REPORT], per_half)}


def squad_parts(path: Path, base, embedder, per_half: int):  # noqa: ANN001, ANN201
    from assistant.analytics import evaluation as ev
    from ingest.pipeline import Ingestor

    if not path.is_file():
        print(f"{path} not found, skipped")
        return None
    settings = ev.settings_for_squad(base, ev.eval_name(path))
    qs = ev.load_questions(path, settings.paths.data_dir / "corpus")
    Ingestor(settings, lambda: embedder).run([settings.paths.data_dir / "corpus"], prune=True)
    return settings, tuning_halves(path, qs, per_half)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-half", type=int, default=100)
    ap.add_argument("--sets", nargs="+", default=["jsquad", "xquad", "squad2", "samples"])
    ap.add_argument("--adapter", default=str(ROOT / "models" / "short-answers-lora.gguf"))
    ap.add_argument("--models", nargs="+", default=["base", "adapter"])
    ap.add_argument("--out", default=str(ROOT / "data" / "eval" / "short-answers"))
    args = ap.parse_args()
    from assistant.core.config import load_settings
    from assistant.core.identity import Principal
    from assistant.core.language import language_of
    from assistant.embeddings import load_embedder
    from assistant.services import Assistant

    base = load_settings(ROOT / "config.toml", environ={})
    base.generation.languages = []
    base.qa.short_answer = True
    base.qa.short_answer_min_confidence = 0.0
    base.qa.short_answer_none_abstains = False
    embedder = load_embedder(base.embedding)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    table = []
    thresholds: dict[str, dict[str, float]] = {}  # model -> language -> confidence needed
    for name in args.sets:
        if name == "samples":
            loaded = load_parts(name, base, embedder, args.per_half)
        else:
            path = SQUAD2 if name == "squad2" else SETS[name]
            loaded = squad_parts(path, base, embedder, 2 * args.per_half if name == "squad2" else args.per_half)
        if loaded is None:
            continue
        settings, parts = loaded
        parts = {("tune" if k.startswith("tune") else "report" if k.startswith("report") else "all"): v
                 for k, v in parts.items()}
        for model in args.models:
            settings.generation.lora_path = "" if model == "base" else args.adapter
            service = Assistant(settings, embedder=embedder)
            rows = {part: run(service, qs, Principal.everything()) for part, qs in parts.items()}
            service.close()
            for part, r in rows.items():
                (out_dir / f"{name}-{model}-{part}.jsonl").write_text(
                    "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in r), encoding="utf-8")
            if name in LANGUAGE_OF:
                thresholds.setdefault(model, {})[LANGUAGE_OF[name]] = threshold_for(rows["tune"])
            for part, r in rows.items():
                for lang in sorted({language_of(x["question"]) for x in r}):
                    chosen = thresholds.get(model, {}).get(lang, base_threshold(lang))
                    row = {"set": name, "model": model, "part": part + ("" if name != "samples" else f" {lang}")}
                    row |= scores([x for x in r if language_of(x["question"]) == lang], chosen)
                    table.append(row)
                    print(row, flush=True)
                print(f"  curve {name} {model} {part} (threshold, shown, right):", curve(r), flush=True)
    keys = sorted({k for r in table for k in r}, key=lambda k: list(table[0]).index(k) if k in table[0] else 99)
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r.get(k, "")) for k in keys) + " |" for r in table]
    print("\n".join(lines))
    summary.record(**{f"short answers {r['set']} {r['model']} {r['part']}: shown right": r["shown right"]
                      for r in table})
    return 0


def base_threshold(lang: str) -> float:
    """A language without a tune half here uses the shipped setting."""
    from assistant.core.config import load_settings

    return load_settings(ROOT / "config.toml", environ={}).qa.short_answer_confidence(lang)


if __name__ == "__main__":
    raise SystemExit(main())
