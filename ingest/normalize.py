"""Text clean-up shared by all loaders: NFKC, hyphenation, whitespace, broken Japanese lines and repeated
headers/footers. (Whether text is garbled at all is ingest/script_check.py's job.)"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from assistant.core.layout import HEADING, looks_like_heading  # noqa: F401  (re-exported for the loaders)

_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_JA_TERMINATORS = "。！？!?：:」』）)"
_HYPHEN_BREAK = re.compile(r"(?<=[A-Za-z])-\n(?=[a-z])")
_CJK_LINE_BREAK = re.compile(rf"(?<=[{_CJK}、])\n(?=[{_CJK}])")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-–—]\s*\d+\s*[-–—]|page\s+\d+(?:\s+of\s+\d+)?|p\.\s*\d+|\d+\s*/\s*\d+|\d+\s*ページ|\d+)\s*$",
    re.IGNORECASE,
)


_CIRCLED = re.compile(r"([\u2460-\u2473\u2776-\u277f\u3251-\u325f])")  # ① … ⑳, ❶ …: list markers


def normalize_text(text: str) -> str:
    """NFKC (full-width ASCII, half-width kana), repaired hyphenation and whitespace; paragraph breaks kept.
    Circled numbers stay as they are: NFKC would make 「② 融資や投資…」 a line starting "2 ", read as a heading."""
    text = "".join(p if _CIRCLED.fullmatch(p) else unicodedata.normalize("NFKC", p) for p in _CIRCLED.split(text))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00ad", "")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _HYPHEN_BREAK.sub("", text)
    text = _join_japanese_lines(text)
    text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()


_CELL_GAP = re.compile(rf"[{_CJK}] +[{_CJK}0-9]")  # Japanese prose has no spaces: a gap is between table cells


def _join_japanese_lines(text: str) -> str:
    """A PDF line break inside a Japanese sentence is layout, not content: join it without a space."""
    lines = text.split("\n")
    # Only a line that runs (nearly) to the right margin was wrapped; a short one ends where the author
    # ended it (table cells, list items, headings), and so does a table row (PDFium puts a space between its
    # cells, which Japanese prose never has).
    # Measured in display width (a Japanese character is two Latin ones wide); a table row is no measure.
    wrap_len = 0.75 * max((_width(ln) for ln in lines if " | " not in ln), default=0)
    out: list[str] = []
    for line in lines:
        if out and out[-1] and line and _continues(out[-1], line):
            out[-1] += line  # 「…減少し7」「、また後半には」: a line never starts with 、 or a particle
        elif (
            out
            and out[-1]
            and line
            and _width(out[-1]) >= wrap_len
            and not _looks_like_heading(out[-1])
            and not _CELL_GAP.search(out[-1])
            and " | " not in out[-1]
            and " | " not in line
            and out[-1][-1] not in _JA_TERMINATORS
            and re.match(rf"[{_CJK}、]", out[-1][-1])
            and re.match(rf"[{_CJK}]|[0-9][0-9,.]*[{_CJK}%]", line)  # 「…預貯金は」「128兆円増加し…」
            and not _looks_like_heading(line)
        ):
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out)


_CONTINUATION = re.compile(r"[、。，．）」』]|[ぁ-ゖ](?!\s)")


def _continues(previous: str, line: str) -> bool:
    """`line` is the rest of the sentence `previous` left open, whatever their lengths: it starts with a comma,
    a closing bracket or a hiragana particle, and `previous` ends inside Japanese text."""
    return (
        bool(_CONTINUATION.match(line))
        and previous[-1] not in _JA_TERMINATORS
        and bool(re.match(rf"[{_CJK}0-9、]", previous[-1]))
        and " | " not in previous
        and " | " not in line
        and not _looks_like_heading(previous)
    )


def _width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def _looks_like_heading(line: str) -> bool:
    return len(line) <= 60 and bool(HEADING.match(line))


def _line_key(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip().lower())


def remove_repeated_lines(pages: list[str], min_pages: int = 3) -> tuple[list[str], list[str]]:
    """Drop running headers/footers: lines at a page's top or bottom repeated on at least half the pages
    (digits ignored, so "Page 3 of 9" matches "Page 4 of 9"), and bare page numbers there."""
    edge = 2
    tops: Counter[str] = Counter()
    for text in pages:
        lines = [ln for ln in text.split("\n") if ln.strip()]
        keys = {_line_key(ln) for ln in lines[:edge] + lines[-edge:]}
        tops.update(keys)
    threshold = max(min_pages, (len(pages) + 1) // 2)
    repeated = {k for k, n in tops.items() if n >= threshold and k} if len(pages) >= min_pages else set()
    removed: list[str] = []
    out = []
    for text in pages:
        lines = text.split("\n")
        nonempty = [i for i, ln in enumerate(lines) if ln.strip()]
        edge_idx = set(nonempty[:edge] + nonempty[-edge:])
        kept, dropped = [], []
        for i, ln in enumerate(lines):
            if i in edge_idx and (_line_key(ln) in repeated or _PAGE_NUMBER.match(ln)):
                dropped.append(ln.strip())
                continue
            kept.append(ln)
        if any(ln.strip() for ln in kept) or not any(k in repeated for k in map(_line_key, dropped)):
            removed += dropped
            out.append("\n".join(kept))
        else:
            # The repeated line is all the page says: it is content (a one-line page), not a running header.
            out.append(text)
    return out, sorted(set(removed))
