"""Evidence: the exact sentences of the manuals that answer the question, found in milliseconds, before any model.

Every sentence of the retrieved passages is scored for the question:
- the idf-weighted share of the question's words it holds (the passage's section heading counts for part of it:
  「第10条 日当」 tells what 「1日2,000円」 is about);
- whether it holds the kind of answer asked for (an amount for いくら, a duration for how long...: answer_types.py);
- a small preference for the better-ranked passage.
A sentence that cannot stand alone (it starts with "It", 「これ」...) is shown with the sentence before it; a step of
a procedure is shown with the steps around it. One precise sentence is preferred to three vague ones: more are
shown only when they score nearly as well.

The evidence is labelled "From the manuals" only when the best sentence holds most of the question's key words and
the kind of answer asked for; otherwise the sentences are "closest passages — they may not answer this".
Thresholds were tuned on the first half of each dev set (bench/evidence.py) and are reported on the second half.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.answering.answer_types import STEPS, has_type, question_type
from assistant.core.layout import (
    LIST_ITEM,
    NUMBERED,
    OUTLINE,
    cells,
    is_heading,
    is_lead_in,
    is_list_item,
    is_outline_heading,
    is_table_row,
    to_markdown,
)
from assistant.core.sentences import sentence_spans, unwrap
from assistant.core.terms import topic_terms, weighted_share
from assistant.kb.keywords import match_stem
from assistant.retrieval import Hit

TYPE_BONUS = 0.25  # a sentence holding the kind of answer asked for
TYPE_PENALTY = 0.1  # one that does not, when the question asks for a kind
HEADING_WEIGHT = 0.5  # a question word found only in the passage's section heading counts this much
CARRIED_WEIGHT = 0.5  # a word a follow-up's query carried over from the previous question
PREFER_MARGIN = 0.25  # a preferred sentence may hold this much less of the question's words than the best one
RANK_PRIOR = 0.04  # per rank step: the better-ranked passage wins a tie
PAIR_COST = 0.05  # two sentences must score this much better than one to be shown together
CONTRAST_COST = 0.3  # a part of a comparison: a sentence naming the other thing compared too (unless it defines)
MODIFIER_COST = 0.2  # a sentence about a sibling of the compound asked for (特定小売販売業 for 一般小売販売業)
CONFIDENT_SHARE = 0.5  # the best sentence (with its heading) holds at least this share of the question's weight
CLOSE_RATIO = 0.92  # further sentences are shown only when they score at least this share of the best
DENSE_WEIGHT = 1.0  # weight of the embedder's question-sentence cosine, for the best DENSE_TOP candidates
DENSE_TOP = 6
MAX_SENTENCES = 3
MAX_CHARS = 600
DEPENDENT = re.compile(
    r"^\s*(?:it|its|this|that|these|those|they|their|he|his|she|her|such|then|also|however|otherwise)\b"
    r"|^\s*(?:これ|それ|この|その|こちら|そちら|上記|同様|ただし|なお|また)",
    re.I,
)
# A noun phrase pointing back ("these devices", "this network type") anywhere in an English sentence: the sentence
# names its subject only in the one before, so that one is shown with it (selection is not changed by it).
ANAPHORIC_NP = re.compile(r"\b(?:this|these|those|such)\s+(?!is\b|was\b|are\b|were\b|has\b|will\b)[a-z]", re.I)
# After a list inside a sentence, the sentence's end: 「が対象となります。」「を除く。」
LIST_TAIL = re.compile(r"^(?:が|を|に|は|も|と|の|で|など|等)[^\n]{0,60}[。.]$")
MAX_BLOCK_CHARS = 1500  # a list or table brought in whole stops here
# A table of contents line (「3 ▪ 青果物小売業の… ........」) names a section without saying anything about it.
# Its lines may come joined into one run: a leader and a page number anywhere in the text is enough.
TABLE_OF_CONTENTS = re.compile(
    r"(?:\.{4,}|…{2,}|_{4,}|・{3,}|‥{2,}|－{4,})\s*(?:[-–0-9]*\s*(?:\|\s*)?$|[0-9]+)|^\s*目\s*次", re.M)
# An FAQ's question (「問1. 適用対象者を教えてください。」 "Q3. Can I …?"): shown only with the answer after it.
# A Japanese question may end with 「。」: 「…どのような手続きをすればよいでしょうか。」「…対象になりますか。」
QUESTION_SENTENCE = re.compile(
    r"(?:^|\s|[)）])(?:問|Q|質問)\s*[0-9０-９]+\s*[.．:：、]|[？?]\s*$|(?:でしょう|ます|です|ません)か[。．]\s*$", re.M)


@dataclass
class Evidence:
    number: int  # the source's number, as cited
    text: str  # exactly as in the source passage
    start: int  # offsets into that source's passage (Source.passage)
    end: int
    score: float
    matches_type: bool
    # Inside a passage (answering/passages.py), the sentences that matched the question: passage offsets.
    highlights: list[tuple[int, int]] = field(default_factory=list)

    @property
    def quote(self) -> str:
        """The sentence as shown: wrapped lines of the passage joined."""
        return unwrap(self.text)

    @property
    def markdown(self) -> str:
        """As shown in the chat and the API: table rows as a Markdown table, list items one per line, the
        sentences that matched the question in bold inside a passage."""
        text = self.text
        for a, b in sorted(self.highlights, reverse=True):
            a, b = max(a, self.start) - self.start, min(b, self.end) - self.start
            piece = text[a:b]
            plain = not any(is_table_row(ln) or is_list_item(ln) or is_heading(ln) for ln in piece.strip().split("\n"))
            if 0 < b - a < len(text) and piece.strip() and plain:
                lead, trail = len(piece) - len(piece.lstrip()), len(piece) - len(piece.rstrip())
                text = text[: a + lead] + "**" + piece.strip() + "**" + text[b - trail :]
        return to_markdown(text)


@dataclass
class EvidenceResult:
    items: list[Evidence] = field(default_factory=list)
    confident: bool = False
    answer_type: str | None = None


def find_evidence(
    question: str,
    hits: list[Hit],
    idf: dict[str, float],
    tokens: Callable[[str], list[str]],
    query: str = "",
    similarity: Callable[[list[str]], list[float]] | None = None,
    aliases: Sequence[tuple[str, str]] = (),
    prefer: Callable[[str], bool] | None = None,
    avoid: Callable[[str], bool] | None = None,
) -> EvidenceResult:
    """The best sentences of `hits` (numbered from 1, as the sources are) for `question`. `query` is what was
    searched for a follow-up: words it carried over from the conversation count half as much as the question's.
    `aliases` are (acronym, spelled-out form) pairs: a sentence holding one form holds the other's words too.
    `prefer`: a sentence that says what is asked (a definition for "what is X", a reason for "why": labels.py) goes
    first among those that hold the question's words as well as the best does. `avoid`: a sentence that names both
    things a comparison compares says how they differ at most in a word; each thing's part wants its own
    description first (CONTRAST_COST)."""
    kind = question_type(question) or (question_type(query) if query else None)
    alias_words = [({match_stem(t) for t in tokens(a)}, {match_stem(t) for t in tokens(b)}) for a, b in aliases]

    def words(text: str) -> set[str]:
        found = {match_stem(t) for t in tokens(text)}
        for short, long in alias_words:
            if short and short <= found:
                found |= long
            elif long and long <= found:
                found |= short
        return found

    weights = {t: idf.get(t, 0.0) for t in topic_terms(question, tokens)}
    asked = _plain(question)
    compounds = _compounds(question)
    for t in topic_terms(query, tokens) if query else ():
        weights.setdefault(t, CARRIED_WEIGHT * idf.get(t, 0.0))
    weights = {match_stem(t): w for t, w in weights.items()}
    total = sum(weights.values())
    # The label ("from the manuals") is judged on the question's own words: words a follow-up carried over help
    # find the passage, but a sentence that answers "which extension?" need not repeat the previous question.
    own_weights = {match_stem(t): idf.get(t, 0.0) for t in topic_terms(question, tokens)}
    own_total = sum(own_weights.values())
    # Words the query has that neither the question nor an acronym's other form has: carried from a conversation.
    alias_terms = {match_stem(t) for pair in aliases for form in pair for t in tokens(form)}
    carried = set(weights) - set(own_weights) - alias_terms
    if not hits or not total:
        return EvidenceResult(answer_type=kind)
    candidates: list[tuple[float, float, Evidence]] = []
    own_shares: dict[tuple[int, int], float] = {}
    for rank, hit in enumerate(hits):
        passage = hit.context or hit.text
        spans = sentence_spans(passage)
        if _table_of_contents(passage, spans):
            continue  # a contents page names every topic and answers none
        heading = words(" ".join(hit.heading_path))
        # The context is the hit's own section (retrieval keeps to it), so its heading is every sentence's; a table
        # row's header row and the line introducing its table are the row's (_table_headers).
        above_row = {a: heading | words(_unspaced(h)) for a, h in _table_headers(passage, spans).items()}
        # sentences naming both things a comparison compares (`avoid`)
        contrasts = [a for a, b in spans if avoid is not None and avoid(passage[a:b])]
        for i, (start, end) in _candidates(passage, spans, kind):
            text = passage[start:end]
            if len(text) < 6 or text.strip() in hit.heading_path or TABLE_OF_CONTENTS.search(text):
                continue
            if _number_soup(text) or _label_soup(text):
                continue  # a chart's axis and labels read as text (「0 10 20 30 … 児童のいる世帯」): no sentence
            if i >= 0 and QUESTION_SENTENCE.search(text):
                continue  # an FAQ's question repeats the words asked but answers nothing: its answer may
            found = words(_unspaced(text))
            # 「指定都市 | 25 | 300」 is read under 「(単位:メートル)」「… | 住宅地(B)」
            above = above_row.get(start, heading)
            share = _share(weights, total, found, above)
            own_shares[(rank + 1, start)] = _share(own_weights, own_total, found, above)
            typed = has_type(text, kind)
            score = share + (TYPE_BONUS if typed and kind else 0.0) - (TYPE_PENALTY if not typed else 0.0)
            score -= RANK_PRIOR * rank + (PAIR_COST if i < 0 else 0.0)
            if any(start <= a < end for a in contrasts):
                score -= CONTRAST_COST
            if _sibling_compound(compounds, text):
                score -= MODIFIER_COST
            candidates.append((score, share, Evidence(rank + 1, text, start, end, round(score, 4), typed)))
    if not candidates:
        return EvidenceResult(answer_type=kind)
    candidates.sort(key=lambda c: (-c[0], c[2].number, c[2].start))
    if similarity is not None and DENSE_WEIGHT > 0:
        top = candidates[:DENSE_TOP]
        cosines = similarity([unwrap(c[2].text) for c in top])
        top = [(sc + DENSE_WEIGHT * cos, sh, ev) for (sc, sh, ev), cos in zip(top, cosines, strict=True)]
        candidates = sorted(top, key=lambda c: (-c[0], c[2].number, c[2].start)) + candidates[DENSE_TOP:]
    # A table row or outline heading the question names by its label (「メリット | …」) is the answer's own place: it
    # goes first even when a sentence that repeats the question's words (and so reads closer) scored higher.
    for wanted in (lambda t: _labelled_by(t, asked), prefer):
        if wanted is None or wanted(candidates[0][2].text):
            continue
        top = candidates[0][1]
        better = [c for c in candidates[:DENSE_TOP] if c[1] >= max(CONFIDENT_SHARE, top - PREFER_MARGIN)
                  and wanted(c[2].text)]
        if better:
            candidates.remove(better[0])
            candidates.insert(0, (max(better[0][0], candidates[0][0]), *better[0][1:]))
            break
    best_score, best_share, best = candidates[0]
    chosen = [best]
    for score, _, ev in candidates[1:]:
        if len(chosen) == MAX_SENTENCES or sum(len(e.text) for e in chosen) + len(ev.text) > MAX_CHARS:
            break
        if score < CLOSE_RATIO * best_score or (kind and not ev.matches_type):
            break
        if any(overlaps(ev, e) for e in chosen):
            continue
        if kind not in (None, STEPS) and is_table_row(ev.text):
            continue  # a row of another table beside the answer to "where / how much" brings its table: noise
        chosen.append(ev)
    own = own_shares.get((best.number, best.start), 0.0)
    # A follow-up is judged on its own words where it has any: the words it carried from the previous question
    # ("locked", "wrong") would label that question's answer "from the manuals" for "how often must the password
    # be changed?". An elliptical follow-up (「宿泊を伴う場合は？」 "which extension?") holds its few words anyway.
    best_share = own if carried and own_total else max(best_share, own)
    # 「特定小売販売業の…」 does not answer a question about 一般小売販売業, however many of its words it holds.
    sibling = _sibling_compound(compounds, best.text)
    confident = best_share >= CONFIDENT_SHARE and best.matches_type and not sibling
    shown: list[Evidence] = []
    with_block: list[Evidence] = []
    for ev in chosen:
        wider = _with_antecedent(ev, hits)
        wider = ev if any(overlaps(wider, e) for e in chosen if e is not ev) else wider
        block = _with_block(wider, hits)
        if block is not wider:
            with_block.append(block)
        if ev is best and not (confident or sibling) and best_share >= CONFIDENT_SHARE and has_type(block.text, kind):
            confident = True  # the lead-in names the topic, its table or list holds the amount asked for
        if any(covers(e, block) for e in shown):
            continue
        shown = [e for e in shown if not covers(block, e)] + [block]
    # For "what / how" questions a lead-in with its list or table is the fuller answer: it comes first among
    # sentences that scored as close (the page preview opens the first evidence's page). A question asking for one
    # thing (where, how much, when) keeps the sentence that says it first.
    if kind in (None, STEPS):
        shown = [e for e in shown if e in with_block] + [e for e in shown if e not in with_block]
    return EvidenceResult(shown, confident, kind)


def _number_soup(text: str) -> bool:
    """Mostly numbers, not a table row: the text of a chart (its axis, its data labels), not a sentence."""
    if any(" | " in line for line in text.split("\n")):
        return False
    words = len(re.findall(r"[^\W\d_]", text))
    numbers = len(re.findall(r"\d+(?:[.,]\d+)*", text))
    return numbers >= 8 and words < 3 * numbers


_COMPOUND = re.compile(r"[一-龥ァ-ヶー]+")
_NEGATING = "非不未無"


def _compounds(question: str) -> list[str]:
    """The question's long kanji or katakana compounds (「一般小売販売業」「非機能要件」)."""
    return [c for c in _COMPOUND.findall(unicodedata.normalize("NFKC", question)) if len(c) >= 4 and "何" not in c]


def _sibling_compound(compounds: list[str], text: str) -> bool:
    """The text names another kind of what was asked instead of it: 「特定小売販売業」 for 「一般小売販売業」 (same
    head, other modifier), 「機能要件」 for 「非機能要件」 (the negating prefix gone). Sudachi splits the modifier
    off as a word of low weight, so without this such a sentence holds nearly all of the question's words."""
    if not compounds:
        return False
    runs = set(_COMPOUND.findall(unicodedata.normalize("NFKC", text)))
    for c in compounds:
        if c in text:
            continue
        head = len(c) - 2
        for r in runs:
            common = len(os.path.commonprefix([r[::-1], c[::-1]]))
            if common >= max(2, head) and r != c and (len(r) > common or c[0] in _NEGATING):
                return True
    return False


def _table_of_contents(passage: str, spans: list[tuple[int, int]]) -> bool:
    """Most of the passage (its sentence `spans`) is contents lines (a title, a leader, a page number), joined or
    not."""
    toc = sum(b - a for a, b in spans if TABLE_OF_CONTENTS.search(passage[a:b]))
    return len(TABLE_OF_CONTENTS.findall(passage)) >= 3 and toc >= 0.8 * sum(b - a for a, b in spans)


def _table_headers(passage: str, spans: list[tuple[int, int]]) -> dict[int, str]:
    """For each table row after the first of its table (by start offset): the header row, with the sentence just
    before the table when it introduces it (「(単位:メートル)」「次の表のとおり。」)."""
    out: dict[int, str] = {}
    header = None
    for j, (a, b) in enumerate(spans):
        if not is_table_row(passage[a:b]):
            header = None
            continue
        if header is None:
            header = passage[a:b]
            if j > 0:
                before = passage[spans[j - 1][0] : spans[j - 1][1]]
                if len(before) <= 80 and not is_table_row(before):
                    header = before + "\n" + header
            continue
        out[a] = header
    return out


_LETTER_SPACED = re.compile(r"(?<![^\s|])[一-龥ァ-ヶ](?: [一-龥ァ-ヶ]){2,}(?![^\s|])")


def _unspaced(text: str) -> str:
    """「指 定 都 市」 (a PDF's letter-spaced cell) read as the word it is, 「指定都市」, for matching."""
    return _LETTER_SPACED.sub(lambda m: m.group(0).replace(" ", ""), text)


def _label_soup(text: str) -> bool:
    """Long Japanese text without one comma or full stop, not a table row: a diagram's boxes read in a run
    (「…グループ④ 冷蔵のもの 10°C以下で流通する商品青果物小売業の一般的な工程…」), not a sentence."""
    if any(" | " in line for line in text.split("\n")) or re.search(r"[、。，．,]|\. ", text):
        return False
    return len(re.findall(r"[\u3040-\u30ff\u4e00-\u9fff]", text)) >= 80


def _plain(text: str) -> str:
    return re.sub(r"[\s・「」『』()（）]", "", unicodedata.normalize("NFKC", text)).lower()


def _labelled_by(text: str, asked: str) -> bool:
    """The candidate is a table row or an outline heading whose label the question names: 「メリット | 消費者から…」
    for 「…のメリットを教えて」, 「イ 特別簡易型」 for 「…と特別簡易型の違い」. Such a row or heading is the answer's
    own place, where a sentence that repeats the question's words (and scores as well) only introduces it."""
    for line in text.split("\n"):
        if is_table_row(line):
            label = cells(line)[0]
        elif (m := OUTLINE.match(line)) and is_outline_heading(line):
            label = line[m.end():]
        else:
            continue
        if len(label := _plain(label)) >= 2 and label in asked:
            return True
    return False


def _share(weights: dict[str, float], total: float, found: set[str], heading: set[str]) -> float:
    """The weighted share of the question's words a sentence holds; words found only in its section's heading
    count HEADING_WEIGHT."""
    if not total:
        return 0.0
    share = weighted_share(weights, found)
    return share + HEADING_WEIGHT * sum(w for t, w in weights.items() if t in heading and t not in found) / total


def _candidates(passage: str, spans: list[tuple[int, int]], kind: str | None) -> list[tuple[int, tuple[int, int]]]:
    """Spans to score: each sentence (index >= 0), and each pair of neighbouring sentences (index -1): the answer is
    often in the sentence after the one that repeats the question's words. A sentence that cannot stand alone is
    taken with the one before it; a step of a procedure with the steps around it."""
    out: list[tuple[int, tuple[int, int]]] = []
    for i, (start, end) in enumerate(spans):
        text = passage[start:end]
        if DEPENDENT.search(text) and i > 0:
            start = spans[i - 1][0]
        if kind == STEPS and LIST_ITEM.search(text):
            start, end = _list_around(passage, spans, i)
        out.append((i, (start, end)))
        if i > 0 and start != spans[i - 1][0]:
            out.append((-1, (spans[i - 1][0], end)))
    return out


def _with_antecedent(ev: Evidence, hits: list[Hit]) -> Evidence:
    """`ev` starting at the sentence before it when its first sentence points back with a noun phrase."""
    passage = hits[ev.number - 1].context or hits[ev.number - 1].text
    spans = sentence_spans(passage)
    first = next((i for i, (a, b) in enumerate(spans) if a <= ev.start < b), None)
    if not first or not ANAPHORIC_NP.search(passage[spans[first][0] : spans[first][1]]):
        return ev
    start = spans[first - 1][0]
    return Evidence(ev.number, passage[start : ev.end], start, ev.end, ev.score, ev.matches_type)


def _with_block(ev: Evidence, hits: list[Hit]) -> Evidence:
    """`ev` with the list or table it belongs to, so a procedure or a table is never shown in part:
    - a lead-in (「次の項目を点検し…」, "as follows:") brings the items or rows that follow it;
    - a table row brings its table from the header row;
    - a list item brings its list from the first item (and the lead-in before it).
    Offsets stay offsets into the passage; the block stops at MAX_BLOCK_CHARS."""
    passage = hits[ev.number - 1].context or hits[ev.number - 1].text
    spans = sentence_spans(passage)
    inside = [i for i, (a, b) in enumerate(spans) if a < ev.end and ev.start < b]
    if not inside:
        return ev
    first, last = inside[0], inside[-1]
    text = lambda i: passage[spans[i][0] : spans[i][1]]  # noqa: E731

    def block(i: int) -> bool:
        """A list item or table row, or a sentence continuing an item on the item's line ("…"Tokyo-Main". If it
        is slow, choose…")."""
        if is_list_item(text(i)) or is_table_row(text(i)):
            return True
        return i > 0 and is_list_item(text(i - 1)) and "\n" not in passage[spans[i - 1][1] : spans[i][0]]

    lo, hi = first, last
    if is_table_row(text(first)):  # back to the header row
        while lo > 0 and is_table_row(text(lo - 1)):
            lo -= 1
    elif block(first):  # back to the first item
        while lo > 0 and block(lo - 1) and not _first_item(text(lo)):
            lo -= 1
    if lo > 0 and block(lo) and is_lead_in(text(lo - 1)):
        lo -= 1  # the sentence that introduces the list or table
    if is_lead_in(text(hi)) and hi + 2 < len(spans) and not block(hi + 1) and block(hi + 2):
        hi += 1  # 「次の項目を点検し、点検表に記録する。異常がある場合は…。」 then the table
    listed = hi
    if is_lead_in(text(hi)) or block(hi) or _opens_list(text(hi)) or (hi > 0 and is_lead_in(text(hi - 1))):
        while hi + 1 < len(spans) and block(hi + 1):  # on to the last item or row
            hi += 1
    if hi > listed and hi + 1 < len(spans) and LIST_TAIL.match(text(hi + 1)):
        hi += 1  # 「具体的には、・A ・B が対象となります。」: the sentence the list stands in goes on after it
    start, end = min(spans[lo][0], ev.start), max(spans[hi][1], ev.end)
    if (start, end) == (ev.start, ev.end) or end - start > MAX_BLOCK_CHARS:
        return ev
    return Evidence(ev.number, passage[start:end], start, end, ev.score, ev.matches_type)


def _opens_list(sentence: str) -> bool:
    """「具体的には、・ 免税事業者が…」: the sentence's first item stands on its line, the others follow."""
    return bool(re.search(r"[、：:]\s*[・●○◦]\s*\S", sentence.split("\n")[-1]))


def _first_item(text: str) -> bool:
    m = NUMBERED.match(text)
    return bool(m) and int(unicodedata.normalize("NFKC", m.group(1))) == 1


def covers(a: Evidence, b: Evidence) -> bool:
    """`a` holds all of `b` (same source)."""
    return a.number == b.number and a.start <= b.start and b.end <= a.end


def overlaps(a: Evidence, b: Evidence) -> bool:
    """`a` and `b` share text of the same source."""
    return a.number == b.number and a.start < b.end and b.start < a.end


def _list_around(passage: str, spans: list[tuple[int, int]], i: int) -> tuple[int, int]:
    """The run of list items (steps) around sentence i, at most 8 of them."""
    lo = hi = i
    while lo > 0 and i - lo < 7 and LIST_ITEM.search(passage[spans[lo - 1][0] : spans[lo - 1][1]]):
        lo -= 1
    while hi + 1 < len(spans) and hi - lo < 7 and LIST_ITEM.search(passage[spans[hi + 1][0] : spans[hi + 1][1]]):
        hi += 1
    return spans[lo][0], spans[hi][1]
