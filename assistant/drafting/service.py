"""Drafting as the CLI and the web app call it: start a draft from a brief (outline proposed), set the outline,
build sections one at a time (each saved as it is finished), edit or rebuild one, review, export.

Only writers and admins draft, and a writer drafts only from documents their groups may read: every search runs
as the writer, and a brief naming a document outside their groups is refused."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from assistant.answering.relevance import term_idf
from assistant.core.config import Settings
from assistant.core.errors import AccessDenied, AssistantError
from assistant.core.facts import normalise
from assistant.core.identity import Principal, require_principal
from assistant.core.language import language_of
from assistant.core.terms import weighted_share
from assistant.drafting import export
from assistant.drafting.outline import outline_of_document, parse_outline, propose_outline
from assistant.drafting.prose import lead_statements
from assistant.drafting.records import Block, Brief, Draft, OutlineItem, Section
from assistant.drafting.review import (
    QUANTITY,
    Conflict,
    Fact,
    Review,
    find_conflicts,
    find_terms,
    find_unsourced,
)
from assistant.drafting.sections import build_section, citation_of, topics
from assistant.drafting.store import DraftStore
from assistant.kb import DocumentRecord, LiveKnowledgeBase
from assistant.kb.keywords import get_tokenizer
from assistant.llm import ChatModel, GenerationParams
from assistant.retrieval import Hit, Searcher

log = logging.getLogger(__name__)
DRAFTING_ROLES = ("writer", "admin")
OUTLINE_HITS = 12
OUTLINE_SHARE = 0.4  # a section of another document joins the outline when it holds this share of the brief
SECTION_HITS = 8
REVIEW_HITS = 5  # passages compared with each figure of a draft


class DraftingService:
    def __init__(
        self,
        settings: Settings,
        kb: LiveKnowledgeBase[Searcher],
        store: DraftStore | None = None,
        model: Callable[[], ChatModel] | None = None,
    ):
        self.settings = settings
        self.kb = kb
        self.store = store or DraftStore(settings.paths.drafts_db)
        self.model = model  # loaded on first use, and only for a language it writes
        self.tokens = get_tokenizer(settings.retrieval.sudachi_mode).tokens

    # --- access --------------------------------------------------------------------------------------------
    @staticmethod
    def require_writer(principal: Principal) -> Principal:
        principal = require_principal(principal)
        if principal.role not in DRAFTING_ROLES:
            raise AccessDenied(f"drafting is for writers and admins; {principal.name!r} is {principal.role}")
        return principal

    def documents(self, principal: Principal) -> list[DocumentRecord]:
        """The documents `principal` may draft from."""
        with self.kb.acquire() as searcher:
            readable = searcher.readable(principal)
            return [d for d in searcher.kb.documents() if readable is None or d.id in readable]

    def _check_sources(self, ids: Sequence[int], principal: Principal) -> None:
        allowed = {d.id for d in self.documents(principal)}
        refused = [i for i in ids if i not in allowed]
        if refused:
            raise AccessDenied(
                f"document(s) {', '.join(map(str, refused))} not found among the documents {principal.name} may read"
            )

    def get(self, draft_id: int, principal: Principal) -> Draft:
        principal = self.require_writer(principal)
        draft = self.store.get(draft_id)
        if draft.owner != principal.name and principal.role != "admin":
            raise AccessDenied(f"draft {draft_id} belongs to {draft.owner}")
        return draft

    def list(self, principal: Principal) -> list[dict]:
        principal = self.require_writer(principal)
        return self.store.list(None if principal.role == "admin" else principal.name)

    # --- brief and outline ---------------------------------------------------------------------------------
    def start(self, brief: Brief, principal: Principal) -> Draft:
        """A new draft with its proposed outline (the writer may change it before sections are built)."""
        principal = self.require_writer(principal)
        self._check_sources(brief.sources + ([brief.revise] if brief.revise is not None else []), principal)
        outline = self.propose_outline(brief, principal)
        draft = self.store.create(principal.name, brief, outline)
        return self.store.set_outline(draft.id or 0, outline, principal.name)

    def propose_outline(self, brief: Brief, principal: Principal) -> list[OutlineItem]:
        if brief.outline_text.strip():
            return parse_outline(brief.outline_text)
        with self.kb.acquire() as searcher:
            if brief.revise is not None:
                doc = next(d for d in searcher.kb.documents() if d.id == brief.revise)
                return outline_of_document(doc.name, searcher.kb.chunks_of(brief.revise))
            query = " ".join(x for x in (brief.title, brief.purpose, brief.audience) if x)
            hits = searcher.search(query, OUTLINE_HITS, principal=principal, doc_ids=brief.sources or None)
            hits = [h for h in hits if language_of(h.context) == brief.language]
            idf = term_idf(searcher, self.tokens(query))
            hits = [h for i, h in enumerate(hits) if i == 0 or self._covers(h, query, idf) >= OUTLINE_SHARE]
            chunks = {d: searcher.kb.chunks_of(d) for d in {h.doc_id for h in hits}}
        return propose_outline(hits, chunks)

    def _covers(self, hit: Hit, query: str, idf: dict[str, float]) -> float:
        """The idf-weighted share of the query's words in the hit's text and headings."""
        weights = {w: idf.get(w, 0.0) for w in self.tokens(query)}
        return weighted_share(weights, self.tokens(" ".join([*hit.heading_path, hit.context])))

    def set_outline(self, draft_id: int, outline: list[OutlineItem], principal: Principal) -> Draft:
        self.get(draft_id, principal)
        if not outline:
            raise AssistantError("the outline is empty: give at least one section title")
        return self.store.set_outline(draft_id, outline, principal.name)

    # --- sections ------------------------------------------------------------------------------------------
    def build(self, draft_id: int, position: int, principal: Principal) -> Section:
        """(Re)build one section from the manuals and save it; the other sections are not touched."""
        draft = self.get(draft_id, principal)
        if not 0 <= position < len(draft.sections):
            raise AssistantError(f"draft {draft_id} has sections 1 to {len(draft.sections)}, not {position + 1}")
        item = draft.outline[position]
        t0 = time.perf_counter()
        docs = draft.brief.sources or None
        with self.kb.acquire() as searcher:
            searches = [
                (q, searcher.search(q, SECTION_HITS, principal=principal, doc_ids=docs))
                for q in topics(item)
            ]
            idf = term_idf(searcher, self.tokens(f"{item.title} {item.purpose}"))
        already = {
            s.text
            for i, other in enumerate(draft.sections)
            if i != position
            for b in other.blocks
            for s in b.statements
        }
        section = build_section(item, searches, self.tokens, idf, draft.brief.language, already)
        if section.status == "drafted" and self.writes(draft.brief.language):
            self._add_lead(draft, section)
        section.seconds = round(time.perf_counter() - t0, 3)
        self.store.save_section(draft_id, position, section, principal.name, "built")
        return section

    def writes(self, lang: str) -> bool:
        return self.model is not None and lang in self.settings.generation.languages

    def _add_lead(self, draft: Draft, section: Section) -> None:
        gen = self.settings.generation
        params = GenerationParams(gen.max_tokens, gen.temperature, tuple(gen.stop), gen.repeat_penalty)
        lead, section.withheld = lead_statements(
            self.model(),  # type: ignore[misc]
            params,
            draft.brief,
            section,
            self.tokens,
            self.settings.paths.prompts_dir,
            self.settings.qa.attribution_min_overlap,
        )
        if lead:
            section.blocks.insert(0, Block(kind="text", statements=lead))

    def build_all(
        self,
        draft_id: int,
        principal: Principal,
        progress: Callable[[int, int, Section], None] | None = None,
        rebuild: bool = False,
    ) -> Draft:
        """Every section not yet built (all with `rebuild`), in order, each saved when finished: an interrupted
        run keeps what it finished, and running it again goes on from there."""
        draft = self.get(draft_id, principal)
        for i, section in enumerate(draft.sections):
            if section.status != "pending" and not rebuild:
                continue
            built = self.build(draft_id, i, principal)
            if progress is not None:
                progress(i + 1, len(draft.sections), built)
        return self.store.get(draft_id)

    def edit(self, draft_id: int, position: int, text: str, principal: Principal) -> Section:
        """The writer's own text for one section (Markdown with [file p.N] markers); the review checks it."""
        draft = self.get(draft_id, principal)
        section = draft.sections[position]
        section.edited, section.status = text, "edited"
        self.store.save_section(draft_id, position, section, principal.name, "edited")
        return section

    # --- review and export ---------------------------------------------------------------------------------
    def review(self, draft_id: int, principal: Principal) -> Review:
        draft = self.get(draft_id, principal)
        facts = [
            Fact(s.text, s.citation, b.heading or s.citation.section)
            for section in draft.sections
            for b in section.blocks
            for s in b.statements
        ]
        uses = [
            (f"{i}. {s.title}", export.section_markdown(s, i, draft.brief.language))
            for i, s in enumerate(draft.sections, 1)
        ]
        with self.kb.acquire() as searcher:
            lookup = _page_text(searcher, principal)
            unsourced = find_unsourced(draft, lookup, self.tokens)
            # Each figure of the draft is also compared with what other manuals say about it: the draft quotes one
            # source, and an older manual giving another figure is exactly what the writer must hear about.
            others: dict[tuple[str, str], Fact] = {}
            for fact in facts:
                if not QUANTITY.search(normalise(fact.text)):
                    continue
                for hit in searcher.search(
                    fact.text, REVIEW_HITS, principal=principal, doc_ids=draft.brief.sources or None, neighbours=0
                ):
                    if hit.doc_id != fact.citation.doc_id:
                        heading = hit.heading_path[-1] if hit.heading_path else ""
                        for sentence in _sentences(hit.text):
                            others.setdefault((hit.chunk_id, sentence), Fact(sentence, citation_of(hit), heading))
        own = {id(f) for f in facts}
        conflicts = [
            c
            for c in find_conflicts(facts + list(others.values()), self.tokens)
            if id(c.first) in own or id(c.second) in own
        ]
        return Review(find_terms(uses), conflicts, unsourced)

    def conflicts(self, principal: Principal, refs: Sequence[str] = ()) -> list[Conflict]:
        """Conflicting figures across existing manuals (`assistant review`): all the user may read, or `refs`."""
        principal = require_principal(principal)
        facts: list[Fact] = []
        with self.kb.acquire() as searcher:
            readable = searcher.readable(principal)
            docs = [d for d in searcher.kb.documents() if readable is None or d.id in readable]
            if refs:
                chosen = [d for ref in refs for d in searcher.kb.find_documents(ref) if d in docs]
                missing = [r for r in refs if not any(d in docs for d in searcher.kb.find_documents(r))]
                if missing:
                    raise AssistantError(f"no such document you may read: {', '.join(missing)}")
                docs = chosen
            for doc in docs:
                for chunk in searcher.kb.chunks_of(doc.id or 0):
                    hit_like = _ChunkHit(doc, chunk)
                    citation = citation_of(hit_like)  # type: ignore[arg-type]
                    heading = chunk["heading_path"][-1] if chunk["heading_path"] else ""
                    facts += [Fact(s, citation, heading) for s in _sentences(chunk["text"])]
        return find_conflicts(facts, self.tokens)

    def export(self, draft_id: int, fmt: str, principal: Principal) -> bytes:
        draft = self.get(draft_id, principal)
        if fmt == "md":
            return export.to_markdown(draft).encode("utf-8")
        if fmt == "docx":
            return export.to_docx(draft)
        raise AssistantError(f"unknown export format {fmt!r}: md or docx")


class _ChunkHit:
    """The fields of a search hit that a citation needs, for a chunk read directly."""

    def __init__(self, doc: DocumentRecord, chunk: dict):
        self.name, self.doc_id, self.paginated = doc.name, doc.id or 0, doc.paginated
        self.page_start, self.page_end = chunk["page_start"], chunk["page_end"]
        self.heading_path = chunk["heading_path"]


def _sentences(text: str) -> list[str]:
    from assistant.core.sentences import sentence_spans, unwrap

    return [unwrap(text[a:b]) for a, b in sentence_spans(text)]


def _page_text(searcher: Searcher, principal: Principal) -> Callable[[str, int | None], str | None]:
    """file name and page -> the text of that page (all of the file without a page), among readable files."""
    readable = searcher.readable(principal)

    def lookup(name: str, page: int | None) -> str | None:
        docs = [d for d in searcher.kb.find_documents(name) if readable is None or d.id in readable]
        if not docs:
            return None
        chunks = searcher.kb.chunks_of(docs[0].id or 0)
        if page is not None:
            chunks = [c for c in chunks if c["page_start"] <= page <= c["page_end"]]
        return "\n".join(c["text"] for c in chunks) or None

    return lookup
