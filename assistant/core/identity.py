"""Who is asking: the principal every search runs as, and the directory of users it comes from.

Identity fails closed. Every call that searches takes a `Principal`; there is no default, and "every document"
is a principal of its own (`Principal.everything`, for the admin at the machine), never what a missing user
means. The directory is read on every lookup, so a revoked group or a removed user applies to the next
question without a restart.

Users live in data_dir/users.sqlite. `[access] users` in config.toml seeds it and keeps the users it names up
to date until an admin changes one of them through the directory (`assistant users`, later the web app);
from then on the directory's row is that user's truth.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant.core.config import UserSeed
from assistant.core.errors import AccessDenied, AssistantError
from assistant.core.passwords import api_key_digest, check_password, hash_password, new_api_key, same_digest

ROLES = ("staff", "writer", "admin")
ALL_GROUPS = "*"

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    groups TEXT NOT NULL,
    password_hash TEXT,
    managed_by TEXT NOT NULL CHECK (managed_by IN ('config', 'admin')),
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    digest TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL
);
"""
# A hash of nothing, checked when the user is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$oAGadQgJoCUnkcUbXOa9shs5al/hdEHy7XtcQku7QUI"


@dataclass(frozen=True)
class Principal:
    """The identity a request runs as. `groups` None means every document, which only an admin may have."""

    name: str
    groups: frozenset[str] | None
    role: str = "staff"

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r} (roles: {', '.join(ROLES)})")
        if self.groups is None and self.role != "admin":
            raise ValueError(f"only an admin may see every document, not {self.name!r} ({self.role})")

    @classmethod
    def everything(cls, name: str = "admin (local)") -> Principal:
        """Every document: the admin's own view at the machine (CLI without --user, evaluation corpora)."""
        return cls(name, None, "admin")

    @classmethod
    def of(cls, name: str, groups: Iterable[str], role: str = "staff") -> Principal:
        groups = list(groups)
        if ALL_GROUPS in groups:
            return cls(name, None, "admin" if role == "staff" else role)
        return cls(name, frozenset(groups), role)

    @property
    def sees_everything(self) -> bool:
        return self.groups is None


def comma_list(text: str | None) -> list[str]:
    """"hr, all," -> ["hr", "all"]: groups and tags as an admin types them (、 and ， separate too)."""
    return [p.strip() for p in re.split(r"[,、，]", text or "") if p.strip()]


def require_principal(principal: object) -> Principal:
    """Refuse a call that does not say who it runs as."""
    if not isinstance(principal, Principal):
        raise AccessDenied(
            "this call searches documents and needs a principal (who is asking); none was given. "
            "Use Principal.everything() only where every document is meant."
        )
    return principal


@dataclass(frozen=True)
class UserRecord:
    name: str
    role: str
    groups: list[str]
    managed_by: str
    updated_at: str
    has_password: bool = False  # may log in to the web app

    @property
    def principal(self) -> Principal:
        return Principal.of(self.name, self.groups, self.role)


class UserDirectory:
    """Users, their role and access groups; one short SQLite read per lookup, safe from any thread."""

    def __init__(
        self, path: Path, seed: dict[str, list[str] | UserSeed], api_keys: dict[str, str] | None = None
    ):
        self.path = path
        self._config_keys = dict(api_keys or {})
        path.parent.mkdir(parents=True, exist_ok=True)
        seeds = {n: u if isinstance(u, UserSeed) else UserSeed(groups=list(u)) for n, u in seed.items()}
        with self._connect() as conn:
            conn.executescript(SCHEMA)
            self._sync_config(conn, seeds)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as conn, conn:
            conn.row_factory = sqlite3.Row
            yield conn

    @staticmethod
    def _sync_config(conn: sqlite3.Connection, seed: dict[str, UserSeed]) -> None:
        """Config users are added, updated and removed with the config while no admin has changed them; names keep
        their case."""
        stamp = _now()
        names = list(seed)
        conn.execute(
            f"DELETE FROM users WHERE managed_by = 'config' AND name NOT IN ({','.join('?' * len(names)) or 'NULL'})",
            names,
        )
        for name, user in seed.items():
            _check_name(name)
            role = user.role or ("admin" if ALL_GROUPS in user.groups else "staff")
            conn.execute(
                "INSERT INTO users(name, role, groups, password_hash, managed_by, updated_at) "
                "VALUES (?, ?, ?, ?, 'config', ?) "
                "ON CONFLICT(name) DO UPDATE SET role = excluded.role, groups = excluded.groups, "
                "password_hash = excluded.password_hash, updated_at = excluded.updated_at "
                "WHERE users.managed_by = 'config' AND (users.groups != excluded.groups OR users.role != excluded.role "
                "OR users.password_hash IS NOT excluded.password_hash)",
                (name, role, json.dumps(sorted(set(user.groups))), user.password_hash, stamp),
            )

    # --- reading -----------------------------------------------------------------------------------------
    def get(self, name: str) -> UserRecord | None:
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return _record(row) if row else None

    def users(self) -> list[UserRecord]:
        with self._connect() as conn:
            return [_record(r) for r in conn.execute("SELECT * FROM users ORDER BY name")]

    def principal(self, name: str) -> Principal:
        """The principal of a named user, as the directory says now; an unknown user is refused."""
        record = self.get(name)
        if record is None:
            known = ", ".join(u.name for u in self.users()) or "none"
            raise AccessDenied(f"unknown user '{name}' (known users: {known}; see `assistant users list`)")
        return record.principal

    def authenticate(self, name: str, password: str) -> Principal | None:
        """The user's principal when the password is right, else None (the same work either way)."""
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        if row is None or not row["password_hash"]:
            check_password(_DUMMY_HASH, password)
            return None
        return _record(row).principal if check_password(row["password_hash"], password) else None

    def principal_for_key(self, key: str) -> Principal | None:
        """The principal an API key acts as (config keys and `users api-key` keys), else None."""
        digest = api_key_digest(key)
        user = next((u for d, u in self._config_keys.items() if same_digest(d, digest)), None)
        if user is None:
            with self._connect() as conn:
                row = conn.execute("SELECT user FROM api_keys WHERE digest = ?", (digest,)).fetchone()
            user = row["user"] if row else None
        record = self.get(user) if user else None
        return record.principal if record else None

    # --- changes (the admin's) ---------------------------------------------------------------------------
    def set(self, name: str, groups: Iterable[str], role: str | None = None) -> UserRecord:
        """Add a user or change one; from now on config.toml no longer overrides it."""
        _check_name(name)
        groups = sorted(set(groups))  # none at all is allowed: such a user sees no document
        current = self.get(name)
        role = role or (current.role if current else "staff")
        if role not in ROLES:
            raise AssistantError(f"unknown role '{role}' (roles: {', '.join(ROLES)})")
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO users(name, role, groups, managed_by, updated_at) VALUES (?, ?, ?, 'admin', ?) "
                "ON CONFLICT(name) DO UPDATE SET role = excluded.role, groups = excluded.groups, "
                "managed_by = 'admin', updated_at = excluded.updated_at",
                (name, role, json.dumps(groups), _now()),
            )
        return self.get(name)  # type: ignore[return-value]

    def set_password(self, name: str, password: str) -> None:
        """Store the password's argon2 hash (the password itself is never kept)."""
        if self.get(name) is None:
            raise AssistantError(f"no user '{name}' (add it first with `assistant users add`)")
        with self._connect() as conn:
            conn.execute(
                "UPDATE users SET password_hash = ?, managed_by = 'admin', updated_at = ? WHERE name = ?",
                (hash_password(password), _now(), name),
            )

    def add_api_key(self, name: str, label: str = "") -> str:
        """A new key acting as `name`; returned once, only its digest is stored."""
        if self.get(name) is None:
            raise AssistantError(f"no user '{name}'")
        key = new_api_key()
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO api_keys(digest, user, label, created) VALUES (?, ?, ?, ?)",
                (api_key_digest(key), name, label, _now()),
            )
        return key

    def remove(self, name: str) -> None:
        record = self.get(name)
        if record is None:
            raise AssistantError(f"no user '{name}'")
        if record.managed_by == "config":
            raise AssistantError(
                f"user '{name}' is defined in config.toml [access]; remove it there "
                "(otherwise it comes back at the next start)"
            )
        with self._connect() as conn:
            conn.execute("DELETE FROM users WHERE name = ?", (name,))
            conn.execute("DELETE FROM api_keys WHERE user = ?", (name,))


def _record(row: sqlite3.Row) -> UserRecord:
    return UserRecord(
        row["name"], row["role"], json.loads(row["groups"]), row["managed_by"], row["updated_at"],
        bool(row["password_hash"]),
    )


def _check_name(name: str) -> None:
    if not name or name != name.strip() or len(name) > 64 or any(c in name for c in "\r\n\t\0"):
        raise AssistantError(
            f"invalid user name {name!r}: 1-64 characters, no surrounding spaces or control characters"
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
