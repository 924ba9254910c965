"""Drafts kept in SQLite (data_dir/drafts.sqlite): the brief and outline per draft, one row per section, and a
history of who did what. A section is written in its own transaction, so regenerating or editing one never
rewrites another, and a crash loses at most the section being written."""

from __future__ import annotations

import json
import sqlite3

from assistant.core.errors import AssistantError
from assistant.core.faults import crash_point
from assistant.core.sqlite_store import SQLiteStore
from assistant.drafting.records import Brief, Draft, OutlineItem, Section
from assistant.kb.schema import now_iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS drafts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    title TEXT NOT NULL,
    brief TEXT NOT NULL,
    outline TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sections (
    draft_id INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    data TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (draft_id, position)
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    draft_id INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
"""


class DraftNotFound(AssistantError):
    pass


class DraftStore(SQLiteStore):
    SCHEMA = SCHEMA

    def create(self, owner: str, brief: Brief, outline: list[OutlineItem]) -> Draft:
        now = now_iso()
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO drafts (owner, title, brief, outline, created, updated) VALUES (?, ?, ?, ?, ?, ?)",
                (owner, brief.title, brief.model_dump_json(), _dump_outline(outline), now, now),
            )
            draft_id = int(cur.lastrowid or 0)
            _history(conn, draft_id, owner, "created", brief.title)
        return self.get(draft_id)

    def set_outline(self, draft_id: int, outline: list[OutlineItem], user: str) -> Draft:
        """A new outline: sections whose title and purpose are unchanged keep their text, the others start over."""
        draft = self.get(draft_id)
        kept = {(s.title, s.purpose): s for s in draft.sections}
        sections = [kept.get((o.title, o.purpose)) or Section(title=o.title, purpose=o.purpose) for o in outline]
        now = now_iso()
        with self._connect() as conn:
            conn.execute(
                "UPDATE drafts SET outline = ?, updated = ? WHERE id = ?", (_dump_outline(outline), now, draft_id)
            )
            conn.execute("DELETE FROM sections WHERE draft_id = ?", (draft_id,))
            conn.executemany(
                "INSERT INTO sections (draft_id, position, data, updated) VALUES (?, ?, ?, ?)",
                [(draft_id, i, s.model_dump_json(), now) for i, s in enumerate(sections)],
            )
            _history(conn, draft_id, user, "outline", f"{len(outline)} sections")
        return self.get(draft_id)

    def save_section(self, draft_id: int, position: int, section: Section, user: str, action: str) -> None:
        now = now_iso()
        with self._connect() as conn:
            cur = conn.execute(
                "UPDATE sections SET data = ?, updated = ? WHERE draft_id = ? AND position = ?",
                (section.model_dump_json(), now, draft_id, position),
            )
            if cur.rowcount != 1:
                raise DraftNotFound(f"draft {draft_id} has no section {position + 1}")
            crash_point("drafts.mid_write")
            conn.execute("UPDATE drafts SET updated = ? WHERE id = ?", (now, draft_id))
            _history(conn, draft_id, user, action, f"{position + 1}. {section.title}")

    def get(self, draft_id: int) -> Draft:
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM drafts WHERE id = ?", (draft_id,)).fetchone()
            if row is None:
                raise DraftNotFound(f"no draft {draft_id} (see `assistant drafts list`)")
            sections = conn.execute(
                "SELECT data FROM sections WHERE draft_id = ? ORDER BY position", (draft_id,)
            ).fetchall()
        return Draft(
            id=row["id"],
            owner=row["owner"],
            brief=Brief.model_validate_json(row["brief"]),
            outline=[OutlineItem.model_validate(o) for o in json.loads(row["outline"])],
            sections=[Section.model_validate_json(r["data"]) for r in sections],
            created=row["created"],
            updated=row["updated"],
        )

    def list(self, owner: str | None = None) -> list[dict]:
        """Drafts newest first (one owner's, or everyone's for None), with how many sections are done."""
        sql = "SELECT id, owner, title, created, updated FROM drafts"
        args: tuple = ()
        if owner is not None:
            sql, args = sql + " WHERE owner = ?", (owner,)
        with self._connect() as conn:
            rows = [dict(r) for r in conn.execute(sql + " ORDER BY updated DESC, id DESC", args)]
            for r in rows:
                done = conn.execute(
                    "SELECT COUNT(*), SUM(json_extract(data, '$.status') != 'pending') "
                    "FROM sections WHERE draft_id = ?",
                    (r["id"],),
                ).fetchone()
                r["sections"], r["done"] = done[0], done[1] or 0
        return rows

    def history(self, draft_id: int) -> list[dict]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT at, user, action, detail FROM history WHERE draft_id = ? ORDER BY id", (draft_id,)
            ).fetchall()
        return [dict(r) for r in rows]

    def delete(self, draft_id: int) -> None:
        with self._connect() as conn:
            conn.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))


def _dump_outline(outline: list[OutlineItem]) -> str:
    return json.dumps([o.model_dump() for o in outline], ensure_ascii=False)


def _history(conn: sqlite3.Connection, draft_id: int, user: str, action: str, detail: str) -> None:
    conn.execute(
        "INSERT INTO history (draft_id, at, user, action, detail) VALUES (?, ?, ?, ?, ?)",
        (draft_id, now_iso(), user, action, detail),
    )
