"""Sentence splitting for Japanese and English text (sources and answers): after . ! ? followed by white
space (not after an initial or a common abbreviation: "William E. Simon", "e.g. the VPN", "Fig. 3"), after 。．！？
(a full-width full stop ends a sentence too), and at line breaks. Pieces keep their trailing characters, so joining
them restores the text."""

from __future__ import annotations

import re
import unicodedata

# Python's look-behinds have a fixed width: one per abbreviation length.
NOT_AN_END = (
    r"(?<!\b[A-Z]\.)(?<!\b(?:Mr|Ms|Dr|St|vs|cf|No|pp)\.)(?<!\b(?:Mrs|Fig|ref)\.)(?<!\be\.g\.)(?<!\bi\.e\.)"
    r"(?<!\bapprox\.)"
)
# 「（以下「法」という。）における…」: a full stop before a closing bracket ends the bracket's text, not the sentence.
CLOSES = r"(?!\s*[)）」』】])"
SENTENCE_END = re.compile(rf"(?<=[.!?]){NOT_AN_END}(?=\s)|(?<=[。．！？]){CLOSES}|(?<=\n)")


def split_sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text) if s]


# In source passages a single line break is usually where a PDF line wrapped, not where a sentence ends: it ends a
# sentence only before a blank line, a list item, a bullet or a footnote.
PASSAGE_END = re.compile(
    rf"(?<=[.!?]){NOT_AN_END}(?=\s)|(?<=[。．！？]){CLOSES}|\n(?=\s*\n|\s*(?:[0-9０-９]{{1,2}}[.)．]\s|[-•・*●■①-⑳]))"
    r"|\n(?=[0-9]{1,3}[(（][^()（）\n]{2,30}[)）])"  # a footnote that names its term (ingest/loaders/pdf_layout.py)
)


LIST_NUMBER = re.compile(r"[0-9０-９]{1,3}[.)．]")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a source passage, surrounding white space excluded; wrapped lines are
    joined (see PASSAGE_END), and each table row is a sentence of its own, whole even when its cells hold sentences
    (`core/layout.py`)."""
    from assistant.core.layout import is_heading, is_table_row

    out: list[tuple[int, int]] = []
    pos, prose = 0, 0  # prose: where the text since the last row starts

    def flush(end: int) -> None:
        for a, b in _prose_spans(text[prose:end]):
            a, b = prose + a, prose + b
            # A heading line (「イ 特別簡易型」「3.2 審査」) wrapped into the sentence under it is a span of its own.
            first, nl, _ = text[a:b].partition("\n")
            if nl and is_heading(first):
                out.append((a, a + len(first.rstrip())))
                a += len(first) + 1
                a += len(text[a:b]) - len(text[a:b].lstrip())
            out.append((a, b))

    for line in text.split("\n"):
        a, b = pos, pos + len(line)
        pos = b + 1
        if line.strip() and is_table_row(line):
            flush(a)
            out.append((a + len(line) - len(line.lstrip()), b - (len(line) - len(line.rstrip()))))
            prose = min(pos, len(text))
    flush(len(text))
    return out


def _prose_spans(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in [*PASSAGE_END.finditer(text), None]:
        end = m.end() if m is not None else len(text)
        if m is not None and m.start() == m.end() and end == pos:
            continue
        piece = text[pos:end]
        lead = len(piece) - len(piece.lstrip())
        body = piece.strip()
        if m is not None and LIST_NUMBER.fullmatch(body):
            continue  # "1." opening a list item belongs to the item
        if body:
            spans.append((pos + lead, pos + lead + len(body)))
        pos = end
    return spans


def unwrap(text: str) -> str:
    """A passage's sentence as one line: a wrapped line break becomes a space between Latin words, nothing
    between Japanese characters."""
    return re.sub(r"\s*\n\s*", lambda m: " " if _latin_around(text, m) else "", text).strip()


def _latin_around(text: str, m: re.Match[str]) -> bool:
    before = text[m.start() - 1] if m.start() > 0 else ""
    after = text[m.end()] if m.end() < len(text) else ""
    return (before.isascii() and before.isalnum()) or (after.isascii() and after.isalnum()) or before in ",.;:)"


def squeezed(text: str) -> tuple[str, list[int]]:
    """`text` NFKC-normalised, case-folded and without white space, with each kept character's index in `text`
    (NFKC may turn one character into several: all map to it). Finds a model's span or a sentence on a page
    whatever the widths, case and line wraps."""
    chars, where = [], []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).casefold():
            if not c.isspace():
                chars.append(c)
                where.append(i)
    return "".join(chars), where
