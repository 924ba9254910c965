"""HTML and Markdown the views show: sources with the evidence marked, result tables. Formatting only."""

from __future__ import annotations

from html import escape

from assistant.answering.records import Answer, Source
from assistant.core.layout import cells, is_table_row
from ui.labels import t


def marked_passage(source: Source, answer: Answer) -> str:
    """The source's passage, HTML-escaped, with its evidence in <mark>; table rows as an HTML table with their
    header row (a row that is part of the evidence is marked whole)."""
    spans = sorted((e.start, e.end) for e in answer.evidence if e.number == source.number)
    passage = source.passage
    out: list[str] = []
    rows: list[str] = []
    pos = 0
    for line in passage.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if is_table_row(line):
            header = not rows
            marked = any(a < end and start < b for a, b in spans)
            tag = "th" if header else "td"
            cells_html = "".join(f"<{tag}>{escape(c)}</{tag}>" for c in cells(line))
            mark = " class='da-mark'" if marked and not header else ""
            rows.append(f"<tr{mark}>{cells_html}</tr>")
            continue
        if rows:
            out.append("<table class='da-table'>" + "".join(rows) + "</table>")
            rows = []
        out.append(_marked(passage, start, end, spans) + "\n")
    if rows:
        out.append("<table class='da-table'>" + "".join(rows) + "</table>")
    return "".join(out).rstrip("\n")


def _marked(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """text[start:end], escaped, with the parts inside `spans` in <mark>."""
    out, at = [], start
    for a, b in spans:
        a, b = max(a, start), min(b, end)
        if b <= a or a < at:
            continue
        out.append(escape(text[at:a]))
        out.append(f"<mark>{escape(text[a:b])}</mark>")
        at = b
    out.append(escape(text[at:end]))
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
