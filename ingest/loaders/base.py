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


MARKED = 99  # heuristic_heading_level's level for a marked heading (「■ 注意」「【参考】」「● 留意事項」)


class BlockBuilder:
    """Collects text lines into blocks, starting a new block whenever the page or heading path changes.

    Marked headings are levelled by their mark, in the order the document first uses each (「■」 above 「●」 when ■
    came first): a marked heading closes the one of its own mark, so 【設問E】 follows 【設問D】 instead of nesting
    under it. A run of two or more lines with the same mark and no text between them is a list (「● 清潔な作業着の着用」
    「● 手洗いの励行」), kept as text: only a lone marked line is a heading."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.path: list[str] = []
        self._levels: list[int] = []
        self._lines: list[str] = []
        self._page = 1
        self._marks: dict[str, int] = {}
        # marked lines not yet known to head a section or to list items: (line, level, page)
        self._pending: list[tuple[str, int, int]] = []

    def heading(self, title: str, level: int, page: int | None = None) -> None:
        """Enter a heading at `level` (0 = top); deeper headings of the previous section are closed."""
        title = title.strip()
        if not title:
            return
        if level >= MARKED:
            level = MARKED + self._marks.setdefault(title[0], len(self._marks))
            self._pending.append((title, level, page or self._page))
            return
        self._resolve()
        self._enter(title, level)

    def text(self, line: str, page: int) -> None:
        if self._pending and not line.strip():
            return  # a blank line between marked lines decides nothing
        self._resolve()
        if page != self._page:
            self._flush_block()
            self._page = page
        if line.strip() or self._lines:
            self._lines.append(line)

    def flush(self) -> None:
        self._resolve()
        self._flush_block()

    def _enter(self, title: str, level: int) -> None:
        self._flush_block()
        level = max(0, level)
        while self._levels and self._levels[-1] >= level:
            self._levels.pop()
            self.path.pop()
        self.path.append(title)
        self._levels.append(level)

    def _resolve(self) -> None:
        """The pending marked lines as headings (each alone) or list items (runs of one mark)."""
        pending, self._pending = self._pending, []
        i = 0
        while i < len(pending):
            j = i
            while j + 1 < len(pending) and pending[j + 1][0][0] == pending[i][0][0]:
                j += 1
            if j == i:
                self._enter(pending[i][0], pending[i][1])
            else:
                for line, _, page in pending[i : j + 1]:
                    self.text(line, page)
            i = j + 1

    def _flush_block(self) -> None:
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
    return MARKED  # a marked heading (■, 【】): a child of whatever numbered heading came before
