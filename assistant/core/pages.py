"""Where each page's text came from, as ingestion records it in documents.metadata["page_engines"]: one letter
per page. Read by citations ("p.3, OCR") and `docs show`; kept in core because the parser processes write it and
must stay light (no numpy or FAISS in a process capped at a few hundred MB).
"""

from __future__ import annotations

PAGE_ENGINE_LETTERS = {"pdfium": "P", "pypdf": "Y", "ocr": "O", None: "-"}


def read_by_ocr(page_engines: str | None, start: int, end: int) -> bool:
    """Whether any page start..end (1-based) of a document was read by OCR: its citations say so."""
    return bool(page_engines) and "O" in page_engines[max(0, start - 1) : end]  # type: ignore[index]


def page_engine_summary(page_engines: str) -> str:
    """"PPOP-" -> "PDFium p.1-2, 4; OCR p.3; no text p.5": which engine gave which pages, for `docs show`."""
    names = {"P": "PDFium", "Y": "pypdf", "O": "OCR", "-": "no text"}
    parts = []
    for letter, name in names.items():
        pages = [i + 1 for i, c in enumerate(page_engines) if c == letter]
        if not pages:
            continue
        runs: list[str] = []
        start = prev = pages[0]
        for n in [*pages[1:], None]:
            if n is not None and n == prev + 1:
                prev = n
                continue
            runs.append(f"{start}" if start == prev else f"{start}-{prev}")
            if n is not None:
                start = prev = n
        parts.append(f"{name} p.{', '.join(runs)}")
    return "; ".join(parts)


