"""A conversation's earlier turns, one rule for every client: what a follow-up is understood from is the manuals'
evidence shown for each earlier question, never the model's text (a garbled summary must not steer the next search),
and a turn that found nothing ("not found", an error) is not part of it.

The web chat keeps its turns as `Answer.turn()`; an API client sends the text it was shown, which is read back here
into the same `Turn`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answering.records import Turn
from assistant.core.config import Settings
from assistant.llm.prompts import render

QUOTE = re.compile(r"「([^」]*)」\s*\[\d+\]|\"([^\"]*)\"\s*\[\d+\]")


def turn_from_text(question: str, shown: str, settings: Settings) -> Turn | None:
    """The turn an earlier (question, answer text) pair stands for; None when the answer found nothing."""
    prompts = settings.paths.prompts_dir
    flat = shown.strip()
    for lang in ("ja", "en"):
        if flat.startswith(render("not-found", lang, prompts).strip()):
            return None
    for lang in ("ja", "en"):
        heading = "\n\n" + render("summary", lang, prompts).strip()
        if heading in flat:
            flat = flat[: flat.index(heading)]
    quotes = [a or b for a, b in QUOTE.findall(flat)]
    if not quotes:
        return None  # no evidence: nothing the manuals said for it to lean on
    return Turn(question, " ".join(quotes))


def history(pairs: Sequence[tuple[str, str]], settings: Settings) -> list[Turn]:
    """The turns of earlier (question, shown answer) pairs, the last `qa.history_turns` of them."""
    turns = [t for q, a in pairs if (t := turn_from_text(q, a, settings)) is not None]
    keep = settings.qa.history_turns
    return turns[-keep:] if keep else []


def recent(turns: Sequence[Turn], settings: Settings) -> list[Turn]:
    """The last `qa.history_turns` turns the chat kept."""
    keep = settings.qa.history_turns
    return list(turns)[-keep:] if keep else []
