"""Writing the knowledge base: the next generation is built from a copy of the live one and switched to atomically.

A writer copies the live generation into a new folder, changes the copy, fsyncs it, marks it COMPLETE and only
then points CURRENT at it. A kill -9 at any moment therefore leaves CURRENT on a complete generation; the
half-written folder is removed by the next writer.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from assistant.core.errors import EmbedderMismatch
from assistant.core.faults import crash_point
from assistant.core.files import fsync_dir, fsync_file
from assistant.kb import vector_index
from assistant.kb.defined_terms import find_definitions
from assistant.kb.generations import (
    TRASH_PREFIX,
    current_generation,
    delete_if_unread,
    generation_number,
    generations_dir,
    is_complete,
    mark_complete,
    prune,
    write_pointer,
)
from assistant.kb.reader import Queries
from assistant.kb.schema import (
    DB_NAME,
    INDEX_NAME,
    SCHEMA,
    SCHEMA_VERSION,
    ChunkRecord,
    DocumentRecord,
    acl_token,
    check_identity,
    doc_token,
    now_iso,
)


class GenerationWriter(Queries):
    """Builds the next generation from a copy of the live one; `commit` makes it live atomically.

    Must be used inside `ingestion_lock`. Until `commit`, nothing a reader sees changes.
    """

    def __init__(self, kb_dir: Path, identity: dict[str, Any], fresh: bool = False):
        self.kb_dir = kb_dir
        gens = generations_dir(kb_dir)
        gens.mkdir(parents=True, exist_ok=True)
        self.base_generation = current_generation(kb_dir)  # repairs a missing or damaged CURRENT first
        if self.base_generation and not is_complete(gens / self.base_generation):
            mark_complete(gens / self.base_generation)  # live before COMPLETE markers existed: it is complete
        self._remove_orphans(gens)
        existing = [generation_number(p.name) for p in gens.iterdir()]
        self.generation = f"g{max(existing + [0]) + 1:06d}"
        self.gen_dir = gens / self.generation
        self.gen_dir.mkdir()
        self.conn = sqlite3.connect(self.gen_dir / DB_NAME)
        self.conn.row_factory = sqlite3.Row
        try:
            if self.base_generation and not fresh:
                src = sqlite3.connect(f"file:{gens / self.base_generation / DB_NAME}?mode=ro", uri=True)
                try:
                    src.backup(self.conn)  # fails when the disk is full: nothing of the new generation stays
                finally:
                    src.close()
                check_identity(self.embedder_identity, identity)
        except (EmbedderMismatch, sqlite3.Error, OSError):
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
        """Delete generation folders newer than the live one (leftovers of a writer that died before its switch)
        and half-deleted trash; a folder someone still reads is left alone."""
        live = generation_number(self.base_generation) if self.base_generation else 0
        for p in gens.iterdir():
            if p.name.startswith(TRASH_PREFIX):
                shutil.rmtree(p, ignore_errors=True)
            elif p.is_dir() and generation_number(p.name) > live:
                delete_if_unread(p)

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
        self.conn.execute("DELETE FROM defined_terms WHERE doc_id = ?", (doc_id,))
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
        self.conn.executemany(
            "INSERT OR IGNORE INTO defined_terms(doc_id, short, long) VALUES (?, ?, ?)",
            [(doc_id, short, long) for short, long in sorted(find_definitions("\n".join(ch.text for ch in chunks)))],
        )
        if ids:
            self.index.add_with_ids(np.vstack(vecs).astype(np.float32), np.asarray(ids, dtype=np.int64))
        crash_point("kb.mid_write")
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
        fsync_file(index_tmp)
        os.replace(index_tmp, self.gen_dir / INDEX_NAME)
        fsync_file(self.gen_dir / DB_NAME)
        fsync_dir(self.gen_dir)
        mark_complete(self.gen_dir)
        crash_point("kb.before_switch")
        write_pointer(self.kb_dir, self.generation)  # the switch
        self.committed = True
        crash_point("kb.after_switch")
        # Old generations go once no reader holds them; those still read are pruned by a later commit or by
        # the reader itself when it lets go (see LiveKnowledgeBase).
        prune(self.kb_dir, keep_generations)
        return self.generation

    def abort(self) -> None:
        if self.committed:
            return
        try:
            self.conn.close()
        except sqlite3.Error:
            pass
        shutil.rmtree(self.gen_dir, ignore_errors=True)
