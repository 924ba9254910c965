"""Summary benchmark: what the model's checked summary adds to the evidence, and what it costs.

    .venv/bin/python bench/summaries.py [--per-half 40] [--sets xquad samples emanual] [--show 50]

The shipped configuration, with the summary on, on English questions (the shipped model writes English only):
XQuAD-en and the E-Manual QA set split by article into a tuning half and a report half (thresholds of
`qa.support_*` are chosen on the first, figures read on the second), and the sample manuals' English questions.
Per part: questions where a summary was asked, summary sentences shown and withheld (by reason), shown sentences
that add a fact or word the evidence did not show, questions the summary answered when the evidence did not
(contains the gold answer), and the seconds the summary took (p50). `--show N` prints N shown sentences, each
with the source sentence that backs it, for reading by hand.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import summary  # noqa: E402
from bench.evidence import load_parts  # noqa: E402


def adds(sentence: str, evidence: str, words) -> bool:  # noqa: ANN001
    """Whether a shown summary sentence says something the evidence did not: a fact or a content word."""
    from assistant.core.facts import CITATION, facts_in, normalise

    body = CITATION.sub(" ", sentence)
    flat = normalise(evidence)
    if any(f not in flat for f in facts_in(body)):
        return True
    own = set(words(body)) - set(words(evidence))
    return len(own) >= 2


def run_part(questions: list, service, principal, shown_out: list) -> dict[str, object]:  # noqa: ANN001
    from assistant.analytics import metrics as m
    from assistant.core.sentences import split_sentences, unwrap

    words = service.qa.tokenizer.tokens
    asked = shown_n = withheld_n = adding = rescued = 0
    reasons: Counter[str] = Counter()
    seconds = []
    for q in questions:
        answer = service.ask(q.question, principal=principal).result()
        if "generation_s" not in answer.timings:
            continue
        asked += 1
        seconds.append(answer.timings["generation_s"] + answer.timings.get("first_token_s", 0)
                       - answer.timings.get("first_evidence_s", 0))
        evidence = " ".join(unwrap(e.text) for e in answer.evidence)
        sentences = [s for s in split_sentences(answer.summary) if s.strip()]
        shown_n += len(sentences)
        withheld_n += len(answer.citations.withheld)
        reasons.update(r.split(" [")[0].split(":")[0] for r in answer.citations.reasons)
        adding += sum(adds(s, evidence, words) for s in sentences)
        if q.answers and answer.summary and m.contains_answer(answer.summary, q.answers) and not (
            answer.evidence and m.contains_answer(evidence, q.answers)
        ):
            rescued += 1
        for s, sup in zip(sentences, answer.citations.supports, strict=False):
            src = answer.sources[sup.source - 1].passage[sup.start : sup.end] if sup.end else ""
            shown_out.append((q.question, s.strip(), unwrap(src)))
    return {
        "questions": len(questions),
        "summary asked": asked,
        "sentences shown": shown_n,
        "withheld": withheld_n,
        "shown that add to the evidence": adding,
        "answered by summary only": rescued,
        "summary s p50": round(statistics.median(seconds), 2) if seconds else 0.0,
        "reasons": dict(reasons.most_common(5)),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-half", type=int, default=40)
    ap.add_argument("--sets", nargs="+", default=["xquad", "samples"])
    ap.add_argument("--tune-only", action="store_true")
    ap.add_argument("--show", type=int, default=50)
    ap.add_argument("--min-share", type=float, default=None)
    ap.add_argument("--relevant-share", type=float, default=None)
    args = ap.parse_args()
    from assistant.core.config import load_settings
    from assistant.core.identity import Principal
    from assistant.embeddings import load_embedder
    from assistant.services import Assistant

    base = load_settings(ROOT / "config.toml", environ={})
    base.qa.summary = True
    if args.min_share is not None:
        base.qa.support_min_share = args.min_share
    if args.relevant_share is not None:
        base.qa.support_relevant_share = args.relevant_share
    embedder = load_embedder(base.embedding)
    rows, shown = [], []
    for name in args.sets:
        loaded = load_parts(name, base, embedder, args.per_half, args.tune_only, keep=lambda q: q.question.isascii())
        if loaded is None:
            continue
        settings, parts = loaded
        service = Assistant(settings, embedder=embedder)
        for part, questions in parts.items():
            row = {"set": name, "part": part} | run_part(questions, service, Principal.everything(), shown)
            rows.append(row)
            print(row, flush=True)
        service.close()
    keys = [k for k in rows[0] if k != "reasons"] if rows else []
    print("\n| " + " | ".join(keys) + " |\n|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(str(r[k]) for k in keys) + " |")
    for r in rows:
        print(f"withheld in {r['set']} {r['part']}: {r['reasons']}")
    print(f"\nShown summary sentences ({min(args.show, len(shown))} of {len(shown)}), each with its support:")
    for q, s, src in shown[: args.show]:
        print(f"- Q: {q}\n  shown: {s}\n  source: {src}")
    summary.record(**{f"summaries {r['set']} {r['part']}: shown / asked": f"{r['sentences shown']} / "
                      f"{r['summary asked']}" for r in rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
