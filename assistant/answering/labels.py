"""The evidence of a question as it is shown, with the label it deserves.

- answered: every part of the question has evidence labelled "from the manuals" (evidence.py's test: the best
  sentence holds most of the part's key words and the kind of answer it asks for);
- partly: some parts do, the others are said to be not found;
- related: none does: the closest passages, which may not answer;
- figure: a number was asked and neither the evidence nor the best passage's text holds one: it may be in a figure
  or chart on that page, whose image is shown; never "answered".
"Not found" is decided before any of this, by relevance.py. Explanation, reason, comparison, enumeration and
procedure questions get passages (passages.py); a multi-part question is answered part by part
(question_parts.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.answering.answer_types import AMOUNT, SENTENCE_FEATURES, question_type
from assistant.answering.evidence import QUESTION_SENTENCE, Evidence, covers, find_evidence, overlaps
from assistant.answering.passages import MAX_PASSAGES, PASSAGE_CHARS, widen
from assistant.answering.question_parts import (
    COMPARE,
    ENUMERATE,
    EXPLAIN,
    compared_items,
    names_other,
    passage_kind,
    split_parts,
)
from assistant.core.layout import is_heading, is_lead_in, is_list_item, is_table_row
from assistant.core.sentences import sentence_spans
from assistant.retrieval import Hit

ANSWERED, PARTLY, RELATED, FIGURE = "answered", "partly", "related", "figure"
MAX_SHOWN_CHARS = 2 * PASSAGE_CHARS  # all the passages of one answer together

# Asked for a number: "how much / how many", 何円・何人・何% …; a question that only names a cost
# (「費用を…できますか」) asks for none.
_NUMBER_ASKED = re.compile(
    r"いくら|幾ら|いくつ|何\s*(?:円|%|パーセント|割|倍|人|名|件|回|個|台|枚|か所|箇所|本|社|店|世帯|都県|兆|億|万|千"
    r"|トン|キロ|メートル)|どのくらい|どれくらい|どれだけ"
    r"|\bhow (?:much|many)\b|\bwhat (?:percentage|share|proportion|number|amount)\b", re.I)
# 「何人」「何メートル」: the number asked for comes with its unit (「8割」 is no head count). Counters of things are
# not told apart: 「何個ありますか」 is answered by 「合計3か所にある」.
_COUNTER_ASKED = re.compile(r"何\s*(人|名|世帯|トン|メートル)")
_SAME_UNIT = {"人": "人|名", "名": "人|名"}
_PERCENT_ASKED = re.compile(r"何\s*%|何パーセント|何割|割合|比率|シェア|\bpercent|\bshare of\b|\bratio\b", re.I)
_BIG_AMOUNT_ASKED = re.compile(r"何兆|何億|何万|何千")
# Numbers that are not an answer to "how many / how much": years, dates, figure and table numbers, article numbers.
_NOT_A_FIGURE = re.compile(
    r"(?:19|20)\d\d\s*年度?|(?:令和|平成|昭和)\s*\d+\s*年度?|\d+\s*月\s*\d*\s*日?|(?:図表?|表|figure|table|fig\.)\s*[\d\-‐.]+"
    r"|p\.\s*\d+|第\s*\d+\s*[条章節項号回]|\d*\s*[(（]\s*\d+\s*[)）]|^\s*\d+[.)]", re.I | re.M)


@dataclass
class Part:
    question: str
    items: list[Evidence]
    confident: bool


@dataclass
class LabelledEvidence:
    items: list[Evidence] = field(default_factory=list)
    label: str = RELATED
    parts: list[Part] = field(default_factory=list)
    answer_type: str | None = None
    figure: tuple[int, int] | None = None  # (source number, page) whose figure may hold the number asked for

    @property
    def confident(self) -> bool:
        return self.label == ANSWERED


def labelled_evidence(
    question: str,
    hits: list[Hit],
    idf: dict[str, float],
    tokens: Callable[[str], list[str]],
    query: str = "",
    similarity: Callable[[list[str]], list[float]] | None = None,
    aliases: Sequence[tuple[str, str]] = (),
) -> LabelledEvidence:
    """The evidence to show for `question` (its parts, passages) and its label; `aliases`: evidence.py."""
    kind = passage_kind(question)
    parts: list[Part] = []
    answer_type = None
    about = False
    texts = split_parts(question)
    pair = compared_items(question) if len(texts) == 2 else None
    for n, text in enumerate(texts):
        avoid = None
        if pair:  # 「AとBの違い」: A's part wants A's own description, not the sentence naming both
            own, other = pair[n], pair[1 - n]
            # (one that defines both, 「…を「A」、…を「B」と呼ぶ」, is as good as two)
            avoid = lambda t, own=own, other=other: names_other(t, own, other) and not _DEFINES.search(t)  # noqa: E731
        # A part is judged on its own words: the other part's words would count against it as carried ones.
        part_query = text if len(texts) > 1 else (query or question)
        found = find_evidence(text, hits, idf, tokens, query=part_query, similarity=similarity, aliases=aliases,
                              prefer=_preference(text), avoid=avoid)
        answer_type = answer_type or found.answer_type
        faq = bool(found.items) and bool(QUESTION_SENTENCE.search(found.items[0].text.split("\n")[0]))
        part_kind = kind or passage_kind(text)
        found_items = found.items
        if part_kind in (EXPLAIN, COMPARE):  # an explanation: the best paragraph first, not a list that scored near
            found_items = sorted(found_items, key=lambda e: -e.score)
        items = _passages(found_items, hits) if (part_kind or faq) else found_items
        if items and _bare(items[0]) and (wide := widen(items[0], hits)).end > items[0].end:
            # 「…次のとおり支給する。」 announces the sentence after it: shown with it (and not twice)
            items = [wide, *(e for e in items[1:] if not overlaps(e, wide))]
        # A lead-in without its list or a heading-like line is where the answer starts, not the answer; "what is
        # X" wants a definition and "why" a reason in the passage, not only X named.
        sure = (found.confident and bool(items) and not _bare(items[0]) and not _lone_row(items[0], hits)
                and _says_what_is_asked(text, items) and _holds_focus(text, items))
        unit = asked_number(text)
        if unit and not any(holds_number(e.text, unit) for e in items):
            about = about or sure  # the passage is about what was asked; its number is not in its text
            sure = False  # 「何%ですか」 answered by sentences that hold no percentage is not answered
        parts.append(Part(text, items, sure))
    if 0 < sum(p.confident for p in parts) < len(parts):
        for part in parts:  # a part not answered says so, instead of showing what another part found
            if not part.confident:
                part.items = []
    items: list[Evidence] = []
    for part in parts:
        for ev in part.items:
            if not any(covers(e, ev) for e in items):
                items = [e for e in items if not covers(ev, e)] + [ev]
    if not items:
        return LabelledEvidence(parts=parts, answer_type=answer_type)
    sure = sum(p.confident for p in parts)
    label = ANSWERED if sure == len(parts) else PARTLY if sure else RELATED
    if label == RELATED and len(parts) > 1:
        parts = [Part(question, items, False)]  # nothing answered: the closest passages, not part by part
    # "It may be in a figure on p.N" only where the passage is about what was asked: a number asked for in a
    # question the documents do not cover is not in a figure of an unrelated page.
    figure = _figure(question, items, hits) if about else None
    if figure is not None:
        label = FIGURE
    return LabelledEvidence(items, label, parts, answer_type, figure)


def _passages(items: list[Evidence], hits: list[Hit]) -> list[Evidence]:
    """The items widened to their paragraphs; one that a passage already holds is dropped, and no more than
    MAX_PASSAGES passages (MAX_SHOWN_CHARS in all) are kept."""
    out: list[Evidence] = []
    for ev in items:
        wide = widen(ev, hits)
        if any(covers(e, wide) for e in out):
            continue
        out = [e for e in out if not covers(wide, e)]
        if out and (len(out) >= MAX_PASSAGES or sum(len(e.text) for e in out) + len(wide.text) > MAX_SHOWN_CHARS):
            break
        out.append(wide)
    return out


# "What is X?" asks what X is only when X is the whole rest of the question ("What is ISMAP?"); "what is the
# name of…" asks for a name.
_DEFINITION_ASKED = re.compile(r"とは(?:何|なに|どのような|どんな|どういう)|って何|どういう意味|の意味は"
                               r"|^\s*what (?:is|are) (?:an? )?(?!the\b)[\w\-]+(?: [\w\-]+){0,3}\s*\?\s*$"
                               r"|\bwhat does .+ (?:mean|stand for)\b", re.I)
_KIND_ASKED = re.compile(r"(?:どのような|どんな|どういう)([一-龥ァ-ヶー]{1,8})")  # 「…とはどのような契約形態ですか」
_DEFINES = re.compile(
    r"とは|すなわち|と呼ば|と呼ぶ|を指す|をいう|という。|のこと|こと。|を意味|と定義|の略|[(（][^()（）]{2,40}[)）]は、"
    r"|^\s*\d{1,3}（[^（）]{2,30}）"  # 「32（ベンチャーデット）ベンチャー企業に対する融資。」: the term's footnote
    r"|\b(?:is|are) (?:a|an|the)\b|\bmeans?\b|\brefers? to\b|\bdefined as\b|\bstands? for\b", re.I | re.M)
# 「ABR（アドレス・ベース・レジストリ）」 "ISMAP (…)": a spelled-out form in brackets defines the word beside it only
_ACRONYM = re.compile(r"[(（]\s*[A-Z][A-Za-z0-9&]{1,9}\s*[)）]")
_ACRONYM_OF = r"{0}\s*[(（][^()（）]{{2,40}}[)）]|[(（]\s*{0}\s*[)）]"
_TERM_ASKED = re.compile(r"^(?:そもそも)?(?P<t>[^、。？?]{2,30}?)(?:とは|って(?:何|なに))"
                         r"|^\s*what (?:is|are) (?:an? )?(?P<e>[\w\-]+(?: [\w\-]+){0,3})\s*\?", re.I)
_REASON_ASKED = re.compile(r"なぜ|何故|理由|どうして|\bwhy\b|\breason", re.I)
_GIVES_REASON = re.compile(r"ため|から|により|によって|による|背景|理由|要因|原因|\bbecause\b|\bdue to\b|\bsince\b"
                           r"|\bas a result\b|\bso that\b|\bowing to\b", re.I)


def _says_what_is_asked(question: str, items: list[Evidence]) -> bool:
    """A "what is X / Xとは" question is answered by a passage that defines something (「…とは」「…をいう」「…の
    こと」"is a", "means"), a "why" question by one that gives a reason (「ため」「により」「背景」"because")."""
    text = "\n".join(e.text for e in items)
    if _REASON_ASKED.search(question):
        return bool(_GIVES_REASON.search(text))
    if _DEFINITION_ASKED.search(question) and passage_kind(question) not in (COMPARE, ENUMERATE):
        kind = _KIND_ASKED.search(question)
        if kind and kind.group(1) in text:
            return True
        term = _TERM_ASKED.search(unicodedata.normalize("NFKC", question))
        if term is None:
            return bool(_DEFINES.search(text) or _ACRONYM.search(text))
        # an acronym spelled out defines only itself: 「（REVIC）」 beside 「コロナ借換保証」 does not define the latter
        word = re.escape(term.group("t") or term.group("e"))
        return bool(_DEFINES.search(text) or re.search(_ACRONYM_OF.format(word), text, re.I))
    return True


# 「代金についてどのような表示が必要ですか」: the word before について is what the question is about.
_FOCUS = re.compile(r"([一-龥ァ-ヶー]{2,})(?:について|に関して|に関する|に係る)")


def _holds_focus(question: str, items: list[Evidence]) -> bool:
    """A passage that does not name what the question is about (「代金について…」) does not answer it, however many
    of its other words it holds."""
    focus = _FOCUS.findall(unicodedata.normalize("NFKC", question))
    text = unicodedata.normalize("NFKC", "\n".join(e.text for e in items))
    return all(f in text for f in focus)


def _preference(question: str) -> Callable[[str], bool] | None:
    """For "what is X" and "why" questions: a sentence that says what is asked (_says_what_is_asked); for a list
    asked for (「何を確認しますか」「どのような項目」): a list, a table, or the sentence that introduces one."""
    if _REASON_ASKED.search(question) or (_DEFINITION_ASKED.search(question)
                                         and passage_kind(question) not in (COMPARE, ENUMERATE)):
        return lambda text: _says_what_is_asked(question, [Evidence(0, text, 0, len(text), 0.0, True)])
    if passage_kind(question) == ENUMERATE:
        return lambda text: any(is_lead_in(ln) or is_list_item(ln) or is_table_row(ln) for ln in text.split("\n"))
    return None


def _lone_row(ev: Evidence, hits: list[Hit]) -> bool:
    """A table row with no row under it in its passage: a header (「…による課題 | ネットワーク分離による課題」) whose
    cells the PDF gave as text below it says what the table is about, not what it says."""
    if "\n" in ev.text.strip() or not is_table_row(ev.text):
        return False
    passage = hits[ev.number - 1].context or hits[ev.number - 1].text
    after = passage[ev.end :].lstrip("\n").split("\n", 1)[0]
    before = passage[: ev.start].rstrip("\n").rsplit("\n", 1)[-1]
    return not is_table_row(after) and not is_table_row(before)


def _bare(ev: Evidence) -> bool:
    """A lead-in whose list did not come with it (its last sentence announces what follows), or a heading."""
    text = ev.text.strip()
    spans = sentence_spans(text)
    last = text[spans[-1][0] : spans[-1][1]] if spans else text
    return "\n" not in text and (is_lead_in(last) or is_heading(text))


def asked_number(question: str) -> str | None:
    """"%" for a share, "amount" for money, the unit for 「何人」「何メートル」…, "count" for any other number asked
    for; None when none is."""
    text = unicodedata.normalize("NFKC", question)
    if not _NUMBER_ASKED.search(text):
        return None
    if _PERCENT_ASKED.search(text):
        return "%"
    if question_type(text) == AMOUNT or _BIG_AMOUNT_ASKED.search(text):
        return "amount"
    counter = _COUNTER_ASKED.search(text)
    return counter.group(1) if counter else "count"


def holds_number(text: str, unit: str) -> bool:
    """Whether `text` states a number of the kind asked for (years, dates and figure numbers do not count)."""
    text = _NOT_A_FIGURE.sub(" ", unicodedata.normalize("NFKC", re.sub(r"[①-⑳⑴-⒇⒈-⒛]", " ", text)))
    if unit == "%":
        return bool(re.search(r"\d\s*%|\d\s*割|\d\s*パーセント|\bpercent\b", text))
    if unit == "amount":
        return bool(SENTENCE_FEATURES[AMOUNT].search(text) or re.search(r"\d[\d,.]*\s*(?:兆|億|万)", text))
    if unit != "count":  # 「何人」: a number and its unit (「944人」, a table's 「回答者数(人)」 over its numbers)
        return bool(re.search(r"\d", text)) and bool(re.search(_SAME_UNIT.get(unit, re.escape(unit)), text))
    return bool(re.search(r"\d", text))


def _figure(question: str, items: list[Evidence], hits: list[Hit]) -> tuple[int, int] | None:
    """(source, page) when a number is asked for and neither the evidence nor its best passage states one."""
    unit = asked_number(question)
    if unit is None or any(holds_number(e.text, unit) for e in items):
        return None
    best = hits[items[0].number - 1]
    if not best.paginated or holds_number(best.context or best.text, unit):
        return None
    return items[0].number, best.page_start
