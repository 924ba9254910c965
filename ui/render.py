"""HTML and Markdown the views show: sources with the evidence marked, result tables. Formatting only."""

from __future__ import annotations

from html import escape

from assistant.answering.records import Answer, Source
from ui.labels import t


def marked_passage(source: Source, answer: Answer) -> str:
    """The source's passage, HTML-escaped, with its evidence sentences in <mark>."""
    spans = sorted((e.start, e.end) for e in answer.evidence if e.number == source.number)
    out, at = [], 0
    for start, end in spans:
        if start < at:
            continue
        out.append(escape(source.passage[at:start]))
        out.append(f"<mark>{escape(source.passage[start:end])}</mark>")
        at = end
    out.append(escape(source.passage[at:]))
    return "".join(out)


def sources_html(answer: Answer | None, lang: str) -> str:
    if answer is None or not answer.sources:
        return f"<p class='da-muted'>{escape(t(lang, 'chat.no_sources'))}</p>" + _meta(answer)
    if answer.abstained:
        # Nothing answered: the passages searched are not sources. They stay at hand, folded and said to be so.
        inner = "".join(_source(s, answer, lang, open_=False) for s in answer.sources)
        return (f"<details class='da-near' id='da-near'><summary>{escape(t(lang, 'chat.near'))}</summary>{inner}"
                "</details>" + _meta(answer))
    rows = answer.cited_sources + [s for s in answer.sources if not s.cited]
    return "".join(_source(s, answer, lang, open_=s.cited) for s in rows) + _meta(answer)


def _source(s: Source, answer: Answer, lang: str, open_: bool) -> str:
    where = " · ".join(x for x in (s.pages, s.section) if x)
    if s.also_in:
        where += f" ({t(lang, 'chat.also_in')}: {', '.join(s.also_in)})"
    cited = " da-cited" if s.cited else ""
    return (
        f"<details class='da-source{cited}' {'open' if open_ else ''}>"
        f"<summary><b>[{s.number}]</b> {escape(s.file)}"
        f"{' — ' + escape(where) if where else ''}</summary>"
        f"<div class='da-passage'>{marked_passage(s, answer)}</div></details>"
    )


def _meta(answer: Answer | None) -> str:
    """Which answer the panel shows (for scripts and tests that must know an answer is complete)."""
    return "" if answer is None else meta_html(answer.id, answer.outcome)


def meta_html(answer_id: str, outcome: str) -> str:
    data = f"data-answer-id='{escape(answer_id)}' data-outcome='{escape(outcome)}'"
    return f"<span id='da-answer-meta' hidden {data}></span>"


def source_choices(answer: Answer | None) -> list[tuple[str, int]]:
    """Sources that have a page to preview, as (label, number) for a dropdown."""
    if answer is None:
        return []
    return [(f"[{s.number}] {s.label}", s.number) for s in answer.sources if s.page is not None]
