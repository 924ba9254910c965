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

from assistant.answering.records import Turn
from assistant.core.config import Settings
from assistant.core.facts import facts_in
from assistant.core.language import language_of
from assistant.core.terms import topic_terms
from assistant.llm import ChatMessage, ChatModel, GenerationParams
from assistant.llm.prompts import render

CONDENSE_MAX_TOKENS = 64
HISTORY_ANSWER_CHARS = 300
KEY_TERMS = 4
# Pointing words, as words: それ is not それぞれ, あれ is not あれば, そこで is not a place.
POINTING_JA = re.compile(
    r"それ(?!ぞれ)|その(?!他|ほか|まま)|そちら|そこ(?!で)|これ(?!から|まで|ら以外)|こちら|あれ(?!ば)|あの"
    r"|同じ|同様|上記|前述|先ほど|さっき"
)
POINTING_EN = re.compile(r"\b(?:it|its|that|this|those|these|they|them|their|same)\b", re.I)
DEPENDS_JA = re.compile(
    POINTING_JA.pattern
    + r"|^(?:では|じゃあ|それでは|だと|なら|で、)"  # opening a question, they continue the previous one
    + r"|^.{1,10}(?:の場合|だと|では|なら)[はで]?[?？]?$"  # 「海外の場合は？」「パートだと？」
)
DEPENDS_EN = re.compile(
    POINTING_EN.pattern + r"|\b(?:what about|how about|and if|and for|also|too)\b"
    r"|^(?:and|but|so|or|plus)\b",  # a question that opens with a conjunction continues the previous one
    re.I,
)
# "that" as a conjunction or relative ("the form that HR sends"), "it" in "is it possible/allowed" and "this year"
# point at nothing in the conversation.
NOT_POINTING_EN = re.compile(
    r"\b(?:(?:the|a|an|any|every|each|all)\s+\w+\s+that"
    r"|(?:says?|said|means?|sure|true|note|check|ensure|confirm)\s+that"
    r"|too (?:many|much|few|little|long|late|early|often|old|young)"  # "too many wrong passwords": not "as well"
    r"|is it (?:possible|allowed|ok|okay|necessary|required|true)"
    r"|this (?:year|month|week|morning|afternoon|quarter))\b",
    re.I,
)
SHORT_JA, SHORT_EN = 8, 3  # characters / words: shorter questions lean on the conversation ("海外は？", "And abroad?")


def depends_on_history(question: str) -> bool:
    text = unicodedata.normalize("NFKC", question).strip()
    if language_of(text) == "ja":
        return bool(DEPENDS_JA.search(text)) or len(re.sub(r"[\s?？。、]", "", text)) <= SHORT_JA
    return bool(DEPENDS_EN.search(NOT_POINTING_EN.sub(" ", text))) or len(re.findall(r"\w+", text)) <= SHORT_EN


def follow_up_turns(question: str, history: Sequence[Turn], settings: Settings) -> list[Turn]:
    """The turns a follow-up leans on; empty when the question stands alone (or condensing is off). A question in
    another language than the last turn starts a new topic: staff switching to English ask about something else."""
    qa = settings.qa
    turns = list(history)[-qa.history_turns :] if qa.history_turns else []
    if not turns or not qa.condense or not depends_on_history(question):
        return []
    if language_of(turns[-1].question) != language_of(question):
        return []
    return turns


def rewrite(
    question: str,
    history: Sequence[Turn],
    settings: Settings,
    model: ChatModel | None,
    tokens: Callable[[str], list[str]],
) -> str | None:
    """The model's standalone form of a follow-up, or None (not a follow-up, no model for its language, or a
    rewrite that drifted: it must keep the question's own words and add words from the conversation). Called
    before the knowledge base is taken: a model call never holds a generation."""
    turns = follow_up_turns(question, history, settings)
    if not turns or model is None:
        return None
    rewritten = _rewrite(question, turns, settings, model)
    own, new = set(tokens(question)), set(tokens(rewritten))
    context = "\n".join(f"{t.question}\n{t.answer}" for t in turns)
    from_history = (new - own) & set(tokens(context))
    # A small model may answer instead of rewriting, or invent a name ('call the "FedEx" extension'): a rewrite
    # is kept only when it asks, and every fact in it (names, numbers, codes) was in the question or the turns.
    invented = facts_in(rewritten) - facts_in(question + "\n" + context)
    asks = rewritten.rstrip().endswith(("?", "？")) or language_of(question) == "ja"
    if (rewritten and len(rewritten) <= 4 * len(question) + 200 and len(own & new) >= len(own) / 2 and from_history
            and asks and not invented):
        return rewritten
    return None


def condense(
    question: str,
    history: Sequence[Turn],
    settings: Settings,
    tokens: Callable[[str], list[str]],
    idf: Callable[[list[str]], dict[str, float]] | None = None,
    rewritten: str | None = None,
) -> str:
    """The query to search for `question` after `history`: the question itself when it stands alone, else the
    model's rewrite (see `rewrite`), else the question with the key terms of what it refers to:
    - a question that points back (それ, その, it, that...) refers to the previous turn as it was searched;
    - an elliptic one (「海外出張の場合は？」, "And abroad?") is a variant of the topic the conversation started
      with, not of the previous variant: after 「日帰り出張の日当は？」「宿泊を伴う場合は？」 it carries 日当, not
      宿泊."""
    turns = follow_up_turns(question, history, settings)
    if not turns:
        return question
    if rewritten:
        return rewritten
    if points_back(question):
        previous = turns[-1].query or turns[-1].question
    else:
        previous = _topic_question(turns)
    return carry_key_terms(question, previous, tokens, idf)



def points_back(question: str) -> bool:
    text = unicodedata.normalize("NFKC", question)
    if language_of(text) == "ja":
        return bool(POINTING_JA.search(text))
    return bool(POINTING_EN.search(NOT_POINTING_EN.sub(" ", text)))


def _topic_question(turns: Sequence[Turn]) -> str:
    """The question that set the conversation's current topic: the latest turn that was searched as asked."""
    for turn in reversed(turns):
        if not turn.query or turn.query == turn.question:
            return turn.question
    return turns[0].query or turns[0].question


def carry_key_terms(
    question: str,
    previous: str,
    tokens: Callable[[str], list[str]],
    idf: Callable[[list[str]], dict[str, float]] | None = None,
) -> str:
    """The question plus the rarest topic words of the previous one that it does not already hold ("how long",
    いくら, どこ ask for an answer's kind: rare in manuals, carried they would pull the search off topic)."""
    own = set(tokens(question))
    theirs = [t for t in topic_terms(previous, tokens) if t not in own and len(t) > 1]
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
