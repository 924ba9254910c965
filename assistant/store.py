"""The knowledge base on disk: a SQLite database and a FAISS index, written one generation at a time.

Layout of `kb_dir`:
    CURRENT                  name of the live generation, replaced atomically (os.replace + fsync)
    generations/gNNNNNN/     kb.sqlite (documents, chunks, vectors, history) + vectors.faiss
    ingest.lock              held (flock) by the one process allowed to write

A writer copies the live generation into a new folder, changes the copy, fsyncs it and only then
points CURRENT at it. A kill -9 at any moment therefore leaves CURRENT on a complete generation;
the half-written folder is removed by the next writer. No pickle is used anywhere: metadata is
SQLite + JSON, vectors are float32 blobs and FAISS's own file format.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from filelock import FileLock, Timeout

from assistant import vector_index
from assistant.errors import EmbedderMismatch, KnowledgeBaseError, KnowledgeBaseLocked

SCHEMA_VERSION = 1
DB_NAME = "kb.sqlite"
INDEX_NAME = "vectors.faiss"
# What must match between the knowledge base and the configured embedder for vectors to be comparable.
IDENTITY_KEYS = ("backend", "model", "dim", "normalize", "passage_prefix")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_key TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    format TEXT NOT NULL,
    title TEXT,
    content_hash TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    mtime REAL,
    pages INTEGER NOT NULL,
    paginated INTEGER NOT NULL,
    groups TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    metadata TEXT NOT NULL DEFAULT '{}',
    warnings TEXT NOT NULL DEFAULT '[]',
    ingested_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS doc_groups (
    doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    grp TEXT NOT NULL,
    PRIMARY KEY (doc_id, grp)
);
CREATE INDEX IF NOT EXISTS doc_groups_grp ON doc_groups(grp);
CREATE TABLE IF NOT EXISTS vectors (text_hash TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chunk_id TEXT NOT NULL UNIQUE,
    doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    heading_path TEXT NOT NULL,
    page_start INTEGER NOT NULL,
    page_end INTEGER NOT NULL,
    n_tokens INTEGER NOT NULL,
    text_hash TEXT NOT NULL REFERENCES vectors(text_hash)
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, ordinal);
-- Keyword index (BM25 via SQLite FTS5), rowid = chunks.id. `terms` holds the words produced by
-- assistant.keywords (Japanese split by Sudachi), space-separated; `acl` and `doc` hold filter tokens.
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5(terms, acl, doc, tokenize = 'unicode61 remove_diacritics 0');
-- Chunks containing each keyword: FTS5 can only count them by reading a word's whole posting list,
-- which at 1M chunks costs more than the search itself.
CREATE TABLE IF NOT EXISTS keyword_df (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    generation TEXT NOT NULL,
    summary TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_files (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    chunks INTEGER NOT NULL DEFAULT 0,
    warnings TEXT NOT NULL DEFAULT '[]'
);
"""


def acl_token(group: str) -> str:
    """Group names may hold any character; the keyword index stores a hashed token per group."""
    return "g" + hashlib.sha1(group.encode("utf-8")).hexdigest()[:16]


def doc_token(doc_id: int) -> str:
    return f"d{doc_id}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class ChunkRecord:
    chunk_id: str
    ordinal: int
    text: str
    heading_path: list[str]
    page_start: int
    page_end: int
    n_tokens: int
    text_hash: str
    keywords: str = ""  # space-separated keyword tokens for the BM25 index


@dataclass
class DocumentRecord:
    doc_key: str
    source: str
    name: str
    format: str
    title: str | None
    content_hash: str
    size_bytes: int
    mtime: float | None
    pages: int
    paginated: bool
    groups: list[str]
    tags: list[str]
    metadata: dict[str, Any]
    warnings: list[str]
    id: int | None = None
    ingested_at: str | None = None
    updated_at: str | None = None
    chunk_count: int = 0


def _doc_from_row(row: sqlite3.Row) -> DocumentRecord:
    keys = row.keys()
    return DocumentRecord(
        id=row["id"],
        doc_key=row["doc_key"],
        source=row["source"],
        name=row["name"],
        format=row["format"],
        title=row["title"],
        content_hash=row["content_hash"],
        size_bytes=row["size_bytes"],
        mtime=row["mtime"],
        pages=row["pages"],
        paginated=bool(row["paginated"]),
        groups=json.loads(row["groups"]),
        tags=json.loads(row["tags"]),
        metadata=json.loads(row["metadata"]),
        warnings=json.loads(row["warnings"]),
        ingested_at=row["ingested_at"],
        updated_at=row["updated_at"],
        chunk_count=row["chunk_count"] if "chunk_count" in keys else 0,
    )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


class _Reader:
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
        return [_doc_from_row(r) for r in rows]

    def document_by_source(self, source: str) -> DocumentRecord | None:
        row = self.conn.execute(
            "SELECT d.*, (SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.id) AS chunk_count "
            "FROM documents d WHERE source = ?",
            (source,),
        ).fetchone()
        return _doc_from_row(row) if row else None

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

    def last_run(self) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        if not row:
            return None
        return dict(row) | {"summary": json.loads(row["summary"])}


class KnowledgeBase(_Reader):
    """A read-only view of the live generation. Cheap to open; the FAISS index loads on first use."""

    def __init__(self, kb_dir: Path, generation: str | None):
        self.kb_dir = kb_dir
        self.generation = generation
        self._index: faiss.Index | None = None
        if generation is None:
            # No knowledge base yet: an in-memory empty schema keeps every query valid.
            self.conn = sqlite3.connect(":memory:", check_same_thread=False)
            self.conn.executescript(SCHEMA)
        else:
            db = kb_dir / "generations" / generation / DB_NAME
            if not db.is_file():
                raise KnowledgeBaseError(
                    f"knowledge base damaged: {kb_dir / 'CURRENT'} names generation {generation} but {db} is missing"
                )
            self.conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        version = self.meta("schema_version")
        if version is not None and int(version) != SCHEMA_VERSION:
            raise KnowledgeBaseError(
                f"knowledge base schema v{version} is not the v{SCHEMA_VERSION} this version reads; "
                "run `assistant reindex` to rebuild it"
            )

    @classmethod
    def open(cls, kb_dir: Path) -> KnowledgeBase:
        return cls(kb_dir, current_generation(kb_dir))

    @property
    def exists(self) -> bool:
        return self.generation is not None

    @property
    def gen_dir(self) -> Path | None:
        return self.kb_dir / "generations" / self.generation if self.generation else None

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
        self.conn.close()


def check_identity(stored: dict[str, Any] | None, configured: dict[str, Any]) -> None:
    if stored is None:
        return
    diff = {k: (stored.get(k), configured.get(k)) for k in IDENTITY_KEYS if stored.get(k) != configured.get(k)}
    if diff:
        detail = ", ".join(f"{k}: built with {a!r}, configured {b!r}" for k, (a, b) in diff.items())
        raise EmbedderMismatch(
            f"the knowledge base was built with embedding model {stored.get('backend')}:{stored.get('model')} "
            f"(dim {stored.get('dim')}) but the configuration says {configured.get('backend')}:"
            f"{configured.get('model')} (dim {configured.get('dim')}) [{detail}]. Run `assistant reindex` to "
            "rebuild the knowledge base with the configured model, or set [embedding] back."
        )


def current_generation(kb_dir: Path) -> str | None:
    pointer = kb_dir / "CURRENT"
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    return name or None


def _generation_number(name: str) -> int:
    try:
        return int(name.lstrip("g").split(".")[0])
    except ValueError:
        return -1


@contextmanager
def ingestion_lock(kb_dir: Path) -> Iterator[None]:
    """One writer at a time. flock is released by the kernel when the holder dies, so kill -9 leaves no stale lock."""
    kb_dir.mkdir(parents=True, exist_ok=True)
    info = kb_dir / "ingest.lock.info"
    lock = FileLock(str(kb_dir / "ingest.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = info.read_text(encoding="utf-8").strip() if info.exists() else "another process"
        raise KnowledgeBaseLocked(
            f"another ingestion is running on {kb_dir} ({holder}); wait for it to finish and try again"
        ) from None
    try:
        info.write_text(f"pid {os.getpid()}, started {now_iso()}", encoding="utf-8")
        yield
    finally:
        lock.release()


class GenerationWriter(_Reader):
    """Builds the next generation from a copy of the live one; `commit` makes it live atomically.

    Must be used inside `ingestion_lock`. Until `commit`, nothing a reader sees changes.
    """

    def __init__(self, kb_dir: Path, identity: dict[str, Any], fresh: bool = False):
        self.kb_dir = kb_dir
        gens = kb_dir / "generations"
        gens.mkdir(parents=True, exist_ok=True)
        self.base_generation = current_generation(kb_dir)
        self._remove_orphans(gens)
        existing = [_generation_number(p.name) for p in gens.iterdir()]
        self.generation = f"g{max(existing + [0]) + 1:06d}"
        self.gen_dir = gens / self.generation
        self.gen_dir.mkdir()
        self.conn = sqlite3.connect(self.gen_dir / DB_NAME)
        self.conn.row_factory = sqlite3.Row
        if self.base_generation and not fresh:
            src = sqlite3.connect(f"file:{gens / self.base_generation / DB_NAME}?mode=ro", uri=True)
            src.backup(self.conn)
            src.close()
            try:
                check_identity(self.embedder_identity, identity)
            except EmbedderMismatch:
                self.conn.close()
                shutil.rmtree(self.gen_dir, ignore_errors=True)
                raise
        self.conn.executescript(SCHEMA)
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA synchronous = FULL")
        self._set_meta("schema_version", str(SCHEMA_VERSION))
        self._set_meta("embedder", json.dumps(identity, sort_keys=True))
        self.dim = int(identity["dim"])
        self.index = self._load_index(gens, fresh)
        self.started_at = now_iso()
        self.committed = False
        self._rebuild = False

    def _remove_orphans(self, gens: Path) -> None:
        """Delete generation folders newer than the live one: leftovers of a writer that died."""
        live = _generation_number(self.base_generation) if self.base_generation else 0
        for p in gens.iterdir():
            if _generation_number(p.name) > live or _generation_number(p.name) < 0:
                shutil.rmtree(p, ignore_errors=True)

    def _load_index(self, gens: Path, fresh: bool) -> faiss.Index:
        if self.base_generation and not fresh:
            path = gens / self.base_generation / INDEX_NAME
            if path.is_file():
                index = faiss.read_index(str(path))
                if index.d == self.dim:
                    return index
        return vector_index.empty_flat(self.dim)

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # --- changes -------------------------------------------------------------------------------------
    def cached_vectors(self, text_hashes: Iterable[str]) -> dict[str, np.ndarray]:
        hashes = list(dict.fromkeys(text_hashes))
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(hashes), 500):
            part = hashes[i : i + 500]
            rows = self.conn.execute(
                f"SELECT text_hash, vector FROM vectors WHERE text_hash IN ({','.join('?' * len(part))})", part
            ).fetchall()
            for h, blob in rows:
                out[h] = np.frombuffer(blob, dtype=np.float32)
        return out

    def remove_document(self, doc_id: int) -> int:
        ids = [r[0] for r in self.conn.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,))]
        if ids:
            if vector_index.kind_of(self.index) == "hnsw":
                self._rebuild = True  # HNSW cannot delete: rebuilt from the stored vectors at commit
            else:
                self.index.remove_ids(np.asarray(ids, dtype=np.int64))
            terms = self.conn.execute(
                "SELECT terms FROM chunk_fts WHERE rowid IN (SELECT id FROM chunks WHERE doc_id = ?)", (doc_id,)
            ).fetchall()
            self._count_terms([r[0] for r in terms], -1)
            self.conn.execute(
                "DELETE FROM chunk_fts WHERE rowid IN (SELECT id FROM chunks WHERE doc_id = ?)", (doc_id,)
            )
        self.conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
        return len(ids)

    def _count_terms(self, keyword_texts: list[str], sign: int) -> None:
        counts = Counter(t for text in keyword_texts for t in set(text.split()))
        self.conn.executemany(
            "INSERT INTO keyword_df(term, df) VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET df = df + excluded.df",
            [(t, sign * n) for t, n in counts.items()],
        )
        if sign < 0:
            self.conn.execute("DELETE FROM keyword_df WHERE df <= 0")

    def update_labels(self, doc_id: int, groups: list[str], tags: list[str]) -> None:
        """New access groups and tags for a document whose content did not change (no re-embedding)."""
        self.conn.execute(
            "UPDATE documents SET groups = ?, tags = ?, updated_at = ? WHERE id = ?",
            (json.dumps(groups), json.dumps(tags), now_iso(), doc_id),
        )
        self.conn.execute("DELETE FROM doc_groups WHERE doc_id = ?", (doc_id,))
        self.conn.executemany("INSERT INTO doc_groups(doc_id, grp) VALUES (?, ?)", [(doc_id, g) for g in groups])
        self.conn.execute(
            "UPDATE chunk_fts SET acl = ? WHERE rowid IN (SELECT id FROM chunks WHERE doc_id = ?)",
            (" ".join(acl_token(g) for g in groups), doc_id),
        )

    def add_document(self, doc: DocumentRecord, chunks: list[ChunkRecord], vectors: dict[str, np.ndarray]) -> int:
        """Insert (or replace, keeping the first-ingested time) a document with its chunks and vectors."""
        ingested_at = now_iso()
        old = self.document_by_source(doc.source)
        if old is not None:
            ingested_at = old.ingested_at or ingested_at
            self.remove_document(old.id)  # type: ignore[arg-type]
        cur = self.conn.execute(
            "INSERT INTO documents(doc_key, source, name, format, title, content_hash, size_bytes, mtime, pages, "
            "paginated, groups, tags, metadata, warnings, ingested_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                doc.doc_key,
                doc.source,
                doc.name,
                doc.format,
                doc.title,
                doc.content_hash,
                doc.size_bytes,
                doc.mtime,
                doc.pages,
                int(doc.paginated),
                json.dumps(doc.groups),
                json.dumps(doc.tags),
                json.dumps(doc.metadata, ensure_ascii=False, default=str),
                json.dumps(doc.warnings, ensure_ascii=False),
                ingested_at,
                now_iso(),
            ),
        )
        doc_id = int(cur.lastrowid)  # type: ignore[arg-type]
        self.conn.executemany(
            "INSERT INTO doc_groups(doc_id, grp) VALUES (?, ?)", [(doc_id, g) for g in dict.fromkeys(doc.groups)]
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO vectors(text_hash, vector) VALUES (?, ?)",
            [(h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in vectors.items()],
        )
        ids, vecs = [], []
        for ch in chunks:
            cur = self.conn.execute(
                "INSERT INTO chunks(chunk_id, doc_id, ordinal, text, heading_path, page_start, page_end, n_tokens, "
                "text_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ch.chunk_id,
                    doc_id,
                    ch.ordinal,
                    ch.text,
                    json.dumps(ch.heading_path, ensure_ascii=False),
                    ch.page_start,
                    ch.page_end,
                    ch.n_tokens,
                    ch.text_hash,
                ),
            )
            ids.append(cur.lastrowid)
            vecs.append(vectors[ch.text_hash])
        acl = " ".join(acl_token(g) for g in dict.fromkeys(doc.groups))
        self.conn.executemany(
            "INSERT INTO chunk_fts(rowid, terms, acl, doc) VALUES (?, ?, ?, ?)",
            [(i, ch.keywords, acl, doc_token(doc_id)) for i, ch in zip(ids, chunks, strict=True)],
        )
        self._count_terms([ch.keywords for ch in chunks], +1)
        if ids:
            self.index.add_with_ids(np.vstack(vecs).astype(np.float32), np.asarray(ids, dtype=np.int64))
        return doc_id

    def record_run(self, summary: dict[str, Any], files: list[dict[str, Any]]) -> None:
        cur = self.conn.execute(
            "INSERT INTO runs(started_at, finished_at, generation, summary) VALUES (?, ?, ?, ?)",
            (self.started_at, now_iso(), self.generation, json.dumps(summary, ensure_ascii=False)),
        )
        run_id = cur.lastrowid
        self.conn.executemany(
            "INSERT INTO run_files(run_id, path, status, reason, chunks, warnings) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    run_id,
                    f["path"],
                    f["status"],
                    f.get("reason"),
                    f.get("chunks", 0),
                    json.dumps(f.get("warnings", []), ensure_ascii=False),
                )
                for f in files
            ],
        )

    # --- commit / abort ------------------------------------------------------------------------------
    def _fit_index(self, spec: vector_index.IndexSpec) -> None:
        """Switch index type when the store crosses the ANN threshold (or after HNSW removals)."""
        n = self.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        kind = vector_index.desired_kind(spec, n)
        if kind == vector_index.kind_of(self.index) and not self._rebuild:
            return
        rows = self.conn.execute(
            "SELECT c.id, v.vector FROM chunks c JOIN vectors v ON v.text_hash = c.text_hash ORDER BY c.id"
        ).fetchall()
        ids = np.asarray([r[0] for r in rows], dtype=np.int64)
        vecs = (
            np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
            if rows
            else np.zeros((0, self.dim), dtype=np.float32)
        )
        self.index = vector_index.build(kind, self.dim, ids, vecs, spec)

    def commit(self, keep_generations: int = 2, index_spec: vector_index.IndexSpec | None = None) -> str:
        # Drop vectors no chunk uses any more (kept until now so a changed file could reuse them).
        self.conn.execute("DELETE FROM vectors WHERE text_hash NOT IN (SELECT DISTINCT text_hash FROM chunks)")
        self._fit_index(index_spec or vector_index.IndexSpec())
        self._set_meta("updated_at", now_iso())
        self.conn.commit()
        self.conn.close()
        index_tmp = self.gen_dir / (INDEX_NAME + ".tmp")
        faiss.write_index(self.index, str(index_tmp))
        _fsync_file(index_tmp)
        os.replace(index_tmp, self.gen_dir / INDEX_NAME)
        _fsync_file(self.gen_dir / DB_NAME)
        _fsync_dir(self.gen_dir)
        # The switch: one atomic rename of a fully written pointer file.
        pointer_tmp = self.kb_dir / "CURRENT.tmp"
        with open(pointer_tmp, "w", encoding="utf-8") as f:
            f.write(self.generation + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(pointer_tmp, self.kb_dir / "CURRENT")
        _fsync_dir(self.kb_dir)
        self.committed = True
        self._prune_old(keep_generations)
        return self.generation

    def _prune_old(self, keep: int) -> None:
        gens = sorted(
            (p for p in (self.kb_dir / "generations").iterdir() if _generation_number(p.name) >= 0),
            key=lambda p: _generation_number(p.name),
        )
        live = _generation_number(self.generation)
        older = [p for p in gens if _generation_number(p.name) < live]
        for p in older[: max(0, len(older) - keep)]:
            shutil.rmtree(p, ignore_errors=True)

    def abort(self) -> None:
        if self.committed:
            return
        try:
            self.conn.close()
        except sqlite3.Error:
            pass
        shutil.rmtree(self.gen_dir, ignore_errors=True)
