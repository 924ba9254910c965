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

    from assistant.services import Assistant
    from ui.server import create_app

    settings = ctx.obj.settings
    host = host or settings.server.host
    port = port or settings.server.port
    with console.status("loading the knowledge base and the model…"):
        service = Assistant(settings)
        service.model  # noqa: B018 - loaded before the first visitor, not during their question
        app = create_app(service)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    console.print(f"[bold]Document assistant:[/] http://{shown}:{port}/  (API: http://{shown}:{port}/v1)")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        service.close()


def register(app: typer.Typer) -> None:
    app.command()(serve)
