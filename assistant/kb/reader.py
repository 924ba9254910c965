"""Reading the knowledge base: queries shared with the writer, and the read-only view of one generation.

A `KnowledgeBase` holds a lease on the generation it reads (see `generations.py`), so no pruner deletes it
underneath; `close` gives it up. Cheap to open; the FAISS index loads on first use.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import faiss

from assistant.core.errors import KnowledgeBaseError
from assistant.kb.generations import Lease, generations_dir, lease_current
from assistant.kb.schema import (
    DB_NAME,
    INDEX_NAME,
    SCHEMA,
    SCHEMA_VERSION,
    DocumentRecord,
    check_identity,
    doc_from_row,
)


class Queries:
    """Queries shared by the read-only view and the writer (both hold one SQLite connection)."""

    conn: sqlite3.Connection

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @property
    def embedder_identity(self) -> dict[str, Any] | None:
        raw = self.meta("embedder")
        return json.loads(raw) if raw else None

    def documents(self) -> list[DocumentRecord]:
        rows = self.conn.execute(
            "SELECT d.*, (SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.id) AS chunk_count "
            "FROM documents d ORDER BY d.name, d.id"
        ).fetchall()
        return [doc_from_row(r) for r in rows]

    def document_by_source(self, source: str) -> DocumentRecord | None:
        row = self.conn.execute(
            "SELECT d.*, (SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.id) AS chunk_count "
            "FROM documents d WHERE source = ?",
            (source,),
        ).fetchone()
        return doc_from_row(row) if row else None

    def find_documents(self, ref: str) -> list[DocumentRecord]:
        """Documents matching an id, a doc key, a full source path or a file name."""
        docs = self.documents()
        resolved = str(Path(ref).expanduser().resolve()) if ref else ref
        exact = [d for d in docs if ref in (str(d.id), d.doc_key, d.source) or d.source == resolved]
        return exact or [d for d in docs if d.name == ref]

    def chunks_of(self, doc_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT id, chunk_id, ordinal, text, heading_path, page_start, page_end, n_tokens "
            "FROM chunks WHERE doc_id = ? ORDER BY ordinal",
            (doc_id,),
        ).fetchall()
        return [dict(r) | {"heading_path": json.loads(r["heading_path"])} for r in rows]

    def counts(self) -> dict[str, int]:
        c = self.conn
        return {
            "documents": c.execute("SELECT COUNT(*) FROM documents").fetchone()[0],
            "chunks": c.execute("SELECT COUNT(*) FROM chunks").fetchone()[0],
            "pages": c.execute("SELECT COALESCE(SUM(pages), 0) FROM documents").fetchone()[0],
            "vectors": c.execute("SELECT COUNT(*) FROM vectors").fetchone()[0],
        }

    def defined_terms(self) -> list[tuple[str, str]]:
        """(acronym, what it stands for) as the documents define them; none in a knowledge base built before
        they were learned."""
        try:
            return [(r[0], r[1]) for r in self.conn.execute("SELECT DISTINCT short, long FROM defined_terms")]
        except sqlite3.OperationalError:
            return []

    def keyword_df(self, terms: list[str]) -> dict[str, int]:
        """Chunks containing each keyword (absent words are left out)."""
        if not terms:
            return {}
        marks = ",".join("?" * len(terms))
        return dict(self.conn.execute(f"SELECT term, df FROM keyword_df WHERE term IN ({marks})", terms))

    def last_run(self) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        if not row:
            return None
        return dict(row) | {"summary": json.loads(row["summary"])}


class KnowledgeBase(Queries):
    """A read-only view of the live generation. Cheap to open; the FAISS index loads on first use."""

    def __init__(self, kb_dir: Path, generation: str | None, lease: Lease | None = None):
        self.kb_dir = kb_dir
        self.generation = generation
        self.lease = lease
        self._index: faiss.Index | None = None
        if generation is None:
            # No knowledge base yet: an in-memory empty schema keeps every query valid.
            self.conn = sqlite3.connect(":memory:", check_same_thread=False)
            self.conn.executescript(SCHEMA)
        else:
            db = generations_dir(kb_dir) / generation / DB_NAME
            if not db.is_file():
                raise KnowledgeBaseError(
                    f"knowledge base damaged: {kb_dir / 'CURRENT'} names generation {generation} but {db} is missing"
                )
            self.conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        version = self.meta("schema_version")
        if version is not None and int(version) != SCHEMA_VERSION:
            self.close()
            raise KnowledgeBaseError(
                f"knowledge base schema v{version} is not the v{SCHEMA_VERSION} this version reads; "
                "run `assistant reindex` to rebuild it"
            )

    @classmethod
    def open(cls, kb_dir: Path) -> KnowledgeBase:
        """The live generation, leased until `close` (a missing or damaged CURRENT is repaired first)."""
        generation, lease = lease_current(kb_dir)
        try:
            return cls(kb_dir, generation, lease)
        except BaseException:
            if lease is not None:
                lease.release()
            raise

    @property
    def exists(self) -> bool:
        return self.generation is not None

    @property
    def gen_dir(self) -> Path | None:
        return generations_dir(self.kb_dir) / self.generation if self.generation else None

    @property
    def index(self) -> faiss.Index | None:
        if self._index is None and self.gen_dir is not None:
            path = self.gen_dir / INDEX_NAME
            if path.is_file():
                self._index = faiss.read_index(str(path))
        return self._index

    def check_embedder(self, identity: dict[str, Any]) -> None:
        """Refuse to mix vectors of two models: the one the KB was built with must be the configured one."""
        check_identity(self.embedder_identity, identity)

    def disk_usage(self) -> dict[str, int]:
        if self.gen_dir is None:
            return {"database_bytes": 0, "index_bytes": 0}
        size = lambda name: (self.gen_dir / name).stat().st_size if (self.gen_dir / name).exists() else 0  # noqa: E731
        return {"database_bytes": size(DB_NAME), "index_bytes": size(INDEX_NAME)}

    def verify(self) -> list[str]:
        """Consistency problems between the database and the index (empty list when sound)."""
        problems = []
        integrity = self.conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            problems.append(f"SQLite integrity check: {integrity}")
        n_chunks = self.counts()["chunks"]
        index = self.index
        if index is None:
            if n_chunks:
                problems.append(f"{n_chunks} chunks but no FAISS index file")
        elif index.ntotal != n_chunks:
            problems.append(f"FAISS index holds {index.ntotal} vectors but the database {n_chunks} chunks")
        n_fts = self.conn.execute("SELECT COUNT(*) FROM chunk_fts").fetchone()[0]
        if n_fts != n_chunks:
            problems.append(f"keyword index holds {n_fts} chunks but the database {n_chunks}")
        rows = self.conn.execute("SELECT terms FROM chunk_fts")
        recount = Counter(t for (terms,) in rows for t in set(terms.split()))
        stored = dict(self.conn.execute("SELECT term, df FROM keyword_df"))
        if stored != dict(recount):
            wrong = sum(1 for t in set(stored) | set(recount) if stored.get(t) != recount.get(t))
            problems.append(f"keyword document frequencies wrong for {wrong} words")
        missing = self.conn.execute(
            "SELECT COUNT(*) FROM chunks c LEFT JOIN vectors v ON v.text_hash = c.text_hash WHERE v.text_hash IS NULL"
        ).fetchone()[0]
        if missing:
            problems.append(f"{missing} chunks have no stored vector")
        return problems

    def close(self) -> None:
        """Close the database and give up the lease: the generation may be pruned from now on."""
        self.conn.close()
        self._index = None
        if self.lease is not None:
            self.lease.release()
