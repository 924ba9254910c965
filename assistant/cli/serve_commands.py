"""`assistant serve`: the web app and its API in one server (the only CLI command that reaches `ui`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

console = Console(highlight=False)


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (default: [server] host).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default: [server] port).")] = None,
) -> None:
    """Start the web app (chat, documents, usage) and the OpenAI-compatible API."""
    import uvicorn

    from assistant.core.faults import arm, hang_point
    from assistant.services import Assistant
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
    # A stop waits at most 10 s for open connections (a browser's event stream stays open for ever).
    config = uvicorn.Config(gate, host=host, port=port, log_level="warning", timeout_graceful_shutdown=10)
    server = uvicorn.Server(config)
    console.print(f"Loading the knowledge base and the model; http://{shown}:{port}/ answers \"starting\" until then.")
    try:
        server.run()
    finally:
        for service in built:
            service.close()
    if not gate.ready:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(serve)
