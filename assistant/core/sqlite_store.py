"""The base of the small SQLite stores kept beside the knowledge base (drafts, conversations): the schema made on
first use, WAL so readers never wait for a writer, foreign keys on, and each `_connect()` block one transaction
under the store's lock (a crash loses at most the transaction being written)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class SQLiteStore:
    SCHEMA = ""

    def __init__(self, path: Path, timeout_s: float = 10.0):
        self.path = path
        self._timeout = timeout_s
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(self.SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=self._timeout)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        try:
            with self._lock, conn:  # one transaction
                yield conn
        finally:
            conn.close()
