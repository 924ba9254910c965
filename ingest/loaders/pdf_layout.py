"""A PDF page's text built from PDFium's characters and their boxes, so that the layout survives as text:

- ruled tables (found by pdfplumber's table finder on the page's lines) become rows of cells joined by " | ", with
  the cells' wrapped lines joined, in place of PDFium's reading of them (which runs a row's cells into one line
  or reads them column by column);
- a wide gap between two runs of text on a line (at least CELL_GAP_EM character heights) is a cell gap; lines with
  cell gaps next to each other are an unruled table and become rows the same way;
- a space PDFium made up (not in the file) beside Japanese text is dropped unless the gap is wide: PDFium puts one
  around half-width digits and before footnote marks in Japanese prose (「2001 年から」「ベンチャーデット 32について
  は」), which made prose look like a table row to the text heuristics of core/layout.py;
- two columns of prose that PDFium reads across (a left line and a right line at one height) are read column
  by column (_unfold_columns);
- a run of one- or two-character lines (a vertical tab label down a page's margin: 本/文/概/要) becomes one line,
  so a running label is recognised as a header;
- a footnote names the term its mark follows: the note 「32ベンチャー企業に対する融資。…」 at the page's foot, whose
  mark (digits set small, about 0.6 of the text's height) follows 「ベンチャーデット」 in the text, becomes
  「32（ベンチャーデット）ベンチャー企業に対する融資。…」, so the definition is found by its term.

Written by hand on PDFium's character API because PDFium reads these files right where pdfminer does not (CID
fonts, see pdf_engines.py); only the table finder is pdfplumber's, run on pages that draw lines at all.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from typing import Any

import pypdfium2.raw as pdfium_c

CELL_GAP_EM = 1.2  # a horizontal gap this many character heights wide separates table cells
WORD_GAP_EM = 1.0  # a space beside Japanese text is kept only where the gap is this wide
MARK_HEIGHT = 0.7  # digits set smaller than this share of the text's height are a footnote mark or number
MIN_PATHS = 4  # a page drawing fewer line objects has no ruled table: pdfplumber is not run on it
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_LATIN = re.compile(r"[0-9A-Za-z]")


@dataclass
class Table:
    """A ruled table: its box in PDF user space (left, bottom, right, top) and its rows of cell texts."""

    box: tuple[float, float, float, float]
    rows: list[list[str]]

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


def find_tables(plumber_page: Any, page_height: float) -> list[Table]:
    """Ruled tables on a pdfplumber page, cleaned: empty columns and rows dropped, wrapped cell lines joined.
    A "table" of one row or one column (a framed box, a chart's grid) is not kept."""
    out: list[Table] = []
    try:
        found = plumber_page.find_tables()
    except Exception:  # noqa: BLE001 - a page pdfminer cannot read keeps PDFium's text
        return []
    for t in found:
        try:
            raw = t.extract()
        except Exception:  # noqa: BLE001
            continue
        rows = _merge_rows(_merge_columns([[_cell_text(c) for c in r] for r in raw]))
        cells = [c for r in rows for c in r]
        if len(rows) < 2 or len(rows[0]) < 2 or sum(bool(c) for c in cells) < 0.4 * len(cells):
            continue
        x0, top, x1, bottom = t.bbox
        out.append(Table((x0, page_height - bottom, x1, page_height - top), rows))
    return out


def _merge_columns(rows: list[list[str]]) -> list[list[str]]:
    """Rows with the table finder's extra columns folded away: a merged cell leaves empty columns beside it, so
    two neighbouring columns that are never both filled in one row are one column. Empty rows are dropped."""
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows if any(r)]
    columns = [[r[j] for r in rows] for j in range(width)]
    merged: list[list[str]] = []
    for col in columns:
        if not any(col):
            continue
        if merged and not any(a and b for a, b in zip(merged[-1], col, strict=True)):
            merged[-1] = [a or b for a, b in zip(merged[-1], col, strict=True)]
        else:
            merged.append(col)
    return [[col[i] for col in merged] for i in range(len(rows))]


def _merge_rows(rows: list[list[str]]) -> list[list[str]]:
    """A row without a first cell under a data row continues it (a cell's text wrapped where the table draws no
    line between rows): its cells are appended to that row's."""
    out: list[list[str]] = []
    data = False  # the last kept row is a data row (it has a first cell), or continues one
    for r in rows:
        filled = sum(bool(c) for c in r)
        if out and data and not r[0] and filled:
            out[-1] = [_join(a, b) for a, b in zip(out[-1], r, strict=True)]
            continue
        out.append(r)
        data = bool(r[0]) and filled > 1
    return out


def _join(a: str, b: str) -> str:
    if not a or not b:
        return a or b
    return a + (" " if _LATIN.match(a[-1]) and _LATIN.match(b[0]) else "") + b


def header_row(rows: list[list[str]]) -> list[str]:
    """The first row with two or more filled cells: a table's heading across it is not its header."""
    return next((r for r in rows if sum(bool(c) for c in r) > 1), rows[0])


def _cell_text(cell: str | None) -> str:
    text = ""
    for ln in (cell or "").split("\n"):
        text = _join(text, ln.strip())
    return text.replace("|", "/")


def row_text(cells: list[str]) -> str:
    """A table row as a line core/layout.py reads as one: cells joined by " | " (an empty cell kept as "-"). A
    row with one filled cell (a heading across the table) is a line of its own."""
    filled = [c for c in cells if c]
    if len(filled) == 1:
        return filled[0]
    return " | ".join(c or "-" for c in cells)


def page_text(textpage: Any, tables: list[Table]) -> str:
    """The page's text from its characters (see the module docstring); `tables` are put where they stand."""
    raw = textpage.raw
    n = pdfium_c.FPDFText_CountChars(raw)
    if n <= 0:
        return ""
    chars: list[tuple[str, float, float, float, float]] = []
    generated: list[bool] = []
    rect = pdfium_c.FS_RECTF()  # the loose box: the glyph's advance and the font's height, not its ink
    high = 0  # PDFium gives a character outside the BMP as two UTF-16 surrogates, one per index
    for i in range(n):
        code = pdfium_c.FPDFText_GetUnicode(raw, i)
        if 0xD800 <= code < 0xDC00:
            high, ch = code, ""
        elif 0xDC00 <= code < 0xE000:
            ch = chr(0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)) if high else ""
            high = 0
        else:
            ch = chr(code) if 0 < code < 0x110000 else ""
        if pdfium_c.FPDFText_GetLooseCharBox(raw, i, rect):
            box = (rect.left, rect.bottom, rect.right, rect.top)
        else:
            box = (0.0, 0.0, 0.0, 0.0)
        chars.append((ch, *box))
        generated.append(bool(pdfium_c.FPDFText_IsGenerated(raw, i)))
    heights = [t - b for ch, _, b, _, t in chars if ch.strip() and t - b > 0]
    em = statistics.median(heights) if heights else 10.0

    def in_table(c: tuple[str, float, float, float, float]) -> int | None:
        x, y = (c[1] + c[3]) / 2, (c[2] + c[4]) / 2
        for k, t in enumerate(tables):
            if t.box[0] - 1 <= x <= t.box[2] + 1 and t.box[1] - 1 <= y <= t.box[3] + 1:
                return k
        return None

    out: list[str] = []
    notes = _Footnotes(out)
    placed: set[int] = set()
    pending_space: float | None = None  # a run of spaces: 1.0 when one is in the file, 0.0 when all are made up
    prev: tuple[str, float, float, float, float] | None = None
    last_cr = False
    for c, made in zip(chars, generated, strict=True):
        ch = c[0]
        small = ch.isdigit() and 0 < c[4] - c[2] < MARK_HEIGHT * em
        if not small and ch.strip():
            notes.end()
        if ch in ("\r", "\n"):
            if not (ch == "\n" and last_cr):  # PDFium ends a line with "\r\n"
                out.append("\n")
            last_cr = ch == "\r"
            pending_space, prev = None, None
            continue
        last_cr = False
        if not ch:
            continue
        if ch.isspace() or ch in ("\ufffe", "\x02") and not c[3] - c[1]:
            if ch and not ch.isspace():
                out.append("-")  # PDFium's soft hyphen
            elif prev is not None and not (pending_space and made):
                pending_space = 0.0 if made else 1.0  # a space in the file is kept; one PDFium made up may not be
            continue
        if tables and c[3] > c[1] and (k := in_table(c)) is not None:
            if k not in placed:
                placed.add(k)
                out.append("\n\n" + "\n".join(row_text(r) for r in tables[k].rows) + "\n\n")
            pending_space, prev = None, None
            continue
        if prev is not None:
            gap = (c[1] - prev[3]) / em if c[3] > c[1] else 0.0
            if gap >= CELL_GAP_EM:
                out.append("\t")
            elif pending_space is not None and (pending_space or gap >= WORD_GAP_EM
                                                or not (_CJK.match(prev[0]) or _CJK.match(ch))):
                out.append(" ")
        pending_space = None
        if small:
            notes.digit(ch, line_start=prev is None)
        out.append(ch)
        if c[3] > c[1]:
            prev = c
    notes.end()
    notes.link()
    return _rows_and_labels("".join(out))


class _Footnotes:
    """Footnote marks in the text and the notes they point to, found while `out` (the page's text) is written."""

    _TERM = re.compile(r"[一-龥々ァ-ヶーA-Za-z0-9・&＆]{2,30}$")

    def __init__(self, out: list[str]):
        self.out = out
        self.run: tuple[int, str, bool] | None = None  # (position in out, digits, at a line's start)
        self.marks: dict[str, str] = {}  # number -> the term its mark follows
        self.notes: list[tuple[int, str]] = []  # (position in out after the note's number, number)

    def digit(self, ch: str, line_start: bool) -> None:
        if self.run is None:
            self.run = (len(self.out), ch, line_start)
        else:
            self.run = (self.run[0], self.run[1] + ch, self.run[2])

    def end(self) -> None:
        if self.run is None:
            return
        pos, number, line_start = self.run
        self.run = None
        if line_start:
            self.notes.append((pos + len(number), number))
        elif number not in self.marks:
            term = self._TERM.search("".join(self.out[max(0, pos - 30) : pos]))
            self.marks[number] = term.group(0).lstrip("0123456789") if term else ""

    def link(self) -> None:
        """Each note whose number marks a term gets 「（term）」 after its number; every note whose number marks the
        text is a paragraph of its own (a passage does not run from the text into its notes)."""
        for pos, number in reversed(self.notes):
            if number not in self.marks:
                continue
            if len(term := self.marks[number]) >= 2:
                self.out.insert(pos, f"（{term}）")
            self.out.insert(pos - len(number), "\n")


def _unfold_columns(lines: list[str]) -> list[str]:
    """Two columns of prose side by side, which PDFium reads across (a left line and a right line at one height
    make one line with a wide gap), read column by column: the left column to its end, then the right one."""
    cells = [[c.strip() for c in ln.split("\t") if c.strip()] for ln in lines]
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and len(cells[j]) > 1:
            j += 1
        if j > i and _two_columns(cells[i:j]):
            out += [row[0] for row in cells[i:j]] + [row[1] for row in cells[i:j]]
            i = j
        else:
            out += lines[i : max(j, i + 1)]
            i = max(j, i + 1)
    return out


def _two_columns(run: list[list[str]]) -> bool:
    """Lines of two long cells of about the same length each, most of which do not end a sentence: wrapped prose
    in two columns, not a table or a bulleted list (whose first cells are short)."""
    if len(run) < 3 or any(len(row) != 2 for row in run):
        return False
    even = sum(len(a) >= 12 and len(b) >= 12 and max(len(a), len(b)) <= 2 * min(len(a), len(b)) for a, b in run)
    open_ended = sum(not row[0].endswith(("。", ".", ":", "：")) for row in run)
    return even >= 0.7 * len(run) and open_ended >= 0.6 * len(run)


def _rows_and_labels(text: str) -> str:
    """Lines with cell gaps next to each other become table rows; a lone gap is a space. A run of three or more
    lines of one or two characters (a vertical label) becomes one line."""
    lines = _unfold_columns(text.split("\n"))
    cells = [[c.strip() for c in ln.split("\t") if c.strip()] for ln in lines]
    gapped = [len(c) > 1 and any(len(x) > 1 for x in c) for c in cells]  # 「結 果 の 概 要」 is a spaced title
    table = [False] * len(lines)
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and gapped[j]:
            j += 1
        run = cells[i:j]
        # Two lines of "label  text" are headings (「I　世帯数と…」「1　世帯構造…」), not a table.
        if len(run) >= 3 or (len(run) == 2 and any(len(row) >= 3 for row in run)):
            table[i:j] = [True] * (j - i)
        i = max(j, i + 1)
    out: list[str] = []
    for ln, row, is_row in zip(lines, cells, table, strict=True):
        if is_row:
            out.append(row_text(row))
        elif "\t" in ln:
            # A lone wide gap is not a table: a spaced-out title (「結 果 の 概 要」) is closed up, and a chart's
            # labels (「2007年   40万人」, a year under one bar and the value of the next) are not made a row
            # that pairs them: beside Japanese text the gap is closed, as Japanese prose has no spaces.
            text = row[0] if row else ""
            for cell in row[1:]:
                text += ("" if _CJK.match(text[-1:]) or _CJK.match(cell[:1]) or len(cell) == 1 else " ") + cell
            out.append(text)
        else:
            out.append(ln)
    joined: list[str] = []
    run: list[str] = []
    for ln in [*out, None]:
        if ln is not None and 0 < len(ln.strip()) <= 2:
            run.append(ln.strip())
            continue
        if len(run) >= 3:
            joined.append("".join(run))
        else:
            joined.extend(run)
        run = []
        if ln is not None:
            joined.append(ln)
    return "\n".join(joined)
