"""The outline of a new manual: the sections of the most relevant existing manuals, merged and ordered, or the
writer's own outline (pasted text or an existing document to revise). Titles are the manuals' own headings
without their numbering: the new manual numbers its sections itself."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.core.language import contains_japanese
from assistant.drafting.records import OutlineItem
from assistant.retrieval import Hit

NUMBERING = re.compile(
    r"^\s*(?:第[0-9０-９一二三四五六七八九十百]+[章節条部項]|(?:chapter|section|part)\s+\d+[.:]?"
    r"|[0-9０-９]+(?:[.．][0-9０-９]+)*[.．)）]?|[IVX]+[.)]|[A-Z][.)])\s*",
    re.I,
)
BULLET = re.compile(r"^\s*(?:#{1,6}|[-*+•・●■]|[0-9０-９]{1,2}[.)．）])\s*")
PURPOSE_SEPARATOR = re.compile(r"\s+[—–-]\s+|：|:\s+")
MAX_ITEMS = 10


def clean_title(heading: str) -> str:
    """「第3章 国内出張」 -> 「国内出張」, "2.1 Password rules" -> "Password rules" (unchanged if nothing is left)."""
    stripped = NUMBERING.sub("", heading, count=1).strip()
    return stripped or heading.strip()


def parse_outline(text: str) -> list[OutlineItem]:
    """One section per non-empty line ("# Title", "- Title", "1. Title: what it covers")."""
    items = []
    for line in text.splitlines():
        line = BULLET.sub("", line, count=1).strip()
        if not line:
            continue
        title, _, purpose = _split_purpose(line)
        items.append(OutlineItem(title=title[:200], purpose=purpose[:1000], origin=["outline"]))
    return items


def _split_purpose(line: str) -> tuple[str, str, str]:
    parts = PURPOSE_SEPARATOR.split(line, maxsplit=1)
    return (parts[0].strip(), "", parts[1].strip()) if len(parts) == 2 and parts[0].strip() else (line, "", "")


def outline_of_document(name: str, chunks: Sequence[dict]) -> list[OutlineItem]:
    """A document's top sections (level 2 of its heading paths, under the title), in its order, each with the
    headings below it as its purpose: the outline for revising that document."""
    items: dict[str, OutlineItem] = {}
    for chunk in chunks:
        path = chunk["heading_path"]
        if len(path) < 2:
            continue
        item = items.setdefault(path[1], OutlineItem(title=clean_title(path[1]), origin=[f"{name} > {path[1]}"]))
        if len(path) > 2:
            sub = clean_title(path[2])
            if sub not in re.split(r"、|; ", item.purpose):
                joiner = "、" if contains_japanese(sub) else "; "
                item.purpose = f"{item.purpose}{joiner}{sub}" if item.purpose else sub
    if not items and chunks:
        first = chunks[0]["heading_path"]
        return [OutlineItem(title=clean_title(first[0]) if first else name, origin=[name])]
    return list(items.values())


def propose_outline(
    hits: Sequence[Hit], chunks_of: dict[int, list[dict]], max_items: int = MAX_ITEMS
) -> list[OutlineItem]:
    """The best-matching document's sections in its order, then the sections of other documents that the brief
    found, merged by title. `hits` are the brief's search results (only documents the writer may use, in the
    brief's language); `chunks_of` maps their doc ids to their chunks."""
    if not hits:
        return []
    score: dict[int, float] = {}
    for rank, hit in enumerate(hits):
        score[hit.doc_id] = score.get(hit.doc_id, 0.0) + 1.0 / (rank + 1)
    ranked_docs = sorted(score, key=lambda d: -score[d])
    top = ranked_docs[0]
    names = {h.doc_id: h.name for h in hits}
    out = outline_of_document(names[top], chunks_of.get(top, []))
    seen = {o.title.casefold(): o for o in out}
    for hit in hits:
        if hit.doc_id == top or len(hit.heading_path) < 2:
            continue
        item = outline_of_document(
            hit.name, [c for c in chunks_of.get(hit.doc_id, []) if c["heading_path"][:2] == hit.heading_path[:2]]
        )
        for o in item:
            if o.title.casefold() in seen:
                merged = seen[o.title.casefold()]
                merged.origin += [x for x in o.origin if x not in merged.origin]
            elif len(out) < max_items:
                out.append(o)
                seen[o.title.casefold()] = o
    return out[:max_items]
