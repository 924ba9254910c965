"""Follow-up questions made standalone, so retrieval finds what 「それは海外出張でも同じですか？」 refers to, while a
question on a new topic is searched as it is.

1. Does the question depend on the conversation at all? Only demonstratives and ellipsis make it so (それ, その,
   同じ, そちら, it, that, same, what about...) or a question too short to stand alone. "How do I reset my VPN
   password?" after a question about travel allowances is a new topic and is searched alone.
2. A dependent question is rewritten by the model, but only when the model writes the question's language and the
   rewrite keeps the question's own words and adds words from the conversation (a small model drifts otherwise).
3. Otherwise the key words of the previous question (its rarest words, not its whole text) are added to the query.
The conversation the model sees holds the earlier questions and the manuals' sentences shown for them, never the
model's earlier text: a garbled summary must not steer the next search.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

from assistant.answering.answer_types import ANSWER_KIND_PHRASES
from assistant.answering.records import Turn
from assistant.core.config import Settings
from assistant.core.language import language_of
from assistant.llm import ChatMessage, ChatModel, GenerationParams
from assistant.llm.prompts import render

CONDENSE_MAX_TOKENS = 64
HISTORY_ANSWER_CHARS = 300
KEY_TERMS = 4
DEPENDS_JA = re.compile(
    "|".join(["それ", "その", "そちら", "そこ", "これ", "この", "こちら", "あれ", "あの", "同じ", "同様"]
             + ["上記", "前述", "先ほど", "さっき", "では", "だと", "の場合は"])
)
DEPENDS_EN = re.compile(
    r"\b(?:it|its|that|this|those|these|they|them|their|same|what about|how about|and if|and for|also|too|there"
    r"|then)\b"
    r"|^(?:and|but|so|or|plus)\b",  # a question that opens with a conjunction continues the previous one
    re.I,
)
SHORT_JA, SHORT_EN = 8, 3  # characters / words: shorter questions lean on the conversation ("海外は？", "And abroad?")


def depends_on_history(question: str) -> bool:
    text = unicodedata.normalize("NFKC", question).strip()
    if language_of(text) == "ja":
        return bool(DEPENDS_JA.search(text)) or len(re.sub(r"[\s?？。、]", "", text)) <= SHORT_JA
    return bool(DEPENDS_EN.search(text)) or len(re.findall(r"\w+", text)) <= SHORT_EN


def condense(
    question: str,
    history: Sequence[Turn],
    settings: Settings,
    model: ChatModel | None,
    tokens: Callable[[str], list[str]],
    idf: Callable[[list[str]], dict[str, float]] | None = None,
) -> str:
    """The query to search for `question` after `history`; `model` None: the model does not write its language."""
    qa = settings.qa
    turns = list(history)[-qa.history_turns :] if qa.history_turns else []
    if not turns or not qa.condense or not depends_on_history(question):
        return question
    previous = turns[-1].query or turns[-1].question
    if model is not None:
        rewritten = _rewrite(question, turns, settings, model)
        own, new = set(tokens(question)), set(tokens(rewritten))
        context = "\n".join(f"{t.question}\n{t.answer}" for t in turns)
        from_history = (new - own) & set(tokens(context))
        if rewritten and len(rewritten) <= 4 * len(question) + 200 and len(own & new) >= len(own) / 2 and from_history:
            return rewritten
    return carry_key_terms(question, previous, tokens, idf)


def carry_key_terms(
    question: str,
    previous: str,
    tokens: Callable[[str], list[str]],
    idf: Callable[[list[str]], dict[str, float]] | None = None,
) -> str:
    """The question plus the rarest words of the previous one that it does not already hold (its topic words:
    "how long" or "too many" asked for an answer's kind, they are not what the conversation is about)."""
    own = set(tokens(question))
    topic = ANSWER_KIND_PHRASES.sub(" ", previous)
    theirs = [t for t in dict.fromkeys(tokens(topic)) if t not in own and len(t) > 1]
    if idf is not None and theirs:
        weights = idf(theirs)
        theirs = sorted(theirs, key=lambda t: -weights.get(t, 0.0))
    kept = theirs[:KEY_TERMS]
    return f"{question} {' '.join(kept)}" if kept else question


def _rewrite(question: str, turns: Sequence[Turn], settings: Settings, model: ChatModel) -> str:
    lang = language_of(question)
    who = ("User", "Manuals") if lang == "en" else ("ユーザー", "マニュアル")
    lines = []
    for t in turns:
        lines.append(f"{who[0]}: {t.question}")
        if t.answer:
            lines.append(f"{who[1]}: {_shorten(t.answer, HISTORY_ANSWER_CHARS)}")
    prompt = render("condense", lang, settings.paths.prompts_dir, history="\n".join(lines), question=question)
    params = GenerationParams(max_tokens=CONDENSE_MAX_TOKENS, temperature=0.0, stop=("\n",))
    return _first_line(model.generate([ChatMessage("user", prompt)], params))


def _shorten(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"


def _first_line(text: str) -> str:
    line = next((ln for ln in text.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^(standalone question|question|独立した質問|質問)\s*[:：]\s*", "", line.strip(), flags=re.I)
    return line.strip().strip('"「」')
