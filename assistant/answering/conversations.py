"""Staff conversations kept on the server (data/conversations.sqlite): listed, reopened after a reload or a restart,
renamed, deleted — each by its owner only.

A conversation's id is random (128 bits), and every call takes the user it acts for: a guessed or leaked id of
someone else's conversation is "not found", exactly like an id that does not exist, so ids cannot be probed. Each
exchange is written in its own transaction; the turn a follow-up needs (question, the evidence shown, the query
searched) is kept beside the text the user saw.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime

from assistant.answering.records import Answer, Turn
from assistant.core.errors import AssistantError, ConversationNotFound
from assistant.core.sqlite_store import SQLiteStore

TITLE_CHARS = 60
SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, user TEXT NOT NULL, title TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_user ON conversations(user, updated);
CREATE TABLE IF NOT EXISTS exchanges (
    conversation TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    question TEXT NOT NULL, answer TEXT NOT NULL, answer_id TEXT, outcome TEXT, evidence TEXT NOT NULL DEFAULT '',
    query TEXT NOT NULL DEFAULT '', created TEXT NOT NULL, PRIMARY KEY (conversation, seq)
);
"""


@dataclass
class Exchange:
    question: str
    answer: str  # the text the user saw
    answer_id: str | None = None
    outcome: str | None = None
    evidence: str = ""  # what a follow-up is understood from ("" for a turn that found nothing)
    query: str = ""

    def turn(self) -> Turn | None:
        return Turn(self.question, self.evidence, self.query) if self.evidence else None


@dataclass
class Conversation:
    id: str
    user: str
    title: str
    created: str
    updated: str
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def turns(self) -> list[Turn]:
        return [t for e in self.exchanges if (t := e.turn()) is not None]


class ConversationStore(SQLiteStore):
    SCHEMA = SCHEMA

    def create(self, user: str, first_question: str) -> Conversation:
        now = _now()
        conv = Conversation(secrets.token_hex(16), user, _title(first_question), now, now)
        with self._connect() as conn:
            conn.execute("INSERT INTO conversations VALUES (?, ?, ?, ?, ?)",
                         (conv.id, user, conv.title, now, now))
        return conv

    def list(self, user: str) -> list[Conversation]:
        """The user's conversations, the most recently used first (without their exchanges)."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT * FROM conversations WHERE user = ? ORDER BY updated DESC, created DESC", (user,)
            ).fetchall()
        return [Conversation(r["id"], r["user"], r["title"], r["created"], r["updated"]) for r in rows]

    def get(self, user: str, conversation_id: str) -> Conversation:
        with self._connect() as conn:
            row = self._owned(conn, user, conversation_id)
            rows = conn.execute(
                "SELECT * FROM exchanges WHERE conversation = ? ORDER BY seq", (conversation_id,)
            ).fetchall()
        conv = Conversation(row["id"], row["user"], row["title"], row["created"], row["updated"])
        conv.exchanges = [Exchange(r["question"], r["answer"], r["answer_id"], r["outcome"], r["evidence"], r["query"])
                          for r in rows]
        return conv

    def append(self, user: str, conversation_id: str, exchange: Exchange) -> None:
        with self._connect() as conn:
            self._owned(conn, user, conversation_id)
            seq = conn.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM exchanges WHERE conversation = ?", (conversation_id,)
            ).fetchone()[0]
            now = _now()
            conn.execute(
                "INSERT INTO exchanges VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, seq, exchange.question, exchange.answer, exchange.answer_id, exchange.outcome,
                 exchange.evidence, exchange.query, now),
            )
            conn.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation_id))

    def rename(self, user: str, conversation_id: str, title: str) -> None:
        title = " ".join(title.split())
        if not title:
            raise AssistantError("a conversation's title cannot be empty")
        with self._connect() as conn:
            self._owned(conn, user, conversation_id)
            conn.execute("UPDATE conversations SET title = ? WHERE id = ?", (title[:200], conversation_id))

    def delete(self, user: str, conversation_id: str) -> None:
        with self._connect() as conn:
            self._owned(conn, user, conversation_id)
            conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    @staticmethod
    def _owned(conn: sqlite3.Connection, user: str, conversation_id: str) -> sqlite3.Row:
        row = conn.execute(
            "SELECT * FROM conversations WHERE id = ? AND user = ?", (str(conversation_id), user)
        ).fetchone()
        if row is None:
            raise ConversationNotFound(f"no conversation '{str(conversation_id)[:40]}' of yours")
        return row


def exchange_of(answer: Answer, shown: str | None = None) -> Exchange:
    """An answered question as the conversation keeps it (`shown`: the text the user saw, if it was cut short)."""
    return Exchange(answer.question, shown if shown is not None else answer.text, answer.id, answer.outcome,
                    answer.evidence_text, answer.query)


def _title(question: str) -> str:
    text = " ".join(question.split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
