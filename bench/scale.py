"""Retrieval at scale: query latency p50/p95 and memory at 10k, 100k and 1M chunks (synthetic data).

    .venv/bin/python bench/scale.py [--sizes 10000 100000 1000000] [--queries 200]

Synthetic unit vectors (of the configured embedder's size) and 40-word Zipf texts are written through the
real store (GenerationWriter: SQLite, FTS5 keyword index, FAISS; `index_type = auto` switches to IVF at
`retrieval.ann_threshold`), then searched through the real Searcher. The query vector is given
precomputed, so the figures are the search itself; the embedding of a query (model-dependent, independent
of scale) is measured once separately. Exact (flat) search is measured at every size as the anchor.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import summary  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(kb_dir: Path, n: int, dim: int, rng: np.random.Generator, vocab: list[str], spec) -> float:  # noqa: ANN001
    from assistant.kb import ChunkRecord, DocumentRecord, GenerationWriter, ingestion_lock

    identity = {"backend": "synthetic", "model": "random", "dim": dim, "normalize": True, "passage_prefix": ""}
    t = time.perf_counter()
    per_doc = 1000
    zipf = rng.zipf(1.3, size=(n, 40)) % len(vocab)
    with ingestion_lock(kb_dir):
        w = GenerationWriter(kb_dir, identity)
        for d in range(0, n, per_doc):
            m = min(per_doc, n - d)
            vecs = rng.standard_normal((m, dim)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            chunks, vectors = [], {}
            for j in range(m):
                words = [vocab[x] for x in zipf[d + j]]
                h = f"h{d + j}"
                chunks.append(ChunkRecord(f"c{d + j}", j, " ".join(words), ["Synthetic"], 1, 1, 40, h, " ".join(words)))
                vectors[h] = vecs[j]
            doc = DocumentRecord(
                f"k{d}",
                f"/synthetic/{d}.txt",
                f"{d}.txt",
                "text",
                None,
                f"x{d}",
                1,
                None,
                1,
                False,
                ["all"],
                [],
                {},
                [],
            )
            w.add_document(doc, chunks, vectors)
        w.commit(1, spec)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()

    from assistant.core.config import Settings
    from assistant.core.identity import Principal
    from assistant.embeddings import load_embedder
    from assistant.kb import KnowledgeBase
    from assistant.kb.vector_index import IndexSpec, kind_of
    from assistant.retrieval import Searcher

    settings = Settings()
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(50_000)]
    embedder = load_embedder(settings.embedding)
    dim = embedder.dim  # synthetic vectors of the configured model's size
    qt = []
    for i in range(50):
        t = time.perf_counter()
        embedder.embed_queries([f"How do I reset my password number {i}?"])
        qt.append(time.perf_counter() - t)
    print(
        f"query embedding ({settings.embedding.model}): p50 {statistics.median(qt) * 1000:.1f} ms, "
        f"p95 {sorted(qt)[int(0.95 * 49)] * 1000:.1f} ms (added to every dense/hybrid query)\n"
    )

    class FixedDim:  # the searcher only needs identity/dim checks from the embedder here
        identity = {"backend": "synthetic", "model": "random", "dim": dim, "normalize": True, "passage_prefix": ""}

    print("| chunks | index | build s | dense p50/p95 ms | keyword p50/p95 ms | hybrid p50/p95 ms | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    r = settings.retrieval
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            kb_dir = Path(tmp) / "kb"
            spec = IndexSpec(r.index_type, r.ann_threshold, r.hnsw_m, r.ivf_nprobe, r.hnsw_ef_search)
            build_s = build(kb_dir, n, dim, rng, vocab, spec)
            kb = KnowledgeBase.open(kb_dir)
            searcher = Searcher(kb, FixedDim(), r)  # type: ignore[arg-type]
            qvecs = rng.standard_normal((args.queries, dim)).astype(np.float32)
            qvecs /= np.linalg.norm(qvecs, axis=1, keepdims=True)
            qwords = [" ".join(vocab[x] for x in rng.zipf(1.3, 4) % len(vocab)) for _ in range(args.queries)]
            kinds = [kind_of(kb.index)]
            if kinds[0] != "flat":
                kinds.append("flat")
            for kind in kinds:
                if kind != kinds[0]:  # exact anchor on the same data
                    import faiss

                    rows = kb.conn.execute(
                        "SELECT c.id, v.vector FROM chunks c JOIN vectors v USING(text_hash) ORDER BY c.id"
                    ).fetchall()
                    flat = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
                    flat.add_with_ids(
                        np.vstack([np.frombuffer(row[1], dtype=np.float32) for row in rows]),
                        np.asarray([row[0] for row in rows], dtype=np.int64),
                    )
                    del rows
                    kb._index = flat
                lat = {"dense": [], "keyword": [], "hybrid": []}
                for qv, qw in zip(qvecs, qwords, strict=True):
                    t0 = time.perf_counter()
                    searcher.dense(qw, r.candidates, vector=qv)
                    t1 = time.perf_counter()
                    searcher.keyword(qw, r.candidates)
                    t2 = time.perf_counter()
                    searcher.search(qw, r.k, principal=Principal.everything(), vector=qv)
                    t3 = time.perf_counter()
                    lat["dense"].append(t1 - t0)
                    lat["keyword"].append(t2 - t1)
                    lat["hybrid"].append(t3 - t2)
                fmt = {
                    k: f"{statistics.median(v) * 1000:.1f} / {sorted(v)[int(0.95 * (len(v) - 1))] * 1000:.1f}"
                    for k, v in lat.items()
                }
                print(
                    f"| {n:,} | {kind} | {build_s:.0f} | {fmt['dense']} | {fmt['keyword']} | {fmt['hybrid']} | "
                    f"{rss_mb():.0f} |",
                    flush=True,
                )
                summary.record(**{f"{n:,} chunks, {kind}: hybrid p50 / p95 ms": fmt["hybrid"]})
            kb.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
