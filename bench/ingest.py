"""Ingestion benchmark: our pipeline vs the stock LangChain recipe, same embedder, same files, one run.

    .venv/bin/python bench/ingest.py                 # the bundled sample manuals
    .venv/bin/python bench/ingest.py FOLDER [...]    # plus any folder of PDFs

Stock recipe: PyPDFLoader + RecursiveCharacterTextSplitter(1000, 200) + FAISS.from_documents with our
embedder (PDFs only: that is all the recipe reads). Each side runs in its own child process so that
peak RSS is its own. Prints pages/s, chunks/s, wall time and peak RSS as a table, medians of --repeat runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import summary  # noqa: E402


def _ours(folder: str, out: mp.Queue) -> None:
    from assistant.core.config import Settings
    from assistant.embeddings import load_embedder
    from ingest.pipeline import Ingestor

    with tempfile.TemporaryDirectory() as tmp:
        s = Settings()
        s.paths.data_dir = Path(tmp)
        t = time.perf_counter()
        embedder = load_embedder(s.embedding)
        report = Ingestor(s, lambda: embedder).run([Path(folder)])
        seconds = time.perf_counter() - t
    ok = [o for o in report.outcomes if o.status == "ingested"]
    out.put(
        {
            "seconds": seconds,
            "pages": sum(o.pages for o in ok),
            "chunks": sum(o.chunks for o in ok),
            "files": len(ok),
            "failed": len(report.outcomes) - len(ok),
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "children_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        }
    )


def _stock(folder: str, out: mp.Queue) -> None:
    from langchain_community.document_loaders import PyPDFLoader
    from langchain_community.vectorstores import FAISS
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from assistant.core.config import Settings
    from assistant.embeddings import load_embedder

    t = time.perf_counter()
    embedder = load_embedder(Settings().embedding)
    pages, failed, files = [], 0, 0
    for pdf in sorted(Path(folder).rglob("*.pdf")):
        try:
            pages += PyPDFLoader(str(pdf)).load()
            files += 1
        except Exception:  # noqa: BLE001 - the stock recipe has no per-file handling; count and go on
            failed += 1
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(pages)
    chunks = [c for c in chunks if c.page_content.strip()]
    if chunks:
        FAISS.from_documents(chunks, embedder)
    out.put(
        {
            "seconds": time.perf_counter() - t,
            "pages": len(pages),
            "chunks": len(chunks),
            "files": files,
            "failed": failed,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "children_rss_mb": 0.0,
        }
    )


def _measure(target, folder: Path) -> dict:  # noqa: ANN001
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(str(folder), q))
    p.start()
    result = q.get()
    p.join()
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="*", type=Path)
    ap.add_argument("--repeat", type=int, default=1, help="runs per side; the table shows medians")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    folders = [ROOT / "samples" / "manuals", *args.folders]
    rows: list[dict] = []
    for folder in folders:
        for name, target in (("ours", _ours), ("stock LangChain", _stock)):
            runs = [_measure(target, folder) for _ in range(args.repeat)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            med["pages_per_s"] = med["pages"] / med["seconds"] if med["seconds"] else 0.0
            med["chunks_per_s"] = med["chunks"] / med["seconds"] if med["seconds"] else 0.0
            rows.append({"corpus": folder.name, "pipeline": name, **med})
    for ours, stock in zip(rows[::2], rows[1::2], strict=True):
        summary.record(
            **{
                f"{ours['corpus']}: ours pages/s": round(ours["pages_per_s"], 2),
                f"{ours['corpus']}: stock pages/s": round(stock["pages_per_s"], 2),
                f"{ours['corpus']}: ours / stock wall time": round(ours["seconds"] / stock["seconds"], 2)
                if stock["seconds"]
                else None,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    head = "| corpus | pipeline | files ok | failed | pages | chunks | wall s | pages/s | chunks/s | peak RSS MiB |"
    print(head)
    print("|---" * 10 + "|")
    for r in rows:
        print(
            f"| {r['corpus']} | {r['pipeline']} | {r['files']:.0f} | {r['failed']:.0f} | {r['pages']:.0f} | "
            f"{r['chunks']:.0f} | {r['seconds']:.1f} | {r['pages_per_s']:.2f} | {r['chunks_per_s']:.2f} | "
            f"{r['rss_mb']:.0f} |"
        )
    print("\nWall time includes loading the embedding model (both sides). The stock recipe reads PDFs only.")
    print("Peak RSS is the main process; our parsers run in separate capped processes (ingest.file_memory_mb).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
