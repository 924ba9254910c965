"""Hybrid retrieval: dense (FAISS) + keyword (BM25 over Sudachi words and Japanese bigrams), fused, filtered by
access group, ranked by section.

Small chunks are matched (they pin down where a question is answered); the results are sections, each its best
chunk with the section around it as context (a manual's sections are what a reader needs, and a long section
must not fill the list with its pieces). Access control is applied inside both rankers (an ID selector in FAISS,
an `acl:` clause in the FTS5 query), not after them, so a user's top-k is never filled, truncated or padded by
documents they may not see; a final check drops anything that still slipped through. Context comes from the
hit's own section only.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import faiss
import numpy as np

from assistant.core.config import RetrievalSettings
from assistant.core.identity import Principal, require_principal
from assistant.core.language import contains_japanese
from assistant.core.layout import is_heading, is_lead_in, is_list_item, is_table_row
from assistant.core.pages import read_by_ocr
from assistant.embeddings import BaseEmbedder
from assistant.kb import vector_index
from assistant.kb.keywords import KeywordTokenizer, get_tokenizer
from assistant.kb.reader import KnowledgeBase
from assistant.kb.schema import acl_token, doc_token
from assistant.retrieval.fusion import fuse

MODES = ("hybrid", "dense", "keyword")
_ACRONYM = re.compile(r"(?<![A-Za-z])[A-Z][A-Za-z0-9&]{1,9}(?![A-Za-z])")  # as kb/defined_terms.py finds them


@dataclass
class Hit:
    id: int
    chunk_id: str
    doc_id: int
    source: str
    name: str
    title: str | None
    paginated: bool
    ordinal: int
    text: str
    heading_path: list[str]
    page_start: int
    page_end: int
    score: float = 0.0
    dense_score: float | None = None
    keyword_score: float | None = None
    dense_rank: int | None = None
    keyword_rank: int | None = None
    rerank_score: float | None = None
    context: str = ""
    covered_ids: list[int] = field(default_factory=list)
    page_engines: str | None = None  # the document's, one letter per page (assistant/kb/schema.py)
    copies: list[Hit] = field(default_factory=list)  # the same section in other documents (sibling manuals)

    @property
    def ocr(self) -> bool:
        """Some of its pages were read by OCR: citations say so (the text may hold OCR errors)."""
        return read_by_ocr(self.page_engines, self.page_start, self.page_end)

    @property
    def pages(self) -> str:
        if not self.paginated:
            return ""
        return f"p.{self.page_start}" if self.page_start == self.page_end else f"pp.{self.page_start}-{self.page_end}"

    def metadata(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "file": self.name,
            "title": self.title,
            "page": self.page_start if self.paginated else None,
            "page_end": self.page_end if self.paginated else None,
            "ocr": self.ocr,
            "heading_path": self.heading_path,
            "chunk_id": self.chunk_id,
            "doc_id": self.doc_id,
            "score": self.score,
            "dense_score": self.dense_score,
            "keyword_score": self.keyword_score,
            "dense_rank": self.dense_rank,
            "keyword_rank": self.keyword_rank,
            "rerank_score": self.rerank_score,
            "also_in": [
                {"file": c.name, "page": c.page_start if c.paginated else None, "heading_path": c.heading_path}
                for c in self.copies
            ],
        }


@dataclass(frozen=True)
class Scope:
    """What a query may see: None in a field means no restriction from it."""

    groups: frozenset[str] | None = None
    doc_ids: frozenset[int] | None = None
    tags: frozenset[str] | None = None

    @property
    def unrestricted(self) -> bool:
        return self.groups is None and self.doc_ids is None and self.tags is None


def _join_overlapping(a: str, b: str, max_overlap: int = 400) -> str:
    """Concatenate adjacent chunks without repeating the overlap the splitter put between them (a whole line, however
    short), nor the header row the chunker put before the next rows of a table."""
    for n in range(min(len(a), len(b), max_overlap), 10, -1):
        if a.endswith(b[:n]):
            return a + b[n:]
    head, _, rest = b.partition("\n")
    if rest and len(head.strip()) >= 4 and head.strip() == a.rsplit("\n", 1)[-1].strip():
        return a + "\n" + rest  # a short whole line overlapped (「①顧客本位の業務運営」): shown once
    if rest and " | " in head and " | " in a.rsplit("\n", 1)[-1] and head in a.split("\n"):
        return a + "\n" + rest
    return a + "\n" + b


class Searcher:
    def __init__(
        self,
        kb: KnowledgeBase,
        embedder: BaseEmbedder,
        settings: RetrievalSettings,
        reranker: Any = None,
        tokenizer: KeywordTokenizer | None = None,
    ):
        kb.check_embedder(embedder.identity)
        faiss.omp_set_num_threads(settings.search_threads)
        self.kb = kb
        self.embedder = embedder
        self.settings = settings
        self.reranker = reranker
        self.tokenizer = tokenizer or get_tokenizer(settings.sudachi_mode)
        self.spec = vector_index.IndexSpec(
            settings.index_type, settings.ann_threshold, settings.hnsw_m, settings.ivf_nprobe, settings.hnsw_ef_search
        )
        self._docs_cache: dict[Scope, frozenset[int]] = {}
        self._scope_cache: dict[Scope, tuple[frozenset[int], faiss.IDSelector | None, np.ndarray]] = {}

    @functools.cached_property
    def _terms(self) -> list[tuple[str, str, str]]:
        """(acronym, spelled-out form, that form NFKC lower-cased) of every definition, longest form first."""
        pairs = set(self.kb.defined_terms())
        return sorted(((short, long, unicodedata.normalize("NFKC", long).lower()) for short, long in pairs),
                      key=lambda t: (-len(t[2]), t[0], t[1]))

    def defined_pairs(self, query: str) -> list[tuple[str, str]]:
        """The (acronym, spelled-out form) pairs the documents define that `query` names either way."""
        text = unicodedata.normalize("NFKC", query)
        shorts, lower = set(_ACRONYM.findall(text)), text.lower()
        return [(short, long) for short, long, key in self._terms
                if short in shorts or (len(key) >= 3 and key in lower)]

    def expand(self, query: str) -> str:
        """`query` with the other form of each acronym or defined term in it, as the documents define them
        (「ABR」 also searches 「アドレス・ベース・レジストリ」, and the other way round; at most two spelled-out forms
        of one acronym)."""
        text = unicodedata.normalize("NFKC", query)
        shorts, lower = set(_ACRONYM.findall(text)), text.lower()
        added: list[str] = []
        spelled: Counter[str] = Counter()
        for short, long in self.defined_pairs(query):
            if short in shorts:
                if long.lower() not in lower and spelled[short] < 2:
                    spelled[short] += 1
                    added.append(long)
            elif short not in text:
                added.append(short)
        return query if not added else query + " (" + " / ".join(dict.fromkeys(added)) + ")"

    @contextmanager
    def acquire(self) -> Iterator[Searcher]:
        """A searcher over one fixed generation is its own source (the live one is `kb.LiveKnowledgeBase`)."""
        yield self

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        return self.kb.keyword_df(list(terms))

    @functools.cached_property
    def chunk_count(self) -> int:
        """A searcher reads one immutable generation, so this is counted once (a scan at 1M chunks)."""
        return self.kb.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]

    # --- scope ---------------------------------------------------------------------------------------
    def readable(self, principal: Principal) -> frozenset[int] | None:
        """Ids of the documents `principal` may read; None: every document."""
        return self._allowed_docs(Scope(require_principal(principal).groups))

    def _allowed_docs(self, scope: Scope) -> frozenset[int] | None:
        """Documents a scope may see; computed once per scope (a searcher reads one immutable generation)."""
        if scope.unrestricted:
            return None
        if scope not in self._docs_cache:
            self._docs_cache[scope] = self._compute_allowed_docs(scope)
        return self._docs_cache[scope]

    def _compute_allowed_docs(self, scope: Scope) -> frozenset[int]:
        docs = {r[0] for r in self.kb.conn.execute("SELECT id FROM documents")}
        if scope.groups is not None:
            marks = ",".join("?" * len(scope.groups)) or "NULL"
            docs &= {
                r[0]
                for r in self.kb.conn.execute(
                    f"SELECT doc_id FROM doc_groups WHERE grp IN ({marks})", sorted(scope.groups)
                )
            }
        if scope.doc_ids is not None:
            docs &= set(scope.doc_ids)
        if scope.tags is not None:
            docs &= {
                r[0]
                for r in self.kb.conn.execute("SELECT id, tags FROM documents")
                if set(json.loads(r[1])) & scope.tags
            }
        return frozenset(docs)

    def _selector(self, scope: Scope) -> tuple[frozenset[int] | None, faiss.IDSelector | None]:
        docs = self._allowed_docs(scope)
        if docs is None:
            return None, None
        if scope not in self._scope_cache:
            marks = ",".join("?" * len(docs)) or "NULL"
            ids = np.asarray(
                [r[0] for r in self.kb.conn.execute(f"SELECT id FROM chunks WHERE doc_id IN ({marks})", sorted(docs))],
                dtype=np.int64,
            )
            # The selector keeps a pointer to the id array: hold both in the cache.
            self._scope_cache[scope] = (docs, faiss.IDSelectorBatch(len(ids), faiss.swig_ptr(ids)), ids)
        docs, sel, _ = self._scope_cache[scope]
        return docs, sel

    # --- rankers -------------------------------------------------------------------------------------
    def dense(
        self, query: str, n: int, scope: Scope = Scope(), vector: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        index = self.kb.index
        if index is None or index.ntotal == 0:
            return []
        docs, selector = self._selector(scope)
        if docs is not None and not docs:
            return []
        q = self.embedder.embed_queries([query]) if vector is None else vector.reshape(1, -1).astype(np.float32)
        params = vector_index.search_params(index, self.spec, selector)
        scores, ids = index.search(q, min(n, index.ntotal), params=params) if params else index.search(q, n)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def keyword(self, query: str, n: int, scope: Scope = Scope()) -> list[tuple[int, float]]:
        terms = self._selective_terms(list(dict.fromkeys(self.tokenizer.query_terms(query))))
        if not terms:
            return []
        docs = self._allowed_docs(scope)
        if docs is not None and not docs:
            return []
        match = "terms: (" + " OR ".join('"' + t.replace('"', '""') + '"' for t in terms) + ")"
        if scope.groups is not None:
            match += " AND acl: (" + " OR ".join(acl_token(g) for g in sorted(scope.groups)) + ")"
        if docs is not None and (scope.doc_ids is not None or scope.tags is not None):
            match += " AND doc: (" + " OR ".join(doc_token(d) for d in sorted(docs)) + ")"
        rows = self.kb.conn.execute(
            "SELECT rowid, bm25(chunk_fts, 1.0, 0.0, 0.0) AS s FROM chunk_fts WHERE chunk_fts MATCH ? "
            "ORDER BY s, rowid LIMIT ?",
            (match, n),
        ).fetchall()
        return [(int(r[0]), -float(r[1])) for r in rows]

    def _selective_terms(self, terms: list[str]) -> list[str]:
        """Query terms present in the index, leaving out those in so many chunks that they barely move BM25
        (low idf) yet make SQLite score a large part of the index: at 1M chunks one such word costs seconds."""
        if not terms:
            return []
        df = self.kb.keyword_df(terms)
        # Rarest words first, while the postings SQLite must score stay within budget. Words left out
        # are the most common ones, whose idf is the lowest.
        # A word in more chunks than the whole budget is never used: it does not discriminate.
        present = sorted((t for t in terms if t in df), key=lambda t: (df[t], t))
        chosen: list[str] = []
        postings = 0
        for t in present:
            if postings + df[t] > self.settings.keyword_max_postings:
                break
            chosen.append(t)
            postings += df[t]
        return chosen

    # --- search --------------------------------------------------------------------------------------
    def weights(self, query: str) -> tuple[float, float]:
        s = self.settings
        if contains_japanese(query):
            return s.dense_weight_ja, s.keyword_weight_ja
        return s.dense_weight_en, s.keyword_weight_en

    def search(
        self,
        query: str,
        k: int | None = None,
        *,
        principal: Principal,
        doc_ids: Sequence[int] | None = None,
        tags: Sequence[str] | None = None,
        mode: str = "hybrid",
        vector: np.ndarray | None = None,
        neighbours: int | None = None,
    ) -> list[Hit]:
        """Top-k sections for `query` among the documents `principal` may read (refused without one), each as its
        best chunk with up to `neighbours` chunks of the same section either side as context (retrieval.neighbours
        unless given)."""
        principal = require_principal(principal)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        k = k or self.settings.k
        scope = Scope(
            principal.groups,
            frozenset(doc_ids) if doc_ids is not None else None,
            frozenset(tags) if tags is not None else None,
        )
        n = max(self.settings.candidates, k)
        if mode in ("hybrid", "dense") and vector is None and self.kb.index is not None and self.kb.index.ntotal:
            vector = self.embedder.embed_queries([query])[0]
        dense = self.dense(query, n, scope, vector) if mode in ("hybrid", "dense") else []
        keyword = self.keyword(query, n, scope) if mode in ("hybrid", "keyword") else []
        wd, wk = self.weights(query) if mode == "hybrid" else (1.0, 1.0)
        fused = fuse(self.settings, dense, keyword, wd, wk)
        order = sorted(fused, key=lambda c: (-fused[c]["score"], c))  # ties broken by id: deterministic
        hits = self._load(order[: max(n, k)], fused)
        allowed = self._allowed_docs(scope)
        hits = [h for h in hits if allowed is None or h.doc_id in allowed]  # defence in depth
        if self.reranker is not None and self.settings.rerank and hits:
            hits = (
                self.reranker.rerank(query, hits[: self.settings.rerank_candidates])
                + hits[self.settings.rerank_candidates :]
            )
        out = self._sections(hits, k, self.settings.neighbours if neighbours is None else neighbours)
        if vector is not None:
            self._fill_dense_scores(out, vector)
        return out

    def _fill_dense_scores(self, hits: list[Hit], vector: np.ndarray) -> None:
        """A hit only the keyword ranker found gets its cosine too (from its stored vector): how close the closest
        result is to the question must not read 0 because the closest one was found by its words."""
        missing = [h for h in hits if h.dense_score is None]
        if not missing:
            return
        marks = ",".join("?" * len(missing))
        rows = self.kb.conn.execute(
            f"SELECT c.id, v.vector FROM chunks c JOIN vectors v ON v.text_hash = c.text_hash WHERE c.id IN ({marks})",
            [h.id for h in missing],
        ).fetchall()
        stored = {r[0]: np.frombuffer(r[1], dtype=np.float32) for r in rows}
        q = np.asarray(vector, dtype=np.float32).reshape(-1)
        for hit in missing:
            v = stored.get(hit.id)
            if v is not None and v.shape == q.shape:
                hit.dense_score = float(np.dot(v, q))

    def _load(self, ids: list[int], fused: dict[int, dict[str, float]]) -> list[Hit]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.kb.conn.execute(
            "SELECT c.id, c.chunk_id, c.doc_id, c.ordinal, c.text, c.heading_path, c.page_start, c.page_end, "
            f"d.source, d.name, d.title, d.paginated, json_extract(d.metadata, '$.page_engines') AS page_engines "
            f"FROM chunks c JOIN documents d ON d.id = c.doc_id "
            f"WHERE c.id IN ({marks})",
            ids,
        ).fetchall()
        by_id = {r["id"]: r for r in rows}
        hits = []
        for cid in ids:
            r = by_id.get(cid)
            if r is None:
                continue
            f = fused[cid]
            hits.append(
                Hit(
                    id=cid,
                    chunk_id=r["chunk_id"],
                    doc_id=r["doc_id"],
                    source=r["source"],
                    name=r["name"],
                    title=r["title"],
                    paginated=bool(r["paginated"]),
                    ordinal=r["ordinal"],
                    text=r["text"],
                    heading_path=json.loads(r["heading_path"]),
                    page_start=r["page_start"],
                    page_end=r["page_end"],
                    score=f["score"],
                    dense_score=f.get("dense_score"),
                    keyword_score=f.get("keyword_score"),
                    dense_rank=int(f["dense_rank"]) if "dense_rank" in f else None,
                    keyword_rank=int(f["keyword_rank"]) if "keyword_rank" in f else None,
                    page_engines=r["page_engines"],
                )
            )
        return hits

    def _sections(self, hits: list[Hit], k: int, width: int) -> list[Hit]:
        """Rank sections rather than chunks, so one long section does not fill the results with its pieces and a
        section matching in several places ranks above one lucky chunk. A section's score is its best chunk's
        plus `section_rest_weight` times the rest; its best chunk is the hit, with the section around it as
        context. A near-copy of a better section from another document is listed with it, not as a result."""
        groups: dict[tuple, list[Hit]] = {}
        for hit in hits:  # best first
            groups.setdefault(_section_key(hit), []).append(hit)
        lam = self.settings.section_rest_weight
        ranked = []
        for members in groups.values():
            best = members[0]
            best.score += lam * sum(m.score for m in members[1:])
            ranked.append(best)
        ranked.sort(key=lambda h: (-h.score, h.id))
        out: list[Hit] = []
        for hit in _fold_copies(ranked, len(ranked), self.settings.duplicate_similarity):
            if len(out) == k:
                break
            self._add_context(hit, width)
            # Two pieces of one long section (SECTION_PAGES) may reach into each other: the better one stands.
            if not any(set(hit.covered_ids) & set(o.covered_ids) for o in out):
                out.append(hit)
        return out

    def _add_context(self, hit: Hit, width: int) -> None:
        """The hit's chunk and its section around it, contiguous, within `parent_tokens`."""
        rows = self.kb.conn.execute(
            "SELECT id, ordinal, text, n_tokens, heading_path, page_start, page_end FROM chunks "
            "WHERE doc_id = ? AND ordinal BETWEEN ? AND ? ORDER BY ordinal",
            (hit.doc_id, hit.ordinal - width - 2, hit.ordinal + width + 2),  # two more to finish a cut sentence
        ).fetchall()
        key = _whole_section(hit.doc_id, hit.heading_path, hit.page_start)
        same = {  # the hit's section, all of it (a long section is ranked in pieces; its context is not cut)
            r["ordinal"]: r
            for r in rows
            if _whole_section(hit.doc_id, json.loads(r["heading_path"]), r["page_start"]) == key
        }  # holds the hit's own chunk
        budget = self.settings.parent_tokens - same[hit.ordinal]["n_tokens"]
        lo = hi = hit.ordinal
        for step in range(1, width + 1):  # after, then before: a chunk's text goes on after it
            for o in (hit.ordinal + step, hit.ordinal - step):
                if o in same and (o == hi + 1 or o == lo - 1) and same[o]["n_tokens"] <= budget:
                    budget -= same[o]["n_tokens"]
                    lo, hi = min(lo, o), max(hi, o)
        context = ""
        for o in range(lo, hi + 1):
            context = _join_overlapping(context, same[o]["text"]) if context else same[o]["text"]
            hit.covered_ids.append(same[o]["id"])
            hit.page_start = min(hit.page_start, same[o]["page_start"])
            hit.page_end = max(hit.page_end, same[o]["page_end"])  # a citation names every page its text is on
        # Chunks are cut by length: the context starts and ends with whole sentences, taken from the chunks of the
        # same section before and after it (or, where there are none, the section's own start and end).
        before, after = same.get(lo - 1), same.get(hi + 1)
        if before is not None and (widened := _sentence_start(before["text"], context)) != context:
            context = widened
            hit.page_start = min(hit.page_start, before["page_end"])
        if after is not None and (widened := _sentence_end(context, after["text"])) != context:
            context = widened
            hit.page_end = max(hit.page_end, after["page_start"])
        last_line = context.rsplit("\n", 1)[-1].strip()
        if after is not None and is_heading(last_line):
            # 「イ 特別簡易型」 ends the context: what it heads comes with it (its first chunk, sentences whole).
            context = _join_overlapping(context, after["text"])
            hit.page_end = max(hit.page_end, after["page_end"])
            if (further := same.get(hi + 2)) is not None:
                context = _sentence_end(context, further["text"])
        elif after is not None and (is_lead_in(last_line) or is_table_row(last_line)):
            # 「…以下の2種類があります。」 ends the context: its list or table comes with it; a table the context
            # holds in part comes whole (its next rows: the chunker cuts tables between rows).
            block = _block_after(context, [same[o]["text"] for o in range(hi + 1, hi + 1 + width) if o in same])
            if block:
                context += "\n" + block
                hit.page_end = max(hit.page_end, after["page_end"])
        hit.context = context


_SENTENCE_END = re.compile(r"(?<=[。．！？])(?!\s*[)）」』】])|(?<=[.!?])(?=\s)|\n(?=\s*\n)")
WHOLE_SENTENCE_CHARS = 300  # how far into a neighbouring chunk a cut sentence is completed


def _boundaries(text: str) -> list[int]:
    """Offsets where a sentence may start: after 。!? (and . before a space), at a blank line, and around the line
    of a table row."""
    out = {m.end() for m in _SENTENCE_END.finditer(text)}
    pos = 0
    for line in text.split("\n"):
        end = pos + len(line)
        if " | " in line:
            out.update((pos, end + 1))
        pos = end + 1
    return sorted(o for o in out if 0 <= o <= len(text))


def _sentence_start(before: str, context: str) -> str:
    """`context` starting at the start of its first sentence: the cut sentence's beginning taken from `before`.
    A context starting with a table row starts whole (the chunker never cuts a row)."""
    if " | " in context.split("\n", 1)[0]:
        return context
    joined = _join_overlapping(before, context)
    start = len(joined) - len(context)
    head = joined[max(0, start - WHOLE_SENTENCE_CHARS) : start]
    ends = [o for o in _boundaries(head + context[:1]) if o <= len(head)]
    opened = head.rstrip()[-1:] not in "。．！？.!?" and head.rstrip()[-1:] != ""
    if not ends or ends[-1] == len(head) or not head.strip() or (head.endswith("\n") and not opened):
        return context  # it already starts a sentence, or no sentence start is near
    return (head[ends[-1] :].lstrip() + joined[start:]).lstrip()


def _sentence_end(context: str, after: str) -> str:
    """`context` ending at the end of its last sentence: the cut sentence's end taken from `after`."""
    if context.rstrip()[-1:] in "。．！？.!?" or context.endswith("\n") or " | " in context.rsplit("\n", 1)[-1]:
        return context
    joined = _join_overlapping(context, after)
    tail = joined[len(context) : len(context) + WHOLE_SENTENCE_CHARS]
    ends = [o for o in _boundaries(context[-1:] + tail) if o > 1]
    return context if not ends else (context + tail[: ends[0] - 1]).rstrip()


def _block_after(context: str, following: list[str]) -> str:
    """The list items or table rows that follow a lead-in ending `context`, from the chunks after it (at most
    BLOCK_AFTER_CHARS)."""
    text = ""
    for chunk in following:
        text = _join_overlapping(text, chunk) if text else chunk
        if len(text) > BLOCK_AFTER_CHARS:
            break
    joined = _join_overlapping(context, text)
    lines = []
    for line in joined[len(context) :].lstrip("\n").split("\n"):
        if not (is_list_item(line) or is_table_row(line)) or sum(map(len, lines)) + len(line) > BLOCK_AFTER_CHARS:
            break
        lines.append(line)
    return "\n".join(lines)


BLOCK_AFTER_CHARS = 1200


SECTION_PAGES = 4  # a section running longer is ranked in pieces of this many pages


def _section(doc_id: int, heading_path: list[str], page: int) -> tuple:
    """The unit results are ranked by: the heading path in its document, or the page where there is none (a text
    file without headings is one page). A long section (a report whose sub-headings PDFium cannot see runs on under
    its last heading for twenty pages) is ranked in pieces of SECTION_PAGES pages, else one hit stands for all."""
    return (doc_id, tuple(heading_path), (page - 1) // SECTION_PAGES if heading_path else page)


def _whole_section(doc_id: int, heading_path: list[str], page: int) -> tuple:
    """A hit's context is taken from its whole section: the heading path, or the page where there is none."""
    return (doc_id, tuple(heading_path), 0 if heading_path else page)


def _section_key(hit: Hit) -> tuple:
    return _section(hit.doc_id, hit.heading_path, hit.page_start)


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.lower()))


_WORD = re.compile(r"\w+")


def _fold_copies(ranked: list[Hit], k: int, threshold: float) -> list[Hit]:
    """Fold a hit whose text nearly repeats a better hit's from another document (manuals of sibling models share
    whole pages) into that hit's `copies`, so the first k show k different answers and each still names every
    manual it is in."""
    if threshold >= 1:
        return ranked
    kept: list[tuple[Hit, frozenset[str]]] = []
    for hit in ranked:  # past the k-th section, only copies of the kept ones are still looked for
        words = _words(hit.text)
        original = next(
            (
                other
                for other, w in kept
                if other.doc_id != hit.doc_id and len(words & w) >= threshold * max(1, len(words | w))
            ),
            None,
        )
        if original is not None and all(c.doc_id != hit.doc_id for c in original.copies):
            original.copies.append(hit)
        elif original is None and len(kept) < k:
            kept.append((hit, words))
    return [h for h, _ in kept]


def build_searcher(
    kb: KnowledgeBase, embedder: BaseEmbedder, settings: RetrievalSettings, threads: int = 1
) -> Searcher:
    """The searcher with the reranker the configuration asks for."""
    reranker = None
    if settings.rerank:
        from assistant.retrieval.rerank import CrossEncoderReranker

        reranker = CrossEncoderReranker(settings.reranker_model, threads)
    return Searcher(kb, embedder, settings, reranker)


