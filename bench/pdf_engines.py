"""PDFium against pypdf, page by page, on every PDF given (default: the sample manuals and ../shared/data/dev).

    .venv/bin/python bench/pdf_engines.py [FOLDER_OR_PDF ...] [--json]

For each file and engine: pages read, characters, pages the mojibake check rejects (ingest/script_check.py),
seconds for the text of every page. The table says per file which engine the loader would keep and why; the
summary gives pages/s per engine over all files and, per kind of file (the folder names say what it is), which
engine won. "Won" = more pages of readable text; a tie goes to the one with more characters on them, then to the
faster one. Texts are also compared: "same" when the two readings of a page share 95% of their characters.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from difflib import SequenceMatcher
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import summary  # noqa: E402
from ingest.loaders.pdf_engines import PdfiumFile, PypdfFile  # noqa: E402
from ingest.script_check import garbled_reason  # noqa: E402

DEV = ROOT.parent / "shared" / "data" / "dev" / "pdf-samples"
PASSWORDS = ["openpassword", "asdfzxcv", "password", "qwerty"]


def _read(engine, n: int) -> tuple[list[str], float]:  # noqa: ANN001
    started = time.perf_counter()
    texts = []
    for i in range(n):
        try:
            texts.append(engine.text(i))
        except Exception:  # noqa: BLE001 - a page an engine cannot read counts as unread
            texts.append("")
    return texts, time.perf_counter() - started


def _score(texts: list[str]) -> dict:
    readable = [t for t in texts if t.strip() and garbled_reason(t) is None]
    garbled = [t for t in texts if t.strip() and garbled_reason(t) is not None]
    return {"readable": len(readable), "garbled": len(garbled), "chars": sum(len("".join(t.split())) for t in readable)}


def compare(path: Path) -> dict:
    row: dict = {"file": str(path.relative_to(path.parents[1])), "kind": path.parent.name}
    engines = {}
    for name, make in (("pdfium", PdfiumFile), ("pypdf", PypdfFile)):
        try:
            engine = make(path, PASSWORDS)
            n = len(engine)
        except Exception as e:  # noqa: BLE001
            row[name] = {"error": str(e)[:80]}
            continue
        texts, seconds = _read(engine, n)
        engines[name] = texts
        row[name] = {"pages": n, "seconds": seconds, **_score(texts)}
    if len(engines) == 2:
        pairs = [(a, b) for a, b in zip(engines["pdfium"], engines["pypdf"], strict=False) if a.strip() or b.strip()]
        same = sum(
            1
            for a, b in pairs
            if SequenceMatcher(None, "".join(a.split())[:4000], "".join(b.split())[:4000], autojunk=False).ratio()
            >= 0.95
        )
        row["same_pages"] = f"{same}/{len(pairs)}"
    row["winner"] = _winner(row)
    return row


def _winner(row: dict) -> str:
    ok = {k: row[k] for k in ("pdfium", "pypdf") if "error" not in row.get(k, {"error": 1})}
    if not ok:
        return "neither"
    if len(ok) == 1:
        return next(iter(ok)) + " (the other cannot open it)"
    a, b = ok["pdfium"], ok["pypdf"]
    key = lambda r: (r["readable"], r["chars"], -r["seconds"])  # noqa: E731
    if (a["readable"], a["chars"]) == (b["readable"], b["chars"]):
        return "tie"
    return "pdfium" if key(a) > key(b) else "pypdf"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", type=Path)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    roots = args.paths or [ROOT / "samples" / "manuals", *([DEV] if DEV.is_dir() else [])]
    files = sorted({p for r in roots for p in ([r] if r.is_file() else r.rglob("*.pdf"))})
    rows = [compare(p) for p in files]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    print("| file | pages | PDFium readable / garbled / chars / s | pypdf readable / garbled / chars / s "
          "| same text | kept |")
    print("|---|---|---|---|---|---|")

    def cell(r: dict) -> str:
        if "error" in r:
            return f"cannot open ({r['error']})"
        return f"{r['readable']} / {r['garbled']} / {r['chars']:,} / {r['seconds']:.3f}"

    for r in rows:
        pages = r.get("pdfium", {}).get("pages") or r.get("pypdf", {}).get("pages") or "-"
        print(f"| {r['file']} | {pages} | {cell(r['pdfium'])} | {cell(r['pypdf'])} | {r.get('same_pages', '-')} "
              f"| {r['winner']} |")
    totals = {}
    for name in ("pdfium", "pypdf"):
        ok = [r[name] for r in rows if "error" not in r[name]]
        pages, seconds = sum(r["pages"] for r in ok), sum(r["seconds"] for r in ok)
        totals[name] = {"pages": pages, "seconds": seconds, "pages_per_s": pages / seconds if seconds else 0.0,
                        "garbled": sum(r["garbled"] for r in ok), "readable": sum(r["readable"] for r in ok),
                        "cannot_open": len(rows) - len(ok)}
    print()
    for name, t in totals.items():
        print(f"- {name}: {t['pages']} pages in {t['seconds']:.2f} s = {t['pages_per_s']:,.0f} pages/s; "
              f"{t['readable']} readable, {t['garbled']} garbled pages; cannot open {t['cannot_open']} files")
    kinds: dict[str, dict[str, int]] = {}
    for r in rows:
        kinds.setdefault(r["kind"], {}).setdefault(r["winner"].split(" ")[0], 0)
        kinds[r["kind"]][r["winner"].split(" ")[0]] += 1
    for kind, wins in sorted(kinds.items()):
        print(f"- {kind}: " + ", ".join(f"{k} {v}" for k, v in sorted(wins.items())))
    summary.record(
        **{f"pdf text {k} pages/s": round(v["pages_per_s"]) for k, v in totals.items()},
        **{f"pdf text {k} garbled pages": v["garbled"] for k, v in totals.items()},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
