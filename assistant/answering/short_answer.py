"""Short answers: the model copies the words that answer the question out of the evidence, and a span is shown
only where it stands verbatim in one sentence of a cited source. Whatever the model writes, nothing the sources
do not contain can reach the user: the text shown is cut from the source itself, not taken from the model.

The same prompt is used to teach the model (`assistant tune`), so training and answering read the same thing.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from pathlib import Path

from assistant.answering.answer_types import has_type, question_type
from assistant.core.sentences import sentence_spans, squeezed, unwrap
from assistant.core.terms import topic_terms
from assistant.llm.base import ChatMessage, ChatModel
from assistant.llm.prompts import PROMPTS_DIR, render

NONE = "none"  # what the model writes when no passage answers (taught by `assistant tune`)
PASSAGE_CHARS = 260  # one evidence item as the model reads it: its answering sentence and what is around it
MAX_SPAN_CHARS = 80  # a longer "short answer" is a sentence: the evidence already shows it
MAX_TOKENS = 32


@dataclass(frozen=True)
class ShortAnswer:
    """The span as it stands in source `source` (1-based), characters [start, end) of that source's passage."""

    text: str  # as shown: the source's characters, a wrapped line joined
    source: int
    start: int
    end: int
    confidence: float  # mean token probability of the model's span (0..1)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Passage:
    """One numbered item the model reads: the text of a source around its evidence sentence."""

    source: int
    text: str  # the whole passage of that source
    start: int  # the window the model reads: text[start:end]
    end: int


def messages(question: str, passages: Sequence[str], lang: str, prompts: Path = PROMPTS_DIR) -> list[ChatMessage]:
    """The prompt: a fixed system message (its KV cache is reused) and the numbered passages with the question."""
    numbered = "\n".join(f"[{i}] {unwrap(p)}" for i, p in enumerate(passages, 1))  # a wrapped line joined
    return [
        ChatMessage("system", render("short-answer", lang, prompts)),
        ChatMessage("user", render("short-answer-question", lang, prompts, passages=numbered, question=question)),
    ]


def window(text: str, start: int, end: int, chars: int = PASSAGE_CHARS) -> tuple[int, int]:
    """Whole sentences around text[start:end] up to `chars` characters: the answering sentence first, then its
    neighbours, the one before first (a sentence often continues its predecessor's subject)."""
    spans = sentence_spans(text) or [(0, len(text))]
    inside = [i for i, (a, b) in enumerate(spans) if a < end and b > start] or [
        min(range(len(spans)), key=lambda i: abs(spans[i][0] - start))
    ]
    lo, hi = inside[0], inside[-1]
    a, b = spans[lo][0], spans[hi][1]
    if b - a > chars:  # one long sentence (a table, a paragraph without full stops): cut around the match
        a = max(spans[lo][0], min(start, end - chars // 2) - chars // 4)
        return a, min(spans[hi][1], a + chars)
    while True:
        grew = False
        for i in (lo - 1, hi + 1):
            if 0 <= i < len(spans) and max(b, spans[i][1]) - min(a, spans[i][0]) <= chars:
                a, b = min(a, spans[i][0]), max(b, spans[i][1])
                lo, hi = min(lo, i), max(hi, i)
                grew = True
        if not grew:
            return a, b


_EDGE = re.compile(r"^[\s、。,.:;!?！？・「」『』（）()\[\]\"'“”‘’]+|[\s、。,.:;!?！？・「」『』（）()\[\]\"'“”‘’]+$")


def clean(model_text: str) -> str:
    """The model's span without quotes, a leading "[1]" or "Answer:", or what follows its first line."""
    text = model_text.strip().split("\n", 1)[0]
    text = re.sub(r"^(?:\[\d+\]\s*|(?:the )?(?:short )?(?:answer(?: is)?|回答|答え)\s*[:：]\s*)+", "", text, flags=re.I)
    return _EDGE.sub("", text)


def is_none(model_text: str) -> bool:
    return clean(model_text).casefold() in {NONE, "none.", "なし", "該当なし"} or not clean(model_text)


def locate(span: str, passages: Sequence[Passage], question: str) -> tuple[int, int, int] | None:
    """(source, start, end) of the span inside ONE sentence of a passage the model read; None when it is not
    there verbatim (after NFKC, case and white-space normalisation), is longer than a short answer, or says
    nothing the question does not already say."""
    want, _ = squeezed(span)
    if not want or len(want) > MAX_SPAN_CHARS:
        return None
    asked, _ = squeezed(question)
    if want in asked or not re.search(r"\w", want):
        return None
    for p in passages:
        for a, b in sentence_spans(p.text):
            if b <= p.start or a >= p.end:
                continue
            norm, where = squeezed(p.text[a:b])
            at = norm.find(want)
            while at >= 0:
                start, end = a + where[at], a + where[at + len(want) - 1] + 1
                if _whole_words(p.text, start, end):
                    return p.source, start, end
                at = norm.find(want, at + 1)
    return None


def _whole_words(text: str, start: int, end: int) -> bool:
    """A Latin span starts and ends at word boundaries ("he account" is not in "the account"); Japanese has none."""
    def latin(c: str) -> bool:
        return c.isascii() and c.isalnum()

    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (latin(text[start]) and latin(before)) and not (latin(text[end - 1]) and latin(after))


def confidence(logprobs: Sequence[float] | None) -> float:
    """Mean token probability of the span the model wrote; 1.0 when the backend gives no log-probabilities."""
    if not logprobs:
        return 1.0
    return math.exp(sum(logprobs) / len(logprobs))


_UNIT = re.compile(r"\s?(?:[A-Za-z%]+|か所|箇所|ヶ所|か月|ヶ月|カ月|時間|週間|営業日"
                   r"|[円日分秒時人件個回枚台本名年月週%％歳])")


def with_unit(question: str, text: str, start: int, end: int) -> int:
    """A bare number copied without its unit ("14" of "14 days", 「30」 of 「30日」) is extended by the unit that
    follows it in the source, when the question asks for that kind of thing or names that unit ("How many
    characters" → "12 characters", not "12"): the words stay the source's own."""
    span = unicodedata.normalize("NFKC", text[start:end])
    if not re.fullmatch(r"[0-9][0-9,.]*", span):
        return end
    m = _UNIT.match(text, end)
    if not m:
        return end
    unit = squeezed(m.group())[0]
    named = len(unit) > 1 and unit in squeezed(question)[0]
    if of_the_right_kind(question, span) and not named:
        return end
    return m.end() if of_the_right_kind(question, text[start:m.end()]) else end


def of_the_right_kind(question: str, span: str) -> bool:
    """A question that asks for an amount, a count or a time needs a span that holds one."""
    kind = question_type(question)
    return kind not in ("amount", "count", "time") or has_type(unicodedata.normalize("NFKC", span), kind)


def sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence of `text` that holds [start, end) (the span itself when it crosses sentences)."""
    return next(((a, b) for a, b in sentence_spans(text) if a <= start and end <= b), (start, end))


def _has_digit(text: str) -> bool:
    return re.search(r"[0-9]", unicodedata.normalize("NFKC", text)) is not None


_CLAUSE = re.compile(r"[、;；]|[,，](?![0-9０-９])")  # a comma before a digit is a thousands separator


def another_case(question: str, sentence: str, start: int, end: int, tokens: Callable[[str], list[str]]) -> bool:
    """True when the span is the value of another case than the one asked about: a sentence that gives a value per
    case (「日帰り出張は1日2,000円、宿泊を伴う出張は1日3,000円とする」) answers 「宿泊を伴う出張の日当」 with the
    number in the clause that holds more of the question's words. A copied number is refused when another clause
    of its sentence names the same thing (a question word both clauses hold: 出張), also holds a number, and holds
    more of the question's words than the span's own clause. A condition beside its value ("After 5 wrong
    attempts, the account is locked for 30 minutes") shares no such word and is left alone."""
    if not _has_digit(sentence[start:end]):
        return False
    cuts = [0, *(m.end() for m in _CLAUSE.finditer(sentence)), len(sentence)]
    clauses = [(a, b) for a, b in pairwise(cuts) if b > a]
    if len(clauses) < 2:
        return False
    terms = [squeezed(t)[0] for t in topic_terms(question, tokens)]
    terms = [t for t in terms if len(t) > 1 and not re.fullmatch(r"[0-9.,]+", t)]

    held = {(a, b): {t for t in terms if t in squeezed(sentence[a:b])[0]} for a, b in clauses}
    own = next((a, b) for a, b in clauses if a <= start < b)
    mine = held[own]
    return any(c != own and _has_digit(sentence[c[0]:c[1]]) and words & mine and len(words) > len(mine)
               for c, words in held.items())


@dataclass
class ShortAnswerResult:
    """What the model said and what became of it (kept in the answer record, shown or not)."""

    shown: ShortAnswer | None = None
    model_text: str = ""  # the model's words, as written
    said_none: bool = False  # the model said no passage answers
    rejected: str = ""  # why not shown: not_found | too_long | wrong_kind | another_case | unsure | ""
    confidence: float = 0.0
    seconds: float = 0.0
    passages: list[str] = field(default_factory=list)  # what the model read (the usage log keeps it to learn from)
    asked: str = ""  # the question as the model read it (a follow-up with the words it carried)

    def to_dict(self) -> dict:
        return asdict(self)


def passages_of(evidence: Sequence, source_text: Callable[[int], str], most: int = 3,
                budget: int | None = None) -> list[Passage]:
    """The model's reading: around each evidence item (its first highlighted sentence inside a passage), one
    window per item, at most `most` and, after the first, within `budget` characters in all (a Japanese character
    costs SmolLM2's tokenizer about 1.5 tokens: the prompt is what the time to a short answer is spent on)."""
    out: list[Passage] = []
    used = 0
    for e in evidence:
        text = source_text(e.number)
        a, b = e.highlights[0] if e.highlights else (e.start, e.end)
        start, end = window(text, a, b)
        if any(p.source == e.number and p.start < end and start < p.end for p in out):
            continue
        if out and budget is not None and used + (end - start) > budget:
            break
        out.append(Passage(e.number, text, start, end))
        used += end - start
        if len(out) == most:
            break
    return out


READ_BUDGET = {"ja": 420, "en": 900}  # characters the model reads for a short answer, by question language


def find_short_answer(model: ChatModel, question: str, passages: Sequence[Passage], lang: str, prompts: Path,
                      min_confidence: float, max_tokens: int = MAX_TOKENS,
                      tokens: Callable[[str], list[str]] | None = None) -> ShortAnswerResult:
    """Ask the model, then keep its span only if it is cut from a source (see `locate`), holds the kind of thing
    asked for, is not another case's value (`another_case`, given the knowledge base's `tokens`), and the model was
    sure enough of it."""
    t0 = time.perf_counter()
    read = [p.text[p.start:p.end] for p in passages]
    scored = model.complete_scored(messages(question, read, lang, prompts), max_tokens)
    result = ShortAnswerResult(model_text=scored.text, confidence=confidence(scored.logprobs), passages=read,
                               asked=question)
    span = clean(scored.text)
    if is_none(scored.text):
        result.said_none = True
    elif (where := locate(span, passages, question)) is None:
        result.rejected = "not_found" if len(span) <= MAX_SPAN_CHARS else "too_long"
    else:
        source, start, end = where
        passage = next(p.text for p in passages if p.source == source)
        end = with_unit(question, passage, start, end)
        text = passage[start:end]
        a, b = sentence_around(passage, start, end)
        if not of_the_right_kind(question, text):
            result.rejected = "wrong_kind"
        elif tokens is not None and another_case(question, passage[a:b], start - a, end - a, tokens):
            result.rejected = "another_case"
        elif result.confidence < min_confidence:
            result.rejected = "unsure"
        else:
            result.shown = ShortAnswer(unwrap(text), source, start, end, round(result.confidence, 4))
    result.seconds = round(time.perf_counter() - t0, 4)
    return result


def highlight_sentence(found, shown: ShortAnswer, passage: str) -> bool:  # noqa: ANN001
    """The short answer's sentence becomes the highlighted evidence: bold inside the evidence passage that holds
    it, or put first as an evidence sentence of its own when no evidence item holds it (then True)."""
    from assistant.answering.evidence import Evidence

    a, b = sentence_around(passage, shown.start, shown.end)
    for e in found.items:
        if e.number == shown.source and e.start <= a and b <= e.end:
            if (e.start, e.end) != (a, b) and (a, b) not in e.highlights:
                e.highlights.insert(0, (a, b))
            return False
    item = Evidence(shown.source, passage[a:b], a, b, 1.0, True)
    found.items.insert(0, item)
    if found.parts:
        found.parts[0].items.insert(0, item)
    return True
