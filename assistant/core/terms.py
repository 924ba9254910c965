"""The words of a question that say what it is about, and how much of them a text holds.

Pointing words (それ, this) and the words that ask for an answer's kind (いくら, "how long") say nothing about the
topic: a sentence that answers says "30 minutes", never "long". Everything that weighs a question's words against a
text (not found, evidence, a follow-up's carried words, a summary's support, drafting) uses these two functions, so
the rule is written and tested once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

# Words that point at the conversation or ask for the kind of answer: they say nothing about the topic.
NOT_TOPIC = frozenset(
    "それ 其れ これ 此れ あれ 彼れ その 其の この 此の 同じ 同様 幾ら いくら 何 いつ 何時 "
    "どこ 何処 誰 どう 如何 どの どれ どちら 何故 なぜ same what about how when where who which "
    # requests around a question (教えてください, "please tell me") ask, they name no topic
    "教える 下さる 頂く 知る 欲しい 願う 分かる please tell know".split()
)
# Phrases that ask for the kind of answer ("how long", "too many"), removed before a question is cut into words.
ANSWER_KIND_PHRASES = re.compile(
    r"\b(?:how\s+(?:long|many|much|often|far|old|soon|large|big)|too\s+(?:many|much))\b", re.I
)


def topic_terms(text: str, tokens: Callable[[str], list[str]]) -> list[str]:
    """The distinct words of `text` that carry its topic, in order."""
    return [t for t in dict.fromkeys(tokens(ANSWER_KIND_PHRASES.sub(" ", text))) if t not in NOT_TOPIC]


def topic_weights(
    text: str, tokens: Callable[[str], list[str]], idf: Mapping[str, float] | Callable[[list[str]], Mapping[str, float]]
) -> dict[str, float]:
    """Each topic word of `text` with its idf (`idf` a mapping, or a function asked once for all the words)."""
    terms = topic_terms(text, tokens)
    table = idf(terms) if callable(idf) else idf
    return {t: table.get(t, 0.0) for t in terms}


def weighted_share(weights: Mapping[str, float], words: Iterable[str]) -> float:
    """The share of the total weight whose words `words` holds (0 when there is no weight)."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    held = set(words)
    return sum(w for t, w in weights.items() if t in held) / total
