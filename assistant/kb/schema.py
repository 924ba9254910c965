"""What the knowledge base stores: the SQLite schema, the records written into it, and the embedder identity that
must match for vectors to be comparable. No pickle is used anywhere: metadata is SQLite + JSON, vectors are
float32 blobs and FAISS's own file format."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assistant.core.errors import EmbedderMismatch

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
-- assistant.kb.keywords (Japanese split by Sudachi), space-separated; `acl` and `doc` hold filter tokens.
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5(terms, acl, doc, tokenize = 'unicode61 remove_diacritics 0');
-- Chunks containing each keyword: FTS5 can only count them by reading a word's whole posting list,
-- which at 1M chunks costs more than the search itself.
CREATE TABLE IF NOT EXISTS keyword_df (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
-- Acronyms and what they stand for, as each document defines them (kb/defined_terms.py).
CREATE TABLE IF NOT EXISTS defined_terms (
    doc_id INTEGER NOT NULL, short TEXT NOT NULL, long TEXT NOT NULL, PRIMARY KEY (doc_id, short, long)
) WITHOUT ROWID;
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


def doc_from_row(row: sqlite3.Row) -> DocumentRecord:
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
