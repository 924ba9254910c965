"""The usage log: every answered question as one SQLite row (who, what, sources, outcome, tokens, latency split,
model), plus the feedback given on it. A proof of concept is judged on these numbers.

Writing never slows or breaks answering: `record` only puts the answer on a queue, and one background thread
writes it; a failed write is logged, never raised to the user. `privacy.store_text = false` keeps question,
query, answer and snippets out of the database (counts, timings and sources' file/page remain).
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from assistant.core.config import UsageSettings
from assistant.core.errors import AssistantError, disk_full
from assistant.core.faults import crash_point

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'answer',
    user TEXT,
    question TEXT,
    query TEXT,
    language TEXT,
    outcome TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    answer TEXT,
    sources TEXT NOT NULL,
    cited TEXT NOT NULL,
    relevance TEXT NOT NULL,
    withheld INTEGER NOT NULL DEFAULT 0,
    screened INTEGER NOT NULL DEFAULT 0,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    retrieval_s REAL, first_token_s REAL, first_text_s REAL, generation_s REAL, total_s REAL,
    first_evidence_s REAL, first_generated_s REAL, short_answer_s REAL,
    short_answer TEXT,
    backend TEXT, model TEXT,
    feedback TEXT CHECK (feedback IN ('up', 'down')),
    feedback_comment TEXT,
    feedback_at TEXT
);
CREATE INDEX IF NOT EXISTS answers_created ON answers (created);
"""
COLUMNS = (
    "id created kind user question query language outcome abstained answer sources cited relevance withheld screened "
    "prompt_tokens completion_tokens retrieval_s first_token_s first_text_s generation_s total_s first_evidence_s "
    "first_generated_s short_answer_s short_answer backend model"
).split()
_STOP = object()
TIMINGS = (
    "retrieval_s", "first_token_s", "first_text_s", "generation_s", "total_s", "first_evidence_s", "first_generated_s",
    "short_answer_s",
)


@dataclass
class UsedSource:
    number: int
    file: str
    page: int | None
    score: float
    cited: bool
    snippet: str = ""


@dataclass
class UsageRecord:
    """One use of the assistant as the log keeps it, whichever workflow it came from (`kind`: answer, draft...)."""

    id: str
    created: str
    kind: str
    user: str | None
    question: str
    outcome: str
    abstained: bool
    text: str = ""
    query: str = ""
    language: str = ""
    sources: list[UsedSource] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)
    relevance: dict[str, Any] = field(default_factory=dict)
    withheld: int = 0
    screened: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    backend: str = ""
    model: str = ""
    # The model's short answer (answering/short_answer.py): what was shown (text, source, offsets, confidence), what
    # the model said, whether it said none, why a span was not shown, and the passages it read (to learn from).
    short_answer: dict[str, Any] = field(default_factory=dict)


_WITHOUT_TEXT = ("shown", "source", "confidence", "said_none", "rejected")  # store_text = false keeps these


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(SCHEMA)
    columns = {r[1] for r in conn.execute("PRAGMA table_info(answers)")}
    if "kind" not in columns:  # a log written before drafting existed: every row is an answer
        conn.execute("ALTER TABLE answers ADD COLUMN kind TEXT NOT NULL DEFAULT 'answer'")
    for added, kind in (("first_evidence_s", "REAL"), ("first_generated_s", "REAL"),  # before evidence came first
                        ("short_answer_s", "REAL"), ("short_answer", "TEXT")):  # before short answers
        if added not in columns:
            conn.execute(f"ALTER TABLE answers ADD COLUMN {added} {kind}")
    return conn


class UsageLog:
    def __init__(self, path: Path, settings: UsageSettings):
        self.path = path
        self.settings = settings
        path.parent.mkdir(parents=True, exist_ok=True)
        with _connect(path) as conn:
            self._apply_retention(conn)
        self._queue: queue.Queue[Any] = queue.Queue()
        self.unrecorded = 0  # answers this process could not write (shown on the usage page)
        self.last_failure = ""
        self._writer = threading.Thread(target=self._write_loop, name="usage-log", daemon=True)
        self._writer.start()

    # --- writing -----------------------------------------------------------------------------------
    def record(self, record: UsageRecord) -> None:
        """Returns at once; the row is written by the background thread."""
        self._queue.put(self.row(record))

    def row(self, r: UsageRecord) -> dict[str, Any]:
        keep = self.settings.store_text
        return {
            "id": r.id,
            "created": r.created,
            "kind": r.kind,
            "user": r.user,
            "question": r.question if keep else None,
            "query": r.query if keep else None,
            "language": r.language,
            "outcome": r.outcome,
            "abstained": int(r.abstained),
            "answer": r.text if keep else None,
            "sources": json.dumps(
                [
                    {"n": s.number, "file": s.file, "page": s.page, "score": s.score, "cited": s.cited}
                    | ({"snippet": s.snippet} if keep else {})
                    for s in r.sources
                ],
                ensure_ascii=False,
            ),
            "cited": json.dumps(r.cited),
            "relevance": json.dumps(r.relevance),
            "withheld": r.withheld,
            "screened": r.screened,
            "prompt_tokens": r.prompt_tokens,
            "completion_tokens": r.completion_tokens,
            **{k: r.timings.get(k) for k in TIMINGS},
            "short_answer": json.dumps(
                r.short_answer if keep else {k: v for k, v in r.short_answer.items() if k in _WITHOUT_TEXT},
                ensure_ascii=False) if r.short_answer else None,
            "backend": r.backend,
            "model": r.model,
        }

    def _write_loop(self) -> None:
        conn = None
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                conn = conn or _connect(self.path)
                with conn:
                    marks = ",".join("?" * len(COLUMNS))
                    conn.execute(
                        f"INSERT OR REPLACE INTO answers ({','.join(COLUMNS)}) VALUES ({marks})",
                        [item[c] for c in COLUMNS],
                    )
                    crash_point("usage.mid_write")
            except Exception as exc:  # the usage log must never take answering down with it
                self.unrecorded += 1
                if disk_full(exc):
                    self.last_failure = f"the disk holding {self.path} is full"
                    log.error("usage log: %s; answer %s was not recorded (earlier rows are kept). Free some space.",
                              self.last_failure, item.get("id"))
                else:
                    self.last_failure = f"{type(exc).__name__}: {exc}"
                    log.exception("usage log: could not write answer %s", item.get("id"))
                conn = None
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Wait until every recorded answer is written (tests, and the CLI before it exits)."""
        self._queue.join()

    def close(self) -> None:
        self._queue.put(_STOP)
        self._writer.join(timeout=10)

    def _apply_retention(self, conn: sqlite3.Connection) -> None:
        if self.settings.retention_days > 0:
            cutoff = (datetime.now(UTC) - timedelta(days=self.settings.retention_days)).isoformat(timespec="seconds")
            conn.execute("DELETE FROM answers WHERE created < ?", (cutoff,))

    # --- reading and feedback ----------------------------------------------------------------------
    def get(self, answer_id: str) -> dict[str, Any] | None:
        self.flush()
        with _connect(self.path) as conn:
            r = conn.execute("SELECT * FROM answers WHERE id = ?", (answer_id,)).fetchone()
        return dict(r) if r else None

    def feedback(self, answer_id: str, rating: str | None, comment: str | None = None) -> None:
        """Rate an answer, comment on it, or both. What is not given is kept: changing 👍 to 👎 keeps the comment,
        a comment alone keeps the rating (an empty comment clears it)."""
        if rating not in ("up", "down", None):
            raise AssistantError("feedback is 'up' or 'down'")
        if rating is None and comment is None:
            raise AssistantError("give a rating, a comment or both")
        self.flush()
        with _connect(self.path) as conn:
            cur = conn.execute(
                "UPDATE answers SET feedback = COALESCE(?, feedback), feedback_comment = COALESCE(?, feedback_comment),"
                " feedback_at = ? WHERE id = ?",
                (rating, comment, datetime.now(UTC).isoformat(timespec="seconds"), answer_id),
            )
        if cur.rowcount == 0:
            raise AssistantError(f"no answer with id '{answer_id}' in the usage log ({self.path})")


def read_rows(path: Path, since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
    """Answers recorded in [since, until), oldest first, with sources/cited/relevance decoded. Reads the file
    directly: the report and the export run beside a serving process, not inside it."""
    if not path.is_file():
        return []
    where, args = [], []
    if since is not None:
        where.append("created >= ?")
        args.append(_stamp(since))
    if until is not None:
        where.append("created < ?")
        args.append(_stamp(until))
    sql = "SELECT * FROM answers" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY created"
    with _connect(path) as conn:
        out = [dict(r) for r in conn.execute(sql, args)]
    for r in out:
        for key in ("sources", "cited", "relevance", "short_answer"):
            r[key] = json.loads(r[key]) if r[key] else None
    return out


def _stamp(when: datetime) -> str:
    """Rows store UTC ISO stamps; a naive datetime is taken as UTC."""
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="seconds")
