"""Fitting sources into the model's context window, measured with the model's own tokenizer.

System prompt + sources + question + the answer's `max_tokens` must fit; sources are dropped from the lowest
rank (then cut) until they do. The question is never trimmed: one too long for the window is a clear error.
Instruction-like sentences in sources are screened out here, before the model reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.answering.injection import Finding, screen
from assistant.core.config import Settings
from assistant.core.errors import AssistantError
from assistant.llm import ChatMessage, ChatModel
from assistant.llm.prompts import render
from assistant.retrieval import Hit

# Chat-template tokens around each message (role markers, separators); generous for the templates in use.
TEMPLATE_TOKENS_PER_MESSAGE = 8
MIN_CONTEXT_TOKENS = 128
MIN_ANSWER_TOKENS = 64


def build_prompt(
    settings: Settings, model: ChatModel, hits: list[Hit], question: str, lang: str, not_found: str
) -> tuple[list[ChatMessage], list[Hit], int, int, list[Finding]]:
    """(messages, sources kept, max_tokens for the answer, prompt tokens, screened findings)."""
    prompts: Path = settings.paths.prompts_dir
    system = render("qa", lang, prompts, not_found=not_found)
    frame = render("qa-question", lang, prompts, context="", question=question)
    count = model.count_tokens
    system_tokens = count(system)
    fixed = system_tokens + count(frame) + 2 * TEMPLATE_TOKENS_PER_MESSAGE
    window = model.context_window
    max_tokens = settings.generation.max_tokens
    if window - fixed - max_tokens < MIN_CONTEXT_TOKENS:
        max_tokens = max(MIN_ANSWER_TOKENS, window - fixed - MIN_CONTEXT_TOKENS)
    budget = min(settings.retrieval.context_tokens, window - fixed - max_tokens)
    if budget < MIN_CONTEXT_TOKENS:
        raise AssistantError(
            f"the question is too long for the model's context window ({window} tokens): "
            "shorten it or configure a model with a larger generation.context_window"
        )
    kept = fit_sources(hits, budget, count)
    blocks, screened = [], []
    for i, hit in enumerate(kept, start=1):
        text = hit.context
        if settings.qa.screen_injections:
            text, found = screen(text, i)
            screened += found
            hit.context = text  # what the model reads is also all a quote may come from
        blocks.append(f"[{i}] {source_header(hit)}\n{text.strip()}")
    user = render("qa-question", lang, prompts, context="\n\n".join(blocks), question=question)
    prompt_tokens = system_tokens + count(user) + 2 * TEMPLATE_TOKENS_PER_MESSAGE
    return [ChatMessage("system", system), ChatMessage("user", user)], kept, max_tokens, prompt_tokens, screened


def fit_sources(hits: list[Hit], budget: int, count: Callable[[str], int]) -> list[Hit]:
    """As many sources as fit whole, in rank order, with the header line of each counted; else the first, cut."""
    headers = [count(f"[{i}] {source_header(h)}\n") + 2 for i, h in enumerate(hits, start=1)]
    for k in range(len(hits), 0, -1):
        contexts = [h.context for h in hits[:k]]
        kept = fit_to_budget(hits[:k], budget - sum(headers[:k]), count)
        if len(kept) == k:
            return kept
        for h, c in zip(hits[:k], contexts, strict=True):  # fit_to_budget shortened them: undo for the next try
            h.context = c
    return []


def source_header(hit: Hit) -> str:
    parts = [hit.name]
    if hit.pages:
        parts.append(hit.pages)
    if hit.heading_path:
        parts.append(" > ".join(hit.heading_path[-2:]))
    return " — ".join(parts)


def fit_to_budget(hits: list[Hit], budget: int, count_tokens: Callable[[str], int]) -> list[Hit]:
    """Keep hits in rank order while their context fits the token budget; a context that does not fit
    falls back to the hit's own chunk, and the last one may be cut. The question is never trimmed here."""
    out: list[Hit] = []
    left = budget
    for hit in hits:
        for candidate in (hit.context, hit.text):
            n = count_tokens(candidate)
            if n <= left:
                hit.context = candidate
                left -= n
                out.append(hit)
                break
        else:
            if left >= 32:
                # Cut by characters proportionally, then verify.
                text = hit.text
                while text and count_tokens(text) > left:
                    text = text[: int(len(text) * 0.8)]
                if text:
                    hit.context = text
                    out.append(hit)
            break
    return out
