"""The port answers from the first second: while the knowledge base and the model load (seconds to minutes for a
big model), every request gets a clear 503 "starting" with Retry-After instead of a refused connection or a hang,
and the real app takes over the moment it is built.

An ASGI wrapper rather than a second server on the port, so nothing has to hand a socket over. The real app is
built after uvicorn has run its lifespan, so this wrapper drives the real app's lifespan itself (Gradio starts its
queue there).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

Scope = dict[str, Any]
ASGIApp = Callable[..., Any]

STARTING = "The document assistant is starting (loading the knowledge base and the model). Try again in a moment."
STARTING_JA = (
    "文書アシスタントを起動中です（ナレッジベースとモデルを読み込んでいます）。しばらくしてから再度お試しください。"
)
RETRY_AFTER_S = 5
SHUTDOWN_WAIT_S = 10
PAGE = """<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="{retry}">
<title>Starting…</title></head><body style="font-family:system-ui,sans-serif;max-width:40em;margin:10vh auto">
<p>{ja}</p><p>{en}</p></body></html>"""


class StartingGate:
    """Answers 503 until `build()` (run in a worker thread) returns the real ASGI app, then passes everything on.

    A failed build is answered as 503 with its reason and reported through `on_failure` (the server then stops).
    """

    def __init__(self, build: Callable[[], ASGIApp], on_failure: Callable[[BaseException], None]) -> None:
        self._build = build
        self._on_failure = on_failure
        self._app: ASGIApp | None = None
        self._failure: str | None = None
        self._state: dict[str, Any] = {}
        self._to_inner: asyncio.Queue | None = None
        self._inner_stopped: asyncio.Event | None = None
        self._loading: asyncio.Task | None = None

    @property
    def ready(self) -> bool:
        return self._app is not None

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif self._app is not None:
            if self._state:
                scope = {**scope, "state": {**scope.get("state", {}), **self._state}}
            await self._app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013})  # "try again later"
        else:
            await self._unavailable(scope, send)

    async def _unavailable(self, scope: Scope, send: Callable) -> None:
        headers = dict(scope.get("headers") or [])
        message = f"The document assistant could not start: {self._failure}" if self._failure else STARTING
        if b"text/html" in headers.get(b"accept", b""):
            body = PAGE.format(retry=RETRY_AFTER_S, ja=STARTING_JA, en=message).encode()
            kind = b"text/html; charset=utf-8"
        else:
            error = {"message": message, "type": "unavailable", "code": "failed" if self._failure else "starting"}
            body = json.dumps({"status": "failed" if self._failure else "starting", "error": error}).encode()
            kind = b"application/json"
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", kind),
                    (b"retry-after", str(RETRY_AFTER_S).encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Callable, send: Callable) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        self._loading = asyncio.create_task(self._load())
        await send({"type": "lifespan.startup.complete"})
        message = await receive()  # lifespan.shutdown
        if self._to_inner is not None and self._inner_stopped is not None:
            await self._to_inner.put({"type": "lifespan.shutdown"})
            try:  # bounded: a stop must never hang on the app's own clean-up
                await asyncio.wait_for(self._inner_stopped.wait(), SHUTDOWN_WAIT_S)
            except TimeoutError:
                pass
        await send({"type": "lifespan.shutdown.complete"})

    async def _load(self) -> None:
        try:
            app = await self._built_in_a_thread()
            await self._start_inner(app)
        except Exception as exc:  # noqa: BLE001 - reported to the operator and to every client, then the server stops
            self._failure = str(exc) or type(exc).__name__
            self._on_failure(exc)
            return
        self._app = app

    async def _built_in_a_thread(self) -> ASGIApp:
        """A daemon thread, not the loop's executor: Ctrl-C during a long model load must not wait for it."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future = loop.create_future()

        def work() -> None:
            try:
                outcome, value = done.set_result, self._build()
            except BaseException as exc:  # noqa: BLE001 - handed to the loop, which reports it
                outcome, value = done.set_exception, exc
            try:
                loop.call_soon_threadsafe(outcome, value)
            except RuntimeError:  # the server stopped meanwhile
                pass

        threading.Thread(target=work, daemon=True, name="assistant-loading").start()
        return await done

    async def _start_inner(self, app: ASGIApp) -> None:
        """Run the real app's lifespan startup and keep its task for the shutdown."""
        loop = asyncio.get_running_loop()
        started: asyncio.Future = loop.create_future()
        self._to_inner = asyncio.Queue()
        self._inner_stopped = asyncio.Event()
        self._to_inner.put_nowait({"type": "lifespan.startup"})

        async def from_inner(message: dict[str, Any]) -> None:
            kind = message["type"]
            if kind == "lifespan.startup.complete" and not started.done():
                started.set_result(None)
            elif kind == "lifespan.startup.failed" and not started.done():
                started.set_exception(RuntimeError(message.get("message") or "the app's startup failed"))
            elif kind.startswith("lifespan.shutdown"):
                self._inner_stopped.set()

        async def run() -> None:
            try:
                await app(
                    {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self._state},
                    self._to_inner.get,
                    from_inner,
                )
            finally:
                self._inner_stopped.set()
                if not started.done():  # an app without a lifespan: nothing to wait for
                    started.set_result(None)

        self._inner_task = asyncio.create_task(run())
        await started
