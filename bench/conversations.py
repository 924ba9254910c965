"""Multi-turn benchmark: is a question answered the same after a conversation as when asked alone, and does
"not found" stay right after other turns? Also the abstention threshold swept on these conversations.

    .venv/bin/python bench/conversations.py [--pairs 150]

Sets (ja and en):
- staff: the 22-turn staff session over the sample manuals (bench/data/staff_session.jsonl, written by us): each
  turn's outcome and facts, and, for standalone questions, the same outcome and first source as alone.
- JSQuAD and XQuAD-en (../shared/data/dev), even articles ingested: conversations of two turns made of real
  questions, (1) a question about one article, then a question about another (a change of topic); (2) a question
  about an ingested article, then one about a held-out article (must stay "not found"). Pairs are split in halves
  by position: the threshold sweep is read on the tuning half (even pairs) and reported on the report half.
The model is not called (`generation.languages = []`): what is measured is the conversation logic and retrieval.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import summary  # noqa: E402
from bench.retrieval import DEFAULT_SETS  # noqa: E402

THRESHOLDS = [round(0.05 * i, 2) for i in range(6, 15)]


def first_source(answer) -> str | None:  # noqa: ANN001
    return answer.sources[0].chunk_id if answer.sources and not answer.abstained else None


def staff(service) -> dict[str, object]:  # noqa: ANN001
    from assistant.answering.conversation import recent
    from assistant.core.identity import Principal

    session = [json.loads(x) for x in (ROOT / "bench" / "data" / "staff_session.jsonl").read_text().splitlines()]
    everyone = Principal.of("staff", ["all"])
    turns, right, same, standalone = [], 0, 0, 0
    for step in session:
        answer = service.ask(step["question"], principal=everyone, history=recent(turns, service.settings)).result()
        if answer.evidence:
            turns.append(answer.turn())
        if step.get("unanswerable"):
            right += answer.outcome == "not_found"
        else:
            right += answer.outcome in ("answered", "closest") and all(f in answer.text for f in step["facts"])
        if step["standalone"]:
            standalone += 1
            alone = service.ask(step["question"], principal=everyone).result()
            same += (alone.outcome, first_source(alone)) == (answer.outcome, first_source(answer))
    return {"turns": len(session), "right": right / len(session), "standalone same as alone": same / standalone}


def squad_pairs(path: Path, corpus: Path, n: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(topic changes, held-out follow-ups): pairs of real questions."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    inside: list[list[str]] = []
    outside: list[str] = []
    for a, article in enumerate(data):
        qs = []
        for p, para in enumerate(article["paragraphs"]):
            found = [qa["question"] for qa in para["qas"] if not qa.get("is_impossible")]
            if a % 2 == 0:
                (corpus / f"a{a:04d}p{p:03d}.txt").write_text(para["context"].replace(" [SEP] ", "\n", 1),
                                                               encoding="utf-8")
                qs += found[:1]
            else:
                outside += found[:1]
        if qs:
            inside.append(qs)
    flat = [(i, q) for i, qs in enumerate(inside) for q in qs]
    step = max(1, len(flat) // n)
    picked = flat[::step][:n]
    changes = [(picked[k][1], picked[k + 1][1]) for k in range(len(picked) - 1) if picked[k][0] != picked[k + 1][0]]
    negatives = [(picked[k][1], outside[(k * 7) % len(outside)]) for k in range(min(n, len(picked)))]
    return changes[:n], negatives[:n]


def pair_rows(service, pairs: list[tuple[str, str]], must_abstain: bool) -> list[dict[str, object]]:  # noqa: ANN001
    from assistant.core.identity import Principal

    everyone = Principal.everything()
    rows = []
    for before, question in pairs:
        first = service.ask(before, principal=everyone).result()
        history = [first.turn()] if first.evidence else []
        after = service.ask(question, principal=everyone, history=history).result()
        alone = service.ask(question, principal=everyone).result()
        rows.append({
            "same": (after.outcome, first_source(after)) == (alone.outcome, first_source(alone)),
            "score_after": after.relevance.get("score", 0.0), "score_alone": alone.relevance.get("score", 0.0),
            "must_abstain": must_abstain,
        })
    return rows


def sweep(rows: list[dict[str, object]]) -> dict[float, tuple[float, float]]:
    """threshold -> (answered share of answerable questions after a turn, abstained share of held-out ones)."""
    pos = [r for r in rows if not r["must_abstain"]]
    neg = [r for r in rows if r["must_abstain"]]
    return {t: (sum(r["score_after"] >= t for r in pos) / max(1, len(pos)),
                sum(r["score_after"] < t for r in neg) / max(1, len(neg))) for t in THRESHOLDS}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=150, help="pairs of each kind per set")
    args = ap.parse_args()
    from assistant.analytics import evaluation as ev
    from assistant.core.config import load_settings
    from assistant.embeddings import load_embedder
    from assistant.services import Assistant
    from ingest.pipeline import Ingestor

    base = load_settings(ROOT / "config.toml", environ={})
    base.generation.languages = []
    embedder = load_embedder(base.embedding)
    settings = ev.settings_without_usage_log(base)
    settings.paths.data_dir = ROOT / "data" / "eval" / "samples-kb"
    Ingestor(settings, lambda: embedder).run([ROOT / "samples" / "manuals"], prune=True)
    service = Assistant(settings, embedder=embedder)
    result = staff(service)
    service.close()
    print(f"staff session: {result}", flush=True)
    lines = ["| set | half | topic changes: same as alone | held-out after a turn: not found | threshold sweep "
             "(answered / abstained) |", "|---|---|---|---|---|"]
    figures = {"conversations staff: right": round(result["right"], 3)}
    for path in DEFAULT_SETS:
        if not path.is_file():
            print(f"{path} not found, skipped")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            s = ev.settings_without_usage_log(base)
            s.paths.data_dir = Path(tmp) / "data"
            corpus = Path(tmp) / "corpus"
            corpus.mkdir()
            changes, negatives = squad_pairs(path, corpus, args.pairs)
            Ingestor(s, lambda: embedder).run([corpus])
            service = Assistant(s, embedder=embedder)
            rows = pair_rows(service, changes, False) + pair_rows(service, negatives, True)
            service.close()
        for half, part in (("tune", rows[0::2]), ("report", rows[1::2])):
            pos = [r for r in part if not r["must_abstain"]]
            neg = [r for r in part if r["must_abstain"]]
            same = sum(r["same"] for r in pos) / max(1, len(pos))
            abstained = sum(r["score_after"] < base.qa.abstain_threshold for r in neg) / max(1, len(neg))
            sw = sweep(part)
            shown = ", ".join(f"{t}: {a:.2f}/{b:.2f}" for t, (a, b) in sw.items())
            lines.append(f"| {path.stem} | {half} | {same:.3f} ({len(pos)}) | {abstained:.3f} ({len(neg)}) | {shown} |")
            figures[f"conversations {path.stem} {half}: topic change same as alone"] = round(same, 3)
            print(lines[-1], flush=True)
    print("\n".join(lines))
    summary.record(**figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
