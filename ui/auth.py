"""Who is at the other end of a request: login sessions, the wrong-password throttle, API keys.

Sessions are random tokens kept in this process (a restart logs everyone out, which is the safe side); the
cookie holds only the token. The principal is looked up in the user directory on every request, so a role or
group change, or a removed user, applies at once. The throttle counts wrong passwords per user name and per
client address; past the limit, logins wait `lockout_s`, doubling with each further lockout. It reads a clock it
is given, so tests move time instead of sleeping.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException, Request

from assistant.core.errors import AccessDenied
from assistant.core.identity import Principal
from assistant.services import Assistant

COOKIE = "da_session"


@dataclass
class _Session:
    user: str
    expires: float


class Sessions:
    def __init__(self, lifetime_s: float, clock: Callable[[], float] = time.monotonic):
        self.lifetime_s = lifetime_s
        self.clock = clock
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def open(self, user: str) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = self.clock()
            self._sessions = {k: s for k, s in self._sessions.items() if s.expires > now}
            self._sessions[token] = _Session(user, now + self.lifetime_s)
        return token

    def user(self, token: str | None) -> str | None:
        if not token:
            return None
        with self._lock:
            s = self._sessions.get(token)
            if s is None or s.expires <= self.clock():
                self._sessions.pop(token, None)
                return None
            return s.user

    def close(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)


@dataclass
class _Failures:
    count: int = 0
    lockouts: int = 0
    locked_until: float = 0.0


class LoginThrottle:
    """Wrong passwords per (user, address): `attempts` allowed, then a wait that doubles with each lockout."""

    def __init__(self, attempts: int, lockout_s: float, clock: Callable[[], float] = time.monotonic):
        self.attempts, self.lockout_s, self.clock = attempts, lockout_s, clock
        self._failures: dict[tuple[str, str], _Failures] = {}
        self._lock = threading.Lock()

    def wait_s(self, user: str, address: str) -> float:
        """Seconds before this user may try again from this address (0: now)."""
        with self._lock:
            f = self._failures.get((user.casefold(), address))
            return max(0.0, f.locked_until - self.clock()) if f else 0.0

    def failed(self, user: str, address: str) -> None:
        with self._lock:
            f = self._failures.setdefault((user.casefold(), address), _Failures())
            f.count += 1
            if f.count >= self.attempts:
                f.lockouts += 1
                f.count = 0
                f.locked_until = self.clock() + self.lockout_s * 2 ** (f.lockouts - 1)

    def succeeded(self, user: str, address: str) -> None:
        with self._lock:
            self._failures.pop((user.casefold(), address), None)


class Gatekeeper:
    """Turns a request into the principal it acts as, or refuses it."""

    def __init__(self, service: Assistant, sessions: Sessions, throttle: LoginThrottle):
        self.service, self.sessions, self.throttle = service, sessions, throttle

    def login(self, user: str, password: str, address: str) -> str:
        """A session token for a right password; AccessDenied (with the wait, when locked) otherwise."""
        wait = self.throttle.wait_s(user, address)
        if wait > 0:
            raise LoginLocked(wait)
        principal = self.service.users.authenticate(user, password)
        if principal is None:
            self.throttle.failed(user, address)
            raise AccessDenied("wrong user name or password")
        self.throttle.succeeded(user, address)
        return self.sessions.open(principal.name)

    def session_user(self, request: Request) -> str | None:
        """The logged-in user's name (for Gradio's auth_dependency); None when not logged in or since removed."""
        name = self.sessions.user(request.cookies.get(COOKIE))
        return name if name is not None and self.service.users.get(name) is not None else None

    def principal(self, request: Request) -> Principal:
        """The principal of a browser session or an API key (Authorization: Bearer); 401 without either."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            principal = self.service.users.principal_for_key(header[7:].strip())
            if principal is None:
                raise HTTPException(401, "invalid API key", headers={"WWW-Authenticate": "Bearer"})
            return principal
        name = self.session_user(request)
        if name is None:
            raise HTTPException(401, "log in first (or send an API key)", headers={"WWW-Authenticate": "Bearer"})
        return self.service.principal(name)

    def admin(self, request: Request) -> Principal:
        principal = self.principal(request)
        if principal.role != "admin":
            raise HTTPException(403, f"{principal.name} is not an admin")
        return principal


class LoginLocked(AccessDenied):
    def __init__(self, wait_s: float):
        self.wait_s = wait_s
        super().__init__(f"too many failed logins: try again in {wait_s:.0f} s")
