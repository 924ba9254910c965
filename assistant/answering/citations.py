"""Checking the model's streamed answer, one sentence at a time, before the user sees it.

The model is asked to cite sources as [1], [2]. A number that points to no source is removed, variants
([1, 2], ［１］, 【1】, [Source 1]) are written as [1][2], and, when enabled, a sentence left uncited gets the
source whose words it repeats (post-hoc attribution: small models often state a sourced fact without its number).

With `withhold_unsupported` (and the sources' texts), every sentence is then checked, cited or not, and withheld
(kept in the report with the reason) when
- it is neither cited nor traceable to a source;
- no single sentence of a source it cites backs it (`support.py`): holds all its facts — numbers with their units,
  codes, names, terms — most of its words, and is about the question. "180 days [3]" under a question about the
  lock-out is not shown because source 3 says passwords expire every 180 days;
- it repeats a sentence already shown, or is in another language than the answer;
- it was cut off at the token limit.
Sentences are split by `core/sentences.py`'s rule ("Mr. Sato" and "e.g." end nothing), plus the two ends only model
output has: a line break, and a citation run straight into the next words.
Working sentence by sentence keeps the streamed text and the final text identical.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.answering.support import Support, SupportCheck
from assistant.core.facts import facts_in, unsupported
from assistant.core.language import contains_japanese
from assistant.core.sentences import NOT_AN_END

OPENERS = "[［【"
CITATION = re.compile(
    r"\s*[\[［【]\s*(?:(?:sources?|資料|出典)\s*)?([0-9０-９]+(?:\s*[,，、]\s*[0-9０-９]+)*)\s*[\]］】]", re.IGNORECASE
)
# A sentence ends at . ! ? followed by white space (not after an abbreviation), at 。．！？, at a line break, or at a
# citation run straight into the next words ("…に行う[2]出張…": small models loop without punctuation).
BOUNDARY = re.compile(rf"[.!?]{NOT_AN_END}(?=\s)|[。．！？]|\n|[\]］】](?=[^\W\d_])")
EMPTY_ITEM = re.compile(r"^[\s\-*•・]*(?:\d{1,3}[.)．]?)?[\s\-*•・]*$")  # "- 1.", "2)", "•"
LIST_MARKER = re.compile(r"(?:^|\n)[ \t]*\d{1,3}$")
TRAILING = re.compile(r"[\s.!?。！？]*$")
MAX_OPEN_BRACKET = 24  # an opener this far back without its closer is plain text, not a citation


@dataclass
class CitationReport:
    cited: list[int] = field(default_factory=list)  # source numbers in order of first citation
    removed: list[str] = field(default_factory=list)  # citations that pointed to no source
    attributed: list[int] = field(default_factory=list)  # numbers added by post-hoc attribution
    withheld: list[str] = field(default_factory=list)  # sentences not shown
    reasons: list[str] = field(default_factory=list)  # why each withheld sentence was not shown
    supports: list[Support] = field(default_factory=list)  # the source sentence backing each shown sentence


class CitationChecker:
    """Feed model output piece by piece; get back checked text, whole sentences at a time."""

    def __init__(
        self,
        n_sources: int,
        source_words: Sequence[set[str]] = (),
        words: Callable[[str], list[str]] | None = None,
        min_overlap: float = 0.6,
        no_attribution: Sequence[str] = (),
        withhold_unsupported: bool = False,
        attribute: bool = True,
        instructions: str = "",
        question: str = "",
        source_texts: Sequence[str] = (),
        language: str | None = None,
        support: SupportCheck | None = None,
    ):
        self.n = n_sources
        self.source_words = list(source_words)
        self.words = words
        self.min_overlap = min_overlap
        self.no_attribution = tuple(unicodedata.normalize("NFKC", p).lower() for p in no_attribution if p)
        self.withhold = withhold_unsupported
        self.attribute = attribute
        self.instruction_words = set(words(instructions)) if words is not None and instructions else set()
        self.question_words = set(words(question)) if words is not None and question else set()
        self.source_texts = list(source_texts)
        self.language = language
        self.support = support
        self.report = CitationReport()
        self._buf = ""
        self._pending = ""
        self._shown: list[str] = []

    # --- streaming ---------------------------------------------------------------------------------
    def feed(self, piece: str) -> str:
        self._buf += piece
        out = []
        while (cut := self._sentence_end(self._buf)) is not None:
            out.append(self._release(self._check(self._buf[:cut])))
            self._buf = self._buf[cut:]
        return "".join(out)

    def finish(self, truncated: bool = False) -> str:
        """The rest of the text; `truncated`: generation stopped at the token limit, so the last, unfinished
        sentence is cut off and not shown."""
        rest, self._buf = self._buf, ""
        if truncated and rest.strip() and self.withhold:
            self._withhold(rest, "cut off at the token limit")
            rest = ""
        out = self._release(self._check(rest)) if rest else ""
        self._pending = ""  # trailing list markers or punctuation with nothing after them are dropped
        return out

    def _release(self, text: str) -> str:
        """Hold back pieces that assert nothing ("1.", "-", a blank line) until a sentence with words follows,
        so an answer made only of them shows nothing (and the caller can fall back to a quote)."""
        if not text.strip() or EMPTY_ITEM.match(text) or (self.words is not None and not self.words(text)):
            self._pending += text
            return ""
        out, self._pending = self._pending + text, ""
        return out

    def _sentence_end(self, buf: str) -> int | None:
        """End of the first complete sentence, with citations written right after its full stop attached
        to it; None while it cannot be decided yet (a citation may still follow)."""
        for m in BOUNDARY.finditer(buf):
            if m.group(0) == "." and LIST_MARKER.search(buf, 0, m.start()):
                continue  # "1. " opening a list item is not the end of a sentence
            j = m.end()
            while cm := CITATION.match(buf, j):
                j = cm.end()
            k = j
            while k < len(buf) and buf[k] in " \t":
                k += 1
            if k >= len(buf):
                return None
            if buf[k] in OPENERS and "]" not in buf[k:] and "］" not in buf[k:] and "】" not in buf[k:]:
                if len(buf) - k < MAX_OPEN_BRACKET:
                    return None
            return j
        return None

    # --- one sentence ------------------------------------------------------------------------------
    def _check(self, sentence: str) -> str:
        if self._echoes_instructions(sentence):
            return self._withhold(sentence, "repeats the instructions or the question")
        valid: list[int] = []

        def rewrite(m: re.Match[str]) -> str:
            nums = [int(unicodedata.normalize("NFKC", x)) for x in re.split(r"\s*[,，、]\s*", m.group(1))]
            keep = [n for n in nums if 1 <= n <= self.n]
            for n in nums:
                if n not in keep:
                    self.report.removed.append(f"[{n}]")
            valid.extend(keep)
            lead = " " if m.group(0)[:1].isspace() and keep else ""
            return lead + "".join(f"[{n}]" for n in dict.fromkeys(keep))

        text = CITATION.sub(rewrite, sentence)
        if not valid and self._attributable(text):
            n, share, size = self._best_source(text)
            if n is not None and share >= self.min_overlap and size >= 2 and self.attribute:
                valid.append(n)
                self.report.attributed.append(n)
                text = self._insert(text, n)
            elif share < self.min_overlap and size >= 1 and self.withhold:
                return self._withhold(text, "no source supports it")
        if self.withhold and (reason := self._strict(text, valid)):
            return self._withhold(text, reason)
        for n in valid:
            if n not in self.report.cited:
                self.report.cited.append(n)
        return text

    def _strict(self, text: str, cited: list[int]) -> str | None:
        """Why a sentence must not be shown although its citations are valid (None: it may be shown)."""
        body = _body(text)
        if not body:
            return None
        if any(body == seen or (len(body) >= 12 and body in seen) for seen in self._shown):
            return "repeats an earlier sentence"
        if self.language is not None and self._wrong_language(text):
            return f"not in the answer's language ({self.language})"
        words = set(self.words(CITATION.sub("", text))) if self.words is not None else set()
        if self.support is not None:
            if not cited:
                if words or facts_in(text):
                    return "cites no source"
            else:
                found = self.support.support(text, cited)
                if isinstance(found, str):
                    return found
                self.report.supports.append(found)
            self._shown.append(body)
            return None
        if words and self.source_words and cited:
            cited_words = set().union(*(self.source_words[n - 1] for n in cited))
            if len(words & cited_words) / len(words) < self.min_overlap:
                return "shares too few words with the source it cites"
        if self.source_texts and cited:
            missing = unsupported(text, [self.source_texts[n - 1] for n in cited], self.words)
            if missing:
                return "not in the cited source: " + ", ".join(missing)
        if self.source_texts and not cited and (facts := facts_in(text)):
            return "a fact without a source: " + ", ".join(sorted(facts))
        self._shown.append(body)
        return None

    def _wrong_language(self, text: str) -> bool:
        letters = [c for c in CITATION.sub("", text) if c.isalpha()]
        if len(letters) < 4:
            return False
        japanese = sum(1 for c in letters if contains_japanese(c)) / len(letters)
        return japanese < 0.3 if self.language == "ja" else japanese > 0.3

    def _withhold(self, sentence: str, reason: str) -> str:
        self.report.withheld.append(sentence.strip())
        self.report.reasons.append(reason)
        return "\n" if sentence.endswith("\n") else ""  # keep the line structure of what is shown

    def _echoes_instructions(self, text: str) -> bool:
        """Small models sometimes recite their rules or repeat the question; neither is an answer."""
        if not self.withhold or self.words is None:
            return False
        words = set(self.words(CITATION.sub("", text)))
        if len(words) >= 2 and self.question_words and words <= self.question_words:
            return True  # says nothing the question (with its "Question:" label) did not
        if len(words) < 3 or not self.instruction_words:
            return False
        echo = len(words & self.instruction_words) / len(words)
        _, share, _ = self._best_source(text)
        return echo >= self.min_overlap and echo > share

    def _attributable(self, text: str) -> bool:
        if self.words is None or not self.source_words:
            return False
        flat = unicodedata.normalize("NFKC", text).lower()
        return not any(p in flat for p in self.no_attribution)

    def _best_source(self, text: str) -> tuple[int | None, float, int]:
        """The source sharing most of the sentence's words: (number, share of words, number of words).
        A one-word sentence is checked against the sources but never given a citation of its own."""
        assert self.words is not None
        words = set(self.words(text))
        if not words:
            return None, 1.0, 0  # nothing asserted ("Yes.", "1.")
        best, best_share = None, 0.0
        for n, src in enumerate(self.source_words, start=1):
            share = len(words & src) / len(words)
            if share > best_share:
                best, best_share = n, share
        return best, best_share, len(words)

    @staticmethod
    def _insert(text: str, n: int) -> str:
        """Place the number before the sentence's closing punctuation and white space."""
        tail = TRAILING.search(text)
        cut = tail.start() if tail else len(text)
        body = text[:cut]
        sep = "" if not body or body[-1] in "。、」）" or not body[-1].isascii() else " "
        return body + sep + f"[{n}]" + text[cut:]


def _body(text: str) -> str:
    """A sentence without citations, punctuation, list numbers or spaces: what makes two sentences the same."""
    flat = unicodedata.normalize("NFKC", CITATION.sub("", text)).lower()
    flat = re.sub(r"^\s*\d{1,3}[.)]\s+", "", flat)
    return "".join(c for c in flat if c.isalnum())


def check_citations(text: str, n_sources: int, **kwargs) -> tuple[str, CitationReport]:  # noqa: ANN003
    """The whole-text form, for answers that were not streamed."""
    checker = CitationChecker(n_sources, **kwargs)
    out = checker.feed(text) + checker.finish()
    return out, checker.report
