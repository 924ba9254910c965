"""Is a generated sentence backed by one sentence of a source it cites, one that is about the question?

A sentence whose facts are scattered over a source ("180 days" from the password-expiry rule, "locked" from the
lock-out rule) reads as the manual's word and is not. So a generated sentence is shown only when a single sentence
of one of the sources it cites
- holds every fact of it (numbers with their units and bounds, codes, names, katakana and capitalised terms:
  `core/facts.py`),
- holds at least `min_share` of its content words, and
- is relevant to the question: one of the evidence sentences already shown, or a sentence holding at least
  `relevant_share` of the question's idf-weighted topic words.
The reason a sentence fails is kept, so what was withheld can be explained and counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.core.facts import CITATION, NUMBER, facts_in, holds_fact, normalise, quantities
from assistant.core.sentences import sentence_spans
from assistant.core.terms import weighted_share

MIN_SHARE = 0.6  # content words of the generated sentence found in its supporting sentence (tuned: bench/summary.py)
RELEVANT_SHARE = 0.5  # question topic weight a supporting sentence that is not evidence must hold


@dataclass(frozen=True)
class Support:
    source: int  # the cited source's number
    start: int  # offsets of the supporting sentence in that source's text
    end: int
    share: float  # content words of the generated sentence it holds


@dataclass
class SupportCheck:
    """What a generated sentence is checked against: the sources' texts (numbered from 1), the words function,
    the question's topic weights and the evidence already shown as (source number, start, end)."""

    sources: Sequence[str]
    words: Callable[[str], list[str]]
    question_weights: dict[str, float]
    evidence: Sequence[tuple[int, int, int]] = ()
    min_share: float = MIN_SHARE
    relevant_share: float = RELEVANT_SHARE
    # per cited source, read once: each sentence's offsets, normalised text, words and (number, unit) pairs
    _sentences: dict[int, list[tuple[int, int, str, set[str], set[tuple[str, str]]]]] = field(
        default_factory=dict, init=False, repr=False
    )

    def support(self, sentence: str, cited: Sequence[int]) -> Support | str:
        """The best supporting sentence, or why there is none."""
        body = CITATION.sub(" ", sentence)
        facts = facts_in(body)
        units = quantities(body)
        content = {w for w in self.words(body) if not NUMBER.fullmatch(normalise(w))}
        if not facts and not content:
            return Support(cited[0] if cited else 0, 0, 0, 1.0)  # asserts nothing ("Yes.")
        best: Support | None = None
        closest: tuple[int, str] = (-1, "no cited source")
        for n in dict.fromkeys(cited):
            if not 1 <= n <= len(self.sources):
                continue
            for start, end, flat, wset, pairs in self._sentences_of(n):
                missing = [f for f in sorted(facts) if not holds_fact(f, flat, body)]
                missing += [f"{num} {unit}" for num, unit in sorted(units) if (num, unit) not in pairs]
                share = len(content & wset) / len(content) if content else 1.0
                relevant = self._relevant(n, start, end, wset)
                failures = len(missing) + (share < self.min_share) + (not relevant)
                if not failures:
                    if best is None or share > best.share:
                        best = Support(n, start, end, round(share, 3))
                    continue
                score = 10 * (len(facts) + len(units) - len(missing)) + int(10 * share) + relevant
                if score > closest[0]:
                    closest = (score, _reason(n, missing, share, relevant, self.min_share))
        return best if best is not None else closest[1]

    def _sentences_of(self, n: int) -> list[tuple[int, int, str, set[str], set[tuple[str, str]]]]:
        if n not in self._sentences:
            text = self.sources[n - 1]
            self._sentences[n] = [
                (a, b, normalise(text[a:b]), set(self.words(text[a:b])), quantities(text[a:b]))
                for a, b in sentence_spans(text)
            ]
        return self._sentences[n]

    def _relevant(self, n: int, start: int, end: int, words: set[str]) -> bool:
        if any(m == n and a < end and start < b for m, a, b in self.evidence):
            return True
        return weighted_share(self.question_weights, words) >= self.relevant_share


def _reason(n: int, missing: list[str], share: float, relevant: bool, min_share: float) -> str:
    if missing:
        return f"no one sentence of source [{n}] holds " + ", ".join(missing)
    if share < min_share:
        return f"no one sentence of source [{n}] holds most of its words ({share:.0%})"
    if not relevant:
        return f"the sentence of source [{n}] that holds it is not about the question"
    return "no cited source"
