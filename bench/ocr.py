"""OCR quality and speed: every page of the sample manuals' PDFs rendered to an image-only "scan" (PDFium, 200 dpi,
greyscale, as a scanner gives it), read back by ingest/ocr.py, compared with the page's true text.

    .venv/bin/python bench/ocr.py [--dpi 200] [--json]

Character error rate = edit distance / true length, after NFKC with whitespace removed (assistant/analytics/
metrics.py). The truth is PDFium's text of the original page. Pages/s is OCR alone (rendering included), one
process, Tesseract's own threads.
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
sys.path.insert(0, str(ROOT / "tests"))
import pdf_factory as pf  # noqa: E402
import pypdfium2 as pdfium  # noqa: E402

from assistant.analytics.metrics import character_error_rate  # noqa: E402
from assistant.core.config import Settings  # noqa: E402
from assistant.core.language import contains_japanese  # noqa: E402
from bench import summary  # noqa: E402
from ingest.loaders.pdf_engines import PdfiumFile  # noqa: E402
from ingest.ocr import ocr_page  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dpi", type=int, default=200, help="resolution of the simulated scan")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cfg = Settings().ingest
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for src in sorted((ROOT / "samples" / "manuals").glob("*.pdf")):
            scan = pf.scanned_pdf(src, Path(tmp) / src.name, dpi=args.dpi)
            truth_doc = pdfium.PdfDocument(str(src))
            pages = PdfiumFile(scan, [])
            for i in range(len(pages)):
                truth = truth_doc[i].get_textpage().get_text_range()
                started = time.perf_counter()
                image = pages.render(i, cfg.ocr_dpi, 12_000_000)
                read = ocr_page(image, cfg.ocr_languages, 600)
                seconds = time.perf_counter() - started
                rows.append({
                    "file": src.name, "page": i + 1, "language": "ja" if contains_japanese(truth) else "en",
                    "chars": len("".join(truth.split())), "cer": character_error_rate(read.text, truth),
                    "model": read.model, "confidence": round(read.confidence, 1), "seconds": seconds,
                })
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print("| file | page | language | characters | CER | model | confidence | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['file']} | {r['page']} | {r['language']} | {r['chars']} | {r['cer']:.3f} | {r['model']} | "
              f"{r['confidence']} | {r['seconds']:.1f} |")
    print()
    for lang in ("ja", "en"):
        part = [r for r in rows if r["language"] == lang]
        if not part:
            continue
        cer = sum(r["cer"] * r["chars"] for r in part) / sum(r["chars"] for r in part)
        rate = len(part) / sum(r["seconds"] for r in part)
        print(f"- {lang}: {len(part)} pages, CER {cer:.3f} (character-weighted), median page "
              f"{statistics.median(r['seconds'] for r in part):.1f} s, {rate:.2f} pages/s")
        summary.record(**{f"OCR {lang} CER": round(cer, 3), f"OCR {lang} pages/s": round(rate, 2)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
