"""Ingestion benchmark: our pipeline vs the stock LangChain recipe, same embedder, same files, one run.

    .venv/bin/python bench/ingest.py                 # the bundled sample manuals
    .venv/bin/python bench/ingest.py FOLDER [...]    # plus any folder of PDFs
    .venv/bin/python bench/ingest.py --dev --large 10000 [--ocr]
        # the dev PDFs once, and repeated under distinct names up to ~10,000 pages; --ocr adds a run of ours with
        # ingest.ocr = "auto" (the table's other runs of ours have OCR off, as the stock recipe has none)

Ours also re-ingests each corpus unchanged right after (the "re-run s" column: what an admin's nightly run costs
when nothing changed). A repeated corpus repeats its texts, which ours embeds once (identical chunks share a
vector) and the stock recipe embeds every time: the single-copy corpus is the like-for-like comparison.

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


def _ours(folder: str, out: mp.Queue, ocr: str = "off") -> None:
    from assistant.core.config import Settings
    from assistant.embeddings import load_embedder
    from ingest.pipeline import Ingestor

    with tempfile.TemporaryDirectory() as tmp:
        s = Settings()
        s.paths.data_dir = Path(tmp)
        s.ingest.ocr = ocr
        t = time.perf_counter()
        embedder = load_embedder(s.embedding)
        report = Ingestor(s, lambda: embedder).run([Path(folder)])
        seconds = time.perf_counter() - t
        t = time.perf_counter()
        again = Ingestor(s, lambda: embedder).run([Path(folder)])
        rerun = time.perf_counter() - t
        assert again.counts["skipped"] == len([o for o in report.outcomes if o.status == "ingested"]), again.counts
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
            "rerun_s": rerun,
            "ocr_pages": report.ocr_pages,
        }
    )


def _ours_ocr(folder: str, out: mp.Queue) -> None:
    _ours(folder, out, "auto")


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
            "rerun_s": float("nan"),
            "ocr_pages": 0,
        }
    )


DEV = ROOT.parent / "shared" / "data" / "dev" / "pdf-samples"


def _pages(pdf: Path) -> int:
    import pypdfium2 as pdfium

    try:
        return len(pdfium.PdfDocument(str(pdf)))
    except Exception:  # noqa: BLE001 - encrypted or broken: it counts, with no pages
        return 0


def large_corpus(sources: list[Path], target_pages: int, dest: Path) -> Path:
    """The PDFs under `sources`, copied again and again under distinct names (copy-NNN/…) up to target_pages."""
    pdfs = sorted(p for s in sources for p in s.rglob("*.pdf"))
    sizes = {p: _pages(p) for p in pdfs}
    per_copy = sum(sizes.values()) or 1
    copies = max(1, -(-target_pages // per_copy))
    for n in range(copies):
        for p in pdfs:
            target = dest / f"copy-{n:03d}" / f"{p.parent.name}-{p.name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(p.read_bytes())
    return dest


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
    ap.add_argument("--dev", action="store_true", help="add the dev PDFs (../shared/data/dev/pdf-samples), once")
    ap.add_argument("--large", type=int, metavar="PAGES", help="add the dev PDFs repeated up to PAGES pages")
    ap.add_argument("--ocr", action="store_true", help="add a run of ours with ingest.ocr = auto (not on --large)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    folders = [ROOT / "samples" / "manuals", *args.folders]
    scratch = tempfile.TemporaryDirectory()
    if args.dev or args.large:
        single = Path(scratch.name) / "dev-pdfs-once"
        large_corpus([DEV, ROOT / "samples" / "manuals"], 1, single)
        folders.append(single)
    if args.large:
        folders.append(large_corpus([DEV, ROOT / "samples" / "manuals"], args.large,
                                    Path(scratch.name) / f"dev-pdfs-to-{args.large}-pages"))
    sides = [("ours", _ours), ("stock LangChain", _stock)] + ([("ours, OCR auto", _ours_ocr)] if args.ocr else [])
    rows: list[dict] = []
    large = folders[-1] if args.large else None
    for folder in folders:
        for name, target in sides:
            if target is _ours_ocr and folder == large:
                continue  # OCR is per page and never shared between copies: the single copy measures it
            runs = [_measure(target, folder) for _ in range(args.repeat)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            med["pages_per_s"] = med["pages"] / med["seconds"] if med["seconds"] else 0.0
            med["chunks_per_s"] = med["chunks"] / med["seconds"] if med["seconds"] else 0.0
            rows.append({"corpus": folder.name, "pipeline": name, **med})
            print(f"# {folder.name} / {name}: {med['pages']:.0f} pages in {med['seconds']:.1f} s", file=sys.stderr,
                  flush=True)
    by = {(r["corpus"], r["pipeline"]): r for r in rows}
    for folder in folders:
        ours, stock = by[(folder.name, "ours")], by[(folder.name, "stock LangChain")]
        ours["vs_stock"] = ours["pages_per_s"] / stock["pages_per_s"] if stock["pages_per_s"] else None
    for folder in folders:
        ours, stock = by[(folder.name, "ours")], by[(folder.name, "stock LangChain")]
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
    head = ("| corpus | pipeline | files ok | failed | pages | OCR'd | chunks | wall s | pages/s | x stock | chunks/s "
            "| peak RSS MiB | re-run s |")
    print(head)
    print("|---" * 13 + "|")
    for r in rows:
        ratio = f"{r['vs_stock']:.2f}" if r.get("vs_stock") else "-"
        rerun = "-" if r["rerun_s"] != r["rerun_s"] else f"{r['rerun_s']:.1f}"
        print(
            f"| {r['corpus']} | {r['pipeline']} | {r['files']:.0f} | {r['failed']:.0f} | {r['pages']:.0f} | "
            f"{r['ocr_pages']:.0f} | {r['chunks']:.0f} | {r['seconds']:.1f} | {r['pages_per_s']:.2f} | {ratio} | "
            f"{r['chunks_per_s']:.2f} | {r['rss_mb']:.0f} | {rerun} |"
        )
    scratch.cleanup()
    print("\nWall time includes loading the embedding model (both sides). The stock recipe reads PDFs only.")
    print("Peak RSS is the main process; our parsers run in separate capped processes (ingest.file_memory_mb).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
