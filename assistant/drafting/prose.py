"""The one thing the model adds to a section: an introduction of one or two sentences, written from the
section's own statements and shown only when every sentence cites a statement that backs it (the strict check of
answers: numbers, names and terms must be in the cited source). Asked only when the model writes the draft's
language (`generation.languages`); the shipped 135M model writes English only."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from assistant.answering.citations import CitationChecker
from assistant.core.sentences import split_sentences
from assistant.drafting.records import Brief, Citation, Section, Statement
from assistant.llm import ChatModel
from assistant.llm.base import ChatMessage, GenerationParams
from assistant.llm.prompts import render

NUMBER_CITED = re.compile(r"\[(\d+)\]")
MAX_SOURCES = 6
MAX_LEAD = 2
DEFAULT_STYLE = {"ja": "です・ます調", "en": "plain and direct"}


def lead_statements(
    model: ChatModel,
    params: GenerationParams,
    brief: Brief,
    section: Section,
    tokens: Callable[[str], list[str]],
    prompts: Path,
    min_overlap: float,
) -> tuple[list[Statement], list[str]]:
    """(checked lead statements, reasons for each sentence withheld)."""
    texts: list[str] = []
    cites: list[Citation] = []
    for block in section.blocks[:MAX_SOURCES]:
        text = " ".join(s.text for s in block.statements) or "\n".join(" | ".join(r) for r in block.rows)
        citation = block.statements[0].citation if block.statements else block.table_citation
        if text and citation is not None:
            texts.append(text)
            cites.append(citation)
    if not texts:
        return [], []
    lang = brief.language
    system = render("draft-lead", lang, prompts, style=brief.style or DEFAULT_STYLE[lang])
    context = "\n\n".join(f"[{i}] {text}" for i, text in enumerate(texts, 1))
    frame = {"manual": brief.title, "audience": brief.audience or "-", "section": section.title}
    request = render("draft-lead-request", lang, prompts, context=context, **frame)
    checker = CitationChecker(
        len(texts),
        [set(tokens(t)) for t in texts],
        tokens,
        min_overlap,
        withhold_unsupported=True,
        attribute=False,
        instructions=system,
        question=render("draft-lead-request", lang, prompts, context="", **frame),  # the sources are no question
        source_texts=texts,
        language=lang,
    )
    raw = model.generate([ChatMessage("system", system), ChatMessage("user", request)], params)
    shown = checker.feed(raw) + checker.finish(truncated=model.count_tokens(raw) >= params.max_tokens)
    out: list[Statement] = []
    for sentence in split_sentences(shown):
        numbers = [int(n) for n in NUMBER_CITED.findall(sentence) if 1 <= int(n) <= len(cites)]
        body = re.sub(r"\s+([.,;:!?。、])", r"\1", " ".join(NUMBER_CITED.sub(" ", sentence).split()))
        if numbers and len(body) >= 10 and len(out) < MAX_LEAD:
            out.append(Statement(text=body, citation=cites[numbers[0] - 1], generated=True))
    return out, list(checker.report.reasons)
