"""Shared pieces of the loaders: options passed to the parser process, and block assembly with headings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.document import Block
from ingest.normalize import looks_like_heading


@dataclass
class LoadOptions:
    passwords: list[str] = field(default_factory=list)
    max_page_chars: int = 200_000
    garbled_ratio: float = 0.3
    header_footer_min_pages: int = 3
    ocr: str = "auto"  # "auto": pages without usable text; "force": every page; "off": never
    ocr_languages: list[str] = field(default_factory=lambda: ["jpn", "eng"])
    ocr_dpi: int = 300
    ocr_min_confidence: float = 50.0  # Tesseract's mean word confidence below which a page is not text
    ocr_max_pixels: int = 12_000_000
    ocr_budget_s: float = 240.0  # OCR stops after this long in one file; the rest is reported, not lost
    pdf_tables: bool = True  # ruled tables on PDF pages found by pdfplumber (ingest/loaders/pdf_layout.py)


class BlockBuilder:
    """Collects text lines into blocks, starting a new block whenever the page or heading path changes."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.path: list[str] = []
        self._lines: list[str] = []
        self._page = 1

    def heading(self, title: str, level: int) -> None:
        """Enter a heading at `level` (0 = top); deeper headings of the previous section are closed."""
        self.flush()
        title = title.strip()
        if not title:
            return
        level = max(0, min(level, len(self.path)))
        self.path = self.path[:level] + [title]

    def text(self, line: str, page: int) -> None:
        if page != self._page:
            self.flush()
            self._page = page
        if line.strip() or self._lines:
            self._lines.append(line)

    def flush(self) -> None:
        text = "\n".join(self._lines).strip()
        if text:
            self.blocks.append(Block(text=text, page=self._page, heading_path=list(self.path)))
        self._lines = []


def heuristic_heading_level(line: str) -> int | None:
    """Level of a heading recognised by its numbering, or None for ordinary text."""
    s = line.strip()
    if not looks_like_heading(s):
        return None
    if m := re.match(r"^([0-9]+(?:\.[0-9]+)*)\.?\s", s):
        return m.group(1).count(".")
    if re.match(r"^第[0-9一二三四五六七八九十百]+[章部]", s):
        return 0
    if re.match(r"^第[0-9一二三四五六七八九十百]+[節条]", s):
        return 1
    return 99  # a marked heading (■, 【】): a child of whatever numbered heading came before
