"""Follow-up questions made standalone, so retrieval finds what "and for overseas trips?" refers to."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.answering.records import Turn
from assistant.core.config import Settings
from assistant.core.language import language_of
from assistant.llm import ChatMessage, ChatModel, GenerationParams
from assistant.llm.prompts import render

CONDENSE_MAX_TOKENS = 64
HISTORY_ANSWER_CHARS = 300


def condense(
    question: str,
    history: Sequence[Turn],
    settings: Settings,
    model: ChatModel,
    tokens: Callable[[str], list[str]],
) -> str:
    """A standalone retrieval query for a follow-up. A small model may drop the follow-up's own words or
    return it unchanged; when the rewrite keeps less than half of the follow-up's words or adds none from
    the conversation, the previous question plus the follow-up is used instead, which retrieval handles well."""
    qa = settings.qa
    turns = list(history)[-qa.history_turns :] if qa.history_turns else []
    if not turns or not qa.condense:
        return question
    lang = language_of(question)
    who = ("User", "Assistant") if lang == "en" else ("ユーザー", "アシスタント")
    lines = []
    for t in turns:
        lines += [f"{who[0]}: {t.question}", f"{who[1]}: {_shorten(t.answer, HISTORY_ANSWER_CHARS)}"]
    prompt = render("condense", lang, settings.paths.prompts_dir, history="\n".join(lines), question=question)
    params = GenerationParams(max_tokens=CONDENSE_MAX_TOKENS, temperature=0.0, stop=("\n",))
    rewritten = _first_line(model.generate([ChatMessage("user", prompt)], params))
    own, new = set(tokens(question)), set(tokens(rewritten))
    from_history = (new - own) & set(tokens("\n".join(lines)))
    if rewritten and len(rewritten) <= 4 * len(question) + 200 and len(own & new) >= len(own) / 2 and from_history:
        return rewritten
    return f"{turns[-1].question} {question}"


def _shorten(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"


def _first_line(text: str) -> str:
    line = next((ln for ln in text.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^(standalone question|question|独立した質問|質問)\s*[:：]\s*", "", line.strip(), flags=re.I)
    return line.strip().strip('"「」')
