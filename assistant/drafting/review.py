"""The review of a draft, or of existing manuals: (a) one thing called by different terms, (b) two documents
giving different figures for the same item, (c) statements without a source that backs them.

Hand-written heuristics, no model: the shipped model cannot judge Japanese text, and each finding is a pointer
for the writer (with both citations), not an edit. (b) compares the figures (amounts, durations, counts) of
clauses whose words mostly agree: "日帰り出張は1日2,000円" and "日帰り出張の日当は3,000円" are the same item with
different amounts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from assistant.core.facts import normalise, unsupported
from assistant.core.sentences import split_sentences
from assistant.core.terms import NOT_TOPIC
from assistant.drafting.records import MARKER, Citation, Draft

QUANTITY = re.compile(
    r"(\d+(?:\.\d+)?)\s*(円|米ドル|ドル|ユーロ|yen|usd|dollars?|%|％|パーセント|営業日|日|時間|分|週間|か月|ヶ月|カ月|年"
    r"|business days?|days?|hours?|minutes?|weeks?|months?|years?|km|キロ|人|回|件|characters?|文字)",
    re.I,
)
UNIT_CLASS = {
    "円": "money",
    "米ドル": "usd",
    "ドル": "usd",
    "usd": "usd",
    "dollar": "usd",
    "dollars": "usd",
    "yen": "money",
    "ユーロ": "eur",
    "%": "percent",
    "％": "percent",
    "パーセント": "percent",
    "営業日": "bday",
    "business day": "bday",
    "business days": "bday",
    "日": "day",
    "day": "day",
    "days": "day",
    "時間": "hour",
    "hour": "hour",
    "hours": "hour",
    "分": "minute",
    "minute": "minute",
    "minutes": "minute",
    "週間": "week",
    "week": "week",
    "weeks": "week",
    "か月": "month",
    "ヶ月": "month",
    "カ月": "month",
    "month": "month",
    "months": "month",
    "年": "year",
    "year": "year",
    "years": "year",
}
CLAUSE = re.compile(r"[、，,;；。．]|\s(?:and|but|while)\s")
MIN_SHARED = 2  # words the two clauses must share
MIN_JACCARD = 0.5
JA_TERM = re.compile(r"[一-龥ァ-ヺー]{4,}|[ァ-ヺー]{3,}")
LEADING_WORD = re.compile(r"^(?:The|A|An|This|Our|Your|Call|See|Use)\s+")  # capitalised only at a sentence start
EN_TERM = re.compile(r"\b(?:[A-Z][A-Za-z0-9]*\s){1,3}[A-Z][A-Za-z0-9]*\b")


@dataclass
class Fact:
    text: str  # the sentence
    citation: Citation
    heading: str = ""


@dataclass
class Conflict:
    item: str  # the words the two clauses share
    first: Fact
    second: Fact
    values: tuple[str, str]


@dataclass
class TermNote:
    terms: tuple[str, str]
    where: tuple[list[str], list[str]]  # sections or files using each


@dataclass
class Unsourced:
    section: str
    sentence: str
    reason: str


@dataclass
class Review:
    terms: list[TermNote] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unsourced: list[Unsourced] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.terms or self.conflicts or self.unsourced)


def find_conflicts(facts: Sequence[Fact], tokens: Callable[[str], list[str]]) -> list[Conflict]:
    """Pairs of facts from different documents that give different figures for what reads as the same item."""
    claims = []  # (doc_id, unit class, value, words, fact)
    for fact in facts:
        heading_words = set(tokens(fact.heading)) if fact.heading else set()
        for clause in CLAUSE.split(normalise(fact.text)):
            for m in QUANTITY.finditer(clause):
                unit = UNIT_CLASS.get(m.group(2).lower())
                if unit is None:
                    continue
                rest = clause[: m.start()] + " " + clause[m.end() :]
                words = {w for w in tokens(rest) if w not in NOT_TOPIC and not re.fullmatch(r"[\d.]+", w)}
                claims.append((fact.citation.doc_id, unit, m.group(1), words | heading_words, fact, m.group(0)))
    found: dict[tuple, Conflict] = {}
    for i, (doc_a, unit_a, val_a, words_a, fact_a, raw_a) in enumerate(claims):
        for doc_b, unit_b, val_b, words_b, fact_b, raw_b in claims[i + 1 :]:
            if doc_a == doc_b or unit_a != unit_b or float(val_a) == float(val_b):
                continue
            shared = words_a & words_b
            if len(shared) < MIN_SHARED or len(shared) / len(words_a | words_b) < MIN_JACCARD:
                continue
            if _also_agrees(fact_a, fact_b, unit_a, val_b, claims):
                continue
            key = (fact_a.text, fact_b.text)
            found.setdefault(key, Conflict(" ".join(sorted(shared)), fact_a, fact_b, (raw_a, raw_b)))
    return list(found.values())


def _also_agrees(fact_a: Fact, fact_b: Fact, unit: str, value_b: str, claims: list) -> bool:
    """The first sentence also states the second's figure (a table of rates): not a contradiction."""
    return any(c[4] is fact_a and c[1] == unit and float(c[2]) == float(value_b) for c in claims)


def find_terms(uses: Iterable[tuple[str, str]]) -> list[TermNote]:
    """Terms where one is the other with words in front ("精算システム" / "経費精算システム", "Help Desk" /
    "IT Help Desk") or a long-vowel mark of difference ("サーバー" / "サーバ"), used in different places.
    `uses` is (place, text) pairs: a section title or a file name with its text."""
    places: dict[str, set[str]] = {}
    standalone: dict[str, set[str]] = {}
    for place, text in uses:
        english = [LEADING_WORD.sub("", m.group(0)) for m in EN_TERM.finditer(text)]
        for term in JA_TERM.findall(text) + [t for t in english if " " in t]:
            places.setdefault(term, set()).add(place)
            standalone.setdefault(term, set()).add(place)
    notes = []
    terms = sorted(places, key=len)
    for i, short in enumerate(terms):
        for long in terms[i + 1 :]:
            variant = long.rstrip("ー") == short.rstrip("ー") and long != short
            nested = (
                long.endswith(short)
                and len(long) - len(short) >= 2
                and (short.isascii() == long.isascii())
                and (not short.isascii() or long[-len(short) - 1] == " ")
            )
            if not (variant or nested) or places[short] == places[long] and not variant:
                continue
            notes.append(TermNote((long, short), (sorted(places[long]), sorted(standalone[short]))))
    return notes[:20]


def find_unsourced(
    draft: Draft, source_text: Callable[[str, int | None], str | None], tokens: Callable[[str], list[str]]
) -> list[Unsourced]:
    """Sentences of hand-edited sections without a [file p.N] marker, or whose figures and names the page
    they cite does not back. Built sections are source sentences and need no check."""
    ja = draft.brief.language == "ja"
    out = []
    for section in draft.sections:
        if section.edited is None:
            continue
        for line in section.edited.splitlines():
            line = re.sub(r"^\s*(?:#{1,6}|[-*+]|\d+[.)])\s*", "", line)
            pieces: list[str] = []
            for piece in split_sentences(line):  # a marker after 「。」 belongs to the sentence before it
                if pieces and not MARKER.sub("", piece).strip():
                    pieces[-1] += piece
                else:
                    pieces.append(piece)
            for sentence in pieces:
                body = MARKER.sub("", sentence).strip()
                if len(body) < 4:
                    continue
                markers = MARKER.findall(sentence)
                if not markers:
                    reason = "出典の記載がありません" if ja else "no source given"
                    out.append(Unsourced(section.title, sentence.strip(), reason))
                    continue
                texts = [source_text(f, int(p) if p else None) for f, _, p, _ in markers]
                if any(t is None for t in texts):
                    reason = "出典が見つかりません" if ja else "the cited source is not in the knowledge base"
                    out.append(Unsourced(section.title, sentence.strip(), reason))
                    continue
                missing = unsupported(body, [t for t in texts if t], tokens)
                if missing:
                    reason = ("出典にない内容: " if ja else "not in the cited source: ") + ", ".join(missing)
                    out.append(Unsourced(section.title, sentence.strip(), reason))
    return out
