"""`assistant serve`: the web app and its API in one server (the only CLI command that reaches `ui`)."""

from __future__ import annotations

import contextlib
import faulthandler
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Annotated

import typer
from rich.console import Console

console = Console(highlight=False)
GRACE_S = 10  # open connections (a browser's event stream stays open for ever) get this long after a stop
CLEANUP_S = 5  # then the app's own clean-up (usage log, knowledge base lease, exports) gets this long


def exit_watchdog(seconds: float) -> threading.Timer:
    """After a stop signal: if the process is still here `seconds` later (a thread that never ends, a clean-up that
    hangs), print every thread's stack to stderr for the admin and exit. A stopped server must never keep the port
    and the model's memory (seen: still running 2.5 minutes after SIGTERM)."""

    def expire() -> None:
        print(f"assistant serve: still running {seconds:.0f} s after the stop signal; the threads were:",
              file=sys.stderr, flush=True)
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        os._exit(1)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    return timer


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (default: [server] host).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default: [server] port).")] = None,
) -> None:
    """Start the web app (chat, documents, usage) and the OpenAI-compatible API."""
    import uvicorn

    from assistant.core.faults import arm, hang_point
    from assistant.services import Assistant
    from ui.exports import clear_all
    from ui.server import create_app
    from ui.starting import StartingGate

    settings = ctx.obj.settings
    host = host or settings.server.host
    port = port or settings.server.port
    built: list[Assistant] = []

    def build():  # noqa: ANN202 - in a worker thread while the port already answers 503 "starting"
        arm(settings.faults.crash_at)
        hang_point("serve.loading")
        service = Assistant(settings)
        built.append(service)
        service.model  # noqa: B018 - loaded before the first visitor, not during their question
        app = create_app(service)
        console.print(f"[bold]Document assistant ready:[/] http://{shown}:{port}/  (API: http://{shown}:{port}/v1)")
        return app

    def failed(exc: BaseException) -> None:
        console.print(f"[red]The document assistant could not start:[/] {exc}")
        server.should_exit = True

    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    gate = StartingGate(build, failed)
    config = uvicorn.Config(gate, host=host, port=port, log_level="warning", timeout_graceful_shutdown=GRACE_S)

    class Server(uvicorn.Server):
        """uvicorn's server, bounded in how long a stop may take (`exit_watchdog`)."""

        watchdog: threading.Timer | None = None

        def handle_exit(self, sig: int, frame) -> None:  # noqa: ANN001
            if self.watchdog is None:
                self.watchdog = exit_watchdog(GRACE_S + CLEANUP_S)
            super().handle_exit(sig, frame)

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            """uvicorn's, without raising the signal again once it has stopped: that killed the process before
            the clean-up below (the usage log's last rows), or, where another handler had been installed, left
            it running. Here the clean-up runs, bounded by the watchdog, and the process exits."""
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            original = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

    server = Server(config)
    console.print(f"Loading the knowledge base and the model; http://{shown}:{port}/ answers \"starting\" until then.")
    try:
        server.run()
    finally:
        hang_point("serve.cleanup")
        for service in built:
            service.close()
        clear_all()
    if not gate.ready:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(serve)
