"""Entry point of the `assistant` CLI. Errors from the core are caught here and shown without a traceback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from assistant.core.config import Settings, load_settings
from assistant.core.errors import AssistantError

app = typer.Typer(
    name="assistant",
    help="Offline document assistant: ingest company manuals, search them and ask questions answered from them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err_console = Console(stderr=True)

# Exit codes: 0 ok, 1 some files failed, 2 the command could not run (config, lock, model mismatch...).
EXIT_PARTIAL = 1
EXIT_ERROR = 2


class State:
    def __init__(self, config_path: Path | None):
        self.config_path = config_path
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings


@app.callback()
def main(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Config file (default: $ASSISTANT_CONFIG or ./config.toml)."),
    ] = None,
) -> None:
    ctx.obj = State(config)


def cli_principal(service, user: str | None):  # noqa: ANN001, ANN201
    """The CLI runs on the server, as its admin: without --user it reads every document, and says so explicitly."""
    from assistant.core.identity import Principal

    return service.principal(user) if user else Principal.everything()


def register() -> None:
    from assistant.cli import (
        draft_commands,
        eval_commands,
        kb_commands,
        qa_commands,
        report_commands,
        search_commands,
        serve_commands,
        tune_commands,
        users_commands,
    )

    kb_commands.register(app)
    search_commands.register(app)
    qa_commands.register(app)
    eval_commands.register(app)
    report_commands.register(app)
    users_commands.register(app)
    serve_commands.register(app)
    draft_commands.register(app)
    tune_commands.register(app)


def run() -> None:
    """Console-script entry: project errors become one red line and exit code 2."""
    register()
    try:
        app()
    except AssistantError as e:
        err_console.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted: the knowledge base is unchanged[/]")
        sys.exit(130)


if __name__ == "__main__":
    run()
