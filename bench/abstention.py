"""Calibrate the "not found in the manuals" decision (assistant/relevance.py) on questions whose answer is in
the knowledge base and questions whose answer is not.

    .venv/bin/python bench/abstention.py                 # sample manuals + JSQuAD + XQuAD-en (../shared/data/dev)
    .venv/bin/python bench/abstention.py --max-questions 200

Sets:
- samples: the bundled manuals and samples/questions.jsonl (24 answerable, 16 out of scope, ja/en).
- SQuAD-format sets: the articles are split in two; the even ones are ingested. Questions about an ingested
  article are answerable, questions about a held-out one are not: same domain and style, a hard negative.

For each question the two signals (closest-passage cosine, idf-weighted question-term coverage) are taken from
the real searcher; the rule "coverage + w * dense >= threshold" is swept, and the table shows for each (w, t):
answered share of answerable questions (recall) and abstention precision / recall on the others.
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

WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)
THRESHOLDS = [round(0.05 * i, 2) for i in range(4, 31)]


def features(settings, corpus_dirs: list[Path], questions: list[tuple[str, bool]]) -> list[tuple[float, float, bool]]:  # noqa: ANN001
    from assistant.answering.relevance import assess
    from assistant.core.identity import Principal
    from assistant.embeddings import load_embedder
    from assistant.services import Assistant
    from ingest.pipeline import Ingestor

    embedder = load_embedder(settings.embedding)
    Ingestor(settings, lambda: embedder).run(corpus_dirs)
    service = Assistant(settings, embedder=embedder)
    out = []
    with service.kb.acquire() as searcher:
        for q, answerable in questions:
            hits = searcher.search(q, settings.qa.sources, principal=Principal.everything())
            r = assess(searcher, q, hits, 0.0, 0.0)
            out.append((r.dense, r.coverage, answerable))
    service.close()
    return out


def sample_set(settings) -> list[tuple[float, float, bool]]:  # noqa: ANN001
    qs = [json.loads(line) for line in (ROOT / "samples" / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    return features(settings, [ROOT / "samples" / "manuals"], [(q["question"], not q.get("unanswerable")) for q in qs])


def squad_set(settings, path: Path, tmp: Path, max_q: int) -> list[tuple[float, float, bool]]:  # noqa: ANN001
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    corpus = tmp / "corpus"
    corpus.mkdir()
    inside, outside = [], []
    for a, article in enumerate(data):
        for p, para in enumerate(article["paragraphs"]):
            qs = [qa["question"] for qa in para["qas"] if not qa.get("is_impossible")]
            if a % 2 == 0:
                text = para["context"].replace(" [SEP] ", "\n", 1)
                (corpus / f"a{a:04d}p{p:03d}.txt").write_text(text, encoding="utf-8")
                inside += qs
            else:
                outside += qs
    pick = lambda xs: xs[:: max(1, len(xs) // max_q)][:max_q]  # noqa: E731
    questions = [(q, True) for q in pick(inside)] + [(q, False) for q in pick(outside)]
    return features(settings, [corpus], questions)


def sweep(rows: list[tuple[float, float, bool]]) -> dict[tuple[float, float], dict[str, float]]:
    out = {}
    pos = sum(1 for r in rows if r[2])
    neg = len(rows) - pos
    for w in WEIGHTS:
        for t in THRESHOLDS:
            answered_pos = sum(1 for d, c, a in rows if a and c + w * d >= t)
            abstained_neg = sum(1 for d, c, a in rows if not a and c + w * d < t)
            abstained = sum(1 for d, c, a in rows if c + w * d < t)
            out[(w, t)] = {
                "answer_recall": answered_pos / pos if pos else 1.0,
                "abstain_recall": abstained_neg / neg if neg else 1.0,
                "abstain_precision": abstained_neg / abstained if abstained else 1.0,
            }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-questions", type=int, default=300, help="per side (answerable / not) of each SQuAD set")
    ap.add_argument("--json", type=Path, help="also write the signals of every question here")
    args = ap.parse_args()
    from assistant.core.config import Settings

    sets: dict[str, list[tuple[float, float, bool]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        s = Settings()
        s.paths.data_dir = Path(tmp) / "samples"
        sets["samples"] = sample_set(s)
        for path in DEFAULT_SETS:
            if not path.is_file():
                print(f"skipped {path} (not found)")
                continue
            d = Path(tmp) / path.stem
            d.mkdir()
            s = Settings()
            s.paths.data_dir = d / "data"
            sets[path.stem] = squad_set(s, path, d, args.max_questions)
    if args.json:
        args.json.write_text(json.dumps(sets), encoding="utf-8")
    sweeps = {name: sweep(rows) for name, rows in sets.items()}
    # Best rule: highest mean balanced accuracy over the sets, answering at least 95% of answerable questions
    # of every set (wrongly saying "not found" costs the user more than a weak answer with its sources).
    best = None
    for key in sweeps[next(iter(sweeps))]:
        per = [sweeps[n][key] for n in sweeps]
        if min(p["answer_recall"] for p in per) < 0.95:
            continue
        score = sum((p["answer_recall"] + p["abstain_recall"]) / 2 for p in per) / len(per)
        if best is None or score > best[0]:
            best = (score, key)
    print("| rule | set | answered (answerable) | abstention recall | abstention precision |")
    print("|---|---|---|---|---|")
    keys = [best[1]] if best else []
    keys += [(1.0, 0.30), (0.0, 0.45), (0.0, 0.5)]
    for w, t in dict.fromkeys(keys):
        for name in sweeps:
            m = sweeps[name][(w, t)]
            print(
                f"| coverage + {w} x dense >= {t} | {name} ({len(sets[name])} q) | {m['answer_recall']:.3f} | "
                f"{m['abstain_recall']:.3f} | {m['abstain_precision']:.3f} |"
            )
    if best:
        print(f"\nchosen: dense weight {best[1][0]}, threshold {best[1][1]} (mean balanced accuracy {best[0]:.3f})")
    from assistant.core.config import Settings

    qa = Settings().qa
    configured = (qa.abstain_dense_weight, qa.abstain_threshold)
    for name in sweeps:
        if configured in sweeps[name]:
            m = sweeps[name][configured]
            summary.record(
                **{
                    f"{name}: answered / abstention recall / precision (configured rule)": (
                        f"{m['answer_recall']:.3f} / {m['abstain_recall']:.3f} / {m['abstain_precision']:.3f}"
                    )
                }
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
