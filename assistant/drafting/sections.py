"""One section of a draft, built from the manuals' own text: the chunks that cover the section's title and
purpose, in their documents' order, split into statements (sentences), steps (list items) and tables (rows),
each with the file and pages it comes from. Nothing is paraphrased here: a statement is a source sentence as
it stands, so its citation is true by construction. Too little material makes the section "needs input"."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

from assistant.core.language import language_of
from assistant.core.layout import LIST_ITEM, PIPE_ROW
from assistant.core.sentences import sentence_spans, unwrap
from assistant.core.terms import NOT_TOPIC, topic_weights, weighted_share
from assistant.drafting.outline import clean_title
from assistant.drafting.records import Block, Citation, OutlineItem, Section, Statement
from assistant.retrieval import Hit

MIN_SHARE = 0.5  # a chunk covers the section when it (with its headings) holds this share of the section's words
RELATIVE_SHARE = 0.6  # ... and at least this share of what the best chunk holds
MAX_CHUNKS = 8  # chunks in one section
PER_TOPIC = 2  # chunks taken for the title, 1 for each other topic
TABLE_ROW = PIPE_ROW  # a "a | b" row: drafting keeps DOCX/HTML/Markdown tables as tables


def citation_of(hit: Hit) -> Citation:
    return Citation(
        file=hit.name,
        doc_id=hit.doc_id,
        page=hit.page_start if hit.paginated else None,
        page_end=hit.page_end if hit.paginated else None,
        section=" > ".join(hit.heading_path[-2:]),
    )


def topics(item: OutlineItem) -> list[str]:
    """What to search for a section: its title, and its title with each part of its purpose (the source
    headings it was proposed from: 「出張の申請、交通費、宿泊費、日当」), so that every part finds its own text."""
    parts = [p.strip() for p in re.split(r"[、,;；]|\s/\s", item.purpose) if p.strip()]
    return [item.title] + [f"{item.title} {p}" for p in parts]


def build_section(
    item: OutlineItem,
    searches: Sequence[tuple[str, Sequence[Hit]]],
    tokens: Callable[[str], list[str]],
    idf: dict[str, float],
    language: str,
    already: set[str] = frozenset(),  # type: ignore[assignment]
) -> Section:
    """The section for `item` from its searches ((query, hits) per topic); `already` holds statements other
    sections show. A topic whose hits do not cover its words adds nothing; none covered: "needs input"."""
    section = Section(title=item.title, purpose=item.purpose)
    kept: dict[str, tuple[int, Hit]] = {}
    other_language: list[Hit] = []
    uncovered: list[str] = []
    for query, hits in searches:
        weights = _weights(query, tokens, idf)
        scored = []
        for rank, hit in enumerate(hits):
            if language_of(hit.context) != language:
                other_language.append(hit)
                continue
            share = weighted_share(weights, tokens(" ".join([*hit.heading_path, hit.context])))
            scored.append((share, rank, hit))
        best = max((sc for sc, _, _ in scored), default=0.0)
        good = [(r, h) for sc, r, h in scored if sc >= MIN_SHARE and sc >= RELATIVE_SHARE * best]
        # A topic's own section first: 「交通費」 is the chunk headed 第8条 交通費, not one that mentions it.
        topic = set(tokens(query.removeprefix(item.title) or item.title)) - NOT_TOPIC

        def named(hit: Hit, topic: set[str] = topic) -> int:
            return len(topic & set(tokens(hit.heading_path[-1] if hit.heading_path else "")))

        good.sort(key=lambda rh: (-named(rh[1]), rh[0]))
        if good and named(good[0][1]):  # the source section named for the topic, not sections that mention it
            good = [rh for rh in good if named(rh[1]) == named(good[0][1])]
        good = good[: PER_TOPIC if query == item.title else 1]
        if not good and query != item.title:
            uncovered.append(query.removeprefix(item.title).strip())
        for rank, hit in good:
            if hit.chunk_id not in kept and len(kept) < MAX_CHUNKS:
                kept[hit.chunk_id] = (rank, hit)
    all_hits = [h for _, hits in searches for h in hits]
    if not kept:
        return _needs_input(section, all_hits, other_language, _weights(searches[0][0], tokens, idf), tokens, language)
    first_rank: dict[int, int] = {}
    for rank, hit in kept.values():
        first_rank[hit.doc_id] = min(rank, first_rank.get(hit.doc_id, rank))
    seen = {_key(s) for s in already}
    for _, hit in sorted(kept.values(), key=lambda rh: (first_rank[rh[1].doc_id], rh[1].doc_id, rh[1].ordinal)):
        heading = clean_title(hit.heading_path[-1]) if len(hit.heading_path) > 1 else ""
        for block in _blocks(hit.context, citation_of(hit), heading if heading != item.title else ""):
            block.statements = [st for st in block.statements if _key(st.text) not in seen]
            seen.update(_key(st.text) for st in block.statements)
            if block.statements or block.rows:
                section.blocks.append(block)
    if not section.blocks:
        weights = _weights(searches[0][0], tokens, idf)
        return _needs_input(section, all_hits, other_language, weights, tokens, language, repeated=True)
    section.status = "drafted"
    if uncovered:
        ja = language == "ja"
        section.missing = ("マニュアルに記載がありません: " if ja else "The manuals do not cover: ") + (
            "、" if ja else ", "
        ).join(uncovered)
    return section


def _weights(query: str, tokens: Callable[[str], list[str]], idf: dict[str, float]) -> dict[str, float]:
    return topic_weights(query, tokens, idf)


def _blocks(text: str, citation: Citation, heading: str) -> list[Block]:
    """A chunk's text as blocks: runs of list items become steps, runs of "a | b" rows a table, the rest
    sentences. Consecutive blocks of one kind are merged."""
    blocks: list[Block] = []

    def add(kind: str, statement: str | None = None, row: list[str] | None = None) -> None:
        if not blocks or blocks[-1].kind != kind:
            blocks.append(Block(kind=kind, heading=heading if not blocks else "", table_citation=None))
        if statement:
            blocks[-1].statements.append(Statement(text=statement, citation=citation))
        if row:
            if not blocks[-1].rows:
                blocks[-1].table_citation = citation
            blocks[-1].rows.append(row)

    for start, end in sentence_spans(text):
        piece = text[start:end]
        lines = piece.splitlines()
        if any(TABLE_ROW.search(line) for line in lines):
            for line in lines:
                if TABLE_ROW.search(line):
                    add("table", row=[c.strip() for c in line.split("|")])
                elif line.strip():
                    add("text", unwrap(line))
        elif LIST_ITEM.match(piece):
            add("steps", unwrap(LIST_ITEM.sub("", piece, count=1)))
        elif _short_lines(lines):
            add("text", " / ".join(line.strip() for line in lines if line.strip()))
        else:
            add("text", unwrap(piece))
    return blocks


def _short_lines(lines: list[str]) -> bool:
    """A PDF table read as text: many short lines with no sentence end; joined they would run together."""
    filled = [line.strip() for line in lines if line.strip()]
    return len(filled) >= 4 and sum(map(len, filled)) / len(filled) < 24


def _needs_input(
    section: Section,
    hits: Sequence[Hit],
    other_language: list[Hit],
    weights: dict[str, float],
    tokens: Callable[[str], list[str]],
    language: str,
    repeated: bool = False,
) -> Section:
    """Marked, not filled: what the manuals do not say, and where the closest material is."""
    section.status = "needs_input"
    found: set[str] = set()
    for hit in hits:
        found |= set(tokens(hit.context)) | set(tokens(" ".join(hit.heading_path)))
    absent = [t for t, _ in sorted(weights.items(), key=lambda tw: -tw[1]) if t not in found][:5]
    ja = language == "ja"
    if repeated:
        section.missing = (
            "このセクションの出典は、ほかのセクションですでに使われています。"
            if ja
            else "Everything the manuals say about this is already in other sections."
        )
    elif absent:
        words = "、".join(absent) if ja else ", ".join(absent)
        section.missing = f"マニュアルに記載がありません: {words}" if ja else f"The manuals do not cover: {words}"
    else:
        section.missing = (
            "マニュアルの記載が少なすぎます。" if ja else "The manuals say too little about this to draft it."
        )
    if other_language:
        files = ", ".join(dict.fromkeys(h.name for h in other_language[:3]))
        section.missing += (
            f"（他言語の資料に関連記載: {files}）" if ja else f" (related material in another language: {files})"
        )
    section.closest = [citation_of(h) for h in hits[:3]]
    return section


def _key(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())
