"""The layout a passage keeps from its manual: list items, table rows, and the sentence that introduces them.

Loaders write a DOCX, HTML or Markdown table row as cells joined by " | "; PDFium writes a Japanese table row as its
cells with a space between them (Japanese prose has no spaces). A list item opens with 1. 2) ① - • ・. A lead-in
ends with ：/: or announces what follows (次の, 以下の, "as follows", "the following"): shown alone it says nothing.
Evidence, drafting and the citation checker recognise these with the patterns here, and `to_markdown` shows a
passage's slice with its rows as a Markdown table and its items one per line.
"""

from __future__ import annotations

import re
import unicodedata

LIST_ITEM = re.compile(r"^\s*(?:[0-9０-９]{1,2}[.)．、](?!\d)|[-•・●■*①-⑳](?=\s|[^\x00-\x7f]))\s*")
NUMBERED = re.compile(r"^\s*([0-9０-９]{1,2})[.)．、](?!\d)")
_CJK = r"\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f々〆ヵヶ"
PIPE_ROW = re.compile(r"\S\s+\|\s+\S")
CELL_GAP = re.compile(rf"(?<=[{_CJK}）)」]) +(?=[{_CJK}0-9（(「A-Za-z])|(?<=[0-9A-Za-z%)]) +(?=[{_CJK}（(「])")
LEAD_IN = re.compile(
    r"^(?:表|図表)\s*[0-9０-９][0-9０-９\-.．]*\s|^table\s+\d+[.:]?\s|[：:]\s*$|次の(?!日|週|月|年|営業日|回|朝|便|方)|以下の(?!場合)|下記の|下表|次表"
    r"|\bas follows\b|\bthe following\b|\bthese steps\b|\bfollow(?:ing)? steps\b",
    re.I,
)


HEADING = re.compile(r"^(?:第[0-9一二三四五六七八九十百]+[章節条部]|[0-9]+(?:\.[0-9]+)*\.?\s+\S|[■◆●□▼【])")


# Japanese outline markers: 「ア 簡易型」「(イ) 特別簡易型」「(1) 総合評価方式のタイプについて」「（２）技術力の評価」.
OUTLINE = re.compile(
    r"^\s*(?:[ア-ン](?=[ 　])|[(（](?:[0-9０-９]{1,2}|[ア-ン]|[一二三四五六七八九十]{1,2}|[a-zａ-ｚ])[)）])[ 　]*(?=\S)"
)


def is_outline_heading(line: str) -> bool:
    """A short line opened by an outline marker, without a sentence end: the heading of what follows."""
    s = line.strip()
    m = OUTLINE.match(s)
    return (bool(m) and 2 <= len(s) - m.end() and len(s) <= 40 and not CELL_GAP.search(s[m.end():])
            and not s.endswith(("。", "．", ".", "、", ",", "：", ":")))


_BULLET = re.compile(r"[■◆●□▼]")


def is_heading(line: str) -> bool:
    """A heading of either kind: numbered or marked (looks_like_heading) or an outline heading."""
    return looks_like_heading(line) or is_outline_heading(line)


def looks_like_heading(line: str) -> bool:
    """A numbered or marked short line ("3.2 Returns", "第2章 経費", "■ 注意") without sentence end. Not a heading:
    a table row or a series of numbers (「21.8 | - | 32.6」「0 % 10 % 20 %」, a chart's axis), a line of several
    bullet items (「●事務所所在地 ●立地環境」), a bullet line cut at a particle (「● 入荷時に箱、…状態を」)."""
    s = line.strip()
    if re.match(r"^[0-9]+\s", s) and ("、" in s or len(s) > 40):  # 「2 融資や投資といった、…」: a numbered line
        return False
    if len(s) > 60 or len(s) < 2 or not HEADING.match(s) or s.endswith(("。", ".", "、", ",")):
        return False
    if PIPE_ROW.search(s):
        return False
    words = re.sub(r"^(?:[0-9]+(?:\.[0-9]+)*\.?|第[0-9一二三四五六七八九十百]+[章節条部])", "", s)
    if len(re.findall(r"[^\W\d_]", words)) < 2:  # no words after the number: a figure, not a title
        return False
    if _BULLET.match(s) and (len(_BULLET.findall(s)) > 1 or re.search(r"[をにがのはとでや、]$", s)):
        return False
    return True


def is_list_item(line: str) -> bool:
    return bool(LIST_ITEM.match(line))


def is_table_row(line: str) -> bool:
    """A line of table cells: " | " between cells, or (PDF) two or more Japanese cells with a space between them.
    A sentence (it ends with 。) or a list item is not a row, unless its cells are drawn with " | " (a cell may
    hold sentences, the first one a number: 「(4) | 取引モニタリング… | …促進する。 | 令和6年春」)."""
    text = line.strip()
    if PIPE_ROW.search(text):
        return True
    if not text or text.endswith(("。", "．")) or is_list_item(text):
        return False
    if "。" in text:  # a sentence ends inside the line: prose that wrapped, not cells
        return False
    if (m := OUTLINE.match(text)) and not CELL_GAP.search(text[m.end():]):
        return False  # 「ア 簡易型」: the space follows an outline marker, not a cell
    # One space makes a row of two cells only in a short line: a space the text keeps beside a number in a long
    # line of prose (「2000 年代においては、前半に、…」) is not a cell gap.
    gaps = len(CELL_GAP.findall(text))
    short = len(text) <= 40
    return (gaps >= 2 or (gaps == 1 and short)) and len(text) <= 160 and not text.endswith((".", "!", "?"))


def cells(line: str) -> list[str]:
    text = line.strip()
    if PIPE_ROW.search(text):
        return [c.strip() for c in text.strip("|").split("|")]
    return [c.strip() for c in CELL_GAP.split(text) if c.strip()]


def is_lead_in(sentence: str) -> bool:
    return bool(LEAD_IN.search(unicodedata.normalize("NFKC", sentence).strip()))


def to_markdown(text: str) -> str:
    """`text` (a slice of a passage) for a reader: table rows as one Markdown table (the first row is its header),
    list items one per line, a heading line in bold on its own, wrapped lines of prose joined."""
    from assistant.core.sentences import unwrap

    out: list[tuple[str, str]] = []  # (kind, markdown) of each block
    prose: list[str] = []
    rows: list[list[str]] = []

    def flush_prose() -> None:
        if prose:
            out.append(("item" if is_list_item(prose[0]) else "text", unwrap("\n".join(prose))))
            prose.clear()

    def flush_rows() -> None:
        if rows:
            width = max(len(r) for r in rows)
            table = [r[: width - 1] + [" ".join(r[width - 1 :])] if len(r) > width else r + [""] * (width - len(r))
                     for r in rows]
            out.append(("table", "\n".join(
                ["| " + " | ".join(_cell(c) for c in table[0]) + " |", "|" + " --- |" * width]
                + ["| " + " | ".join(_cell(c) for c in r) + " |" for r in table[1:]]
            )))
            rows.clear()

    for line in text.split("\n"):
        if not line.strip():
            continue
        if is_heading(line):
            flush_prose()
            flush_rows()
            out.append(("heading", f"**{line.strip()}**"))
        elif is_table_row(line):
            flush_prose()
            row = cells(line)
            if not rows or row != rows[0]:  # a chunk inside a table repeats its header row: shown once
                rows.append(row)
        elif is_list_item(line):
            flush_prose()
            flush_rows()
            prose.append(line.strip())
        else:
            flush_rows()
            if prose and not is_list_item(prose[0]) and not prose[-1].rstrip().endswith(("。", ".", "：", ":")):
                prose.append(line)  # a wrapped line of the same paragraph
            elif prose and is_list_item(prose[0]):
                prose.append(line)  # an item's wrapped continuation
            else:
                flush_prose()
                prose.append(line)
    flush_prose()
    flush_rows()
    # Consecutive list items stay one list; every other block is a paragraph of its own.
    text = ""
    for i, (kind, block) in enumerate(out):
        if i:
            text += "\n" if kind == "item" and out[i - 1][0] == "item" else "\n\n"
        text += block
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").strip()
