"""Passage evidence: an explanation, reason, comparison, enumeration or procedure is answered by a paragraph, not by
the one sentence that best repeats the question's words.

The best sentences (evidence.py) are widened to the paragraph they stand in: back to its first sentence and on to
its last, and on into the next paragraph while the passage is short (a PDF line that happened to end with 「。」 is
not always a paragraph's end); never across a heading, within PASSAGE_CHARS, and never starting or ending inside a
sentence. The sentences that matched the question are highlighted inside it. Lists and tables come whole as
before (evidence._with_block).
"""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.answering.evidence import Evidence
from assistant.core.layout import is_heading, is_list_item, is_table_row
from assistant.core.sentences import sentence_spans
from assistant.retrieval import Hit

PASSAGE_CHARS = 700  # a passage stops growing here
PASSAGE_MIN = 220  # a paragraph shorter than this brings the next one
MAX_PASSAGES = 2  # passages shown for one question (or one part of it)
# A footnote at a page's foot (「33コラム8…参照」「32（ベンチャーデット）…」): not part of the text above or below it.
_FOOTNOTE = re.compile(r"^[0-9]{1,3}(?:（|[^\s0-9.,．、)）%年月日])")


def widen(ev: Evidence, hits: list[Hit]) -> Evidence:
    """`ev` widened to its paragraph (see the module docstring), its own sentences highlighted."""
    passage = hits[ev.number - 1].context or hits[ev.number - 1].text
    spans = sentence_spans(passage)
    inside = [i for i, (a, b) in enumerate(spans) if a < ev.end and ev.start < b]
    if not inside or any(is_table_row(passage[a:b]) for a, b in spans[inside[0] : inside[-1] + 1]):
        return ev  # a table (or part of one) is shown as a table, not widened into prose
    text = lambda i: passage[spans[i][0] : spans[i][1]]  # noqa: E731
    lo, hi = inside[0], inside[-1]
    size = lambda a, b: spans[b][1] - spans[a][0]  # noqa: E731

    def joined(i: int) -> bool:
        """Sentence i continues the paragraph of sentence i - 1."""
        return "\n" not in passage[spans[i - 1][1] : spans[i][0]] and not _heading(text(i))

    def addable(i: int) -> bool:
        return not _heading(text(i)) and not is_table_row(text(i)) and not _FOOTNOTE.match(text(i))

    while lo > 0 and joined(lo) and addable(lo - 1) and size(lo - 1, hi) <= PASSAGE_CHARS:
        lo -= 1
    while hi + 1 < len(spans) and addable(hi + 1) and size(lo, hi + 1) <= PASSAGE_CHARS and (
        joined(hi + 1) or size(lo, hi) < PASSAGE_MIN or is_list_item(text(hi + 1))
    ):
        hi += 1
    while hi > inside[-1] and is_heading(text(hi)):
        hi -= 1  # a heading introduces the text after it: a passage does not end on one (nor on its first line)
    start, end = min(spans[lo][0], ev.start), max(spans[hi][1], ev.end)
    if (start, end) == (ev.start, ev.end):
        return ev
    return replace(ev, text=passage[start:end], start=start, end=end,
                   highlights=ev.highlights or [(ev.start, ev.end)])


def _heading(sentence: str) -> bool:
    """A section heading inside a passage (「3.2 審査」「第5条 …」「■ 留意事項」): a passage does not cross it."""
    return is_heading(sentence) and len(sentence) <= 40
