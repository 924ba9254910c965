"""`assistant ask` and `assistant chat`: streamed answers grounded in the manuals, with their sources."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from assistant.cli.main import cli_principal

console = Console(highlight=False)

EXIT_WORDS = {"/exit", "/quit", "exit", "quit", ":q"}
HELP = "Type a question. /new starts a new conversation, /exit (or Ctrl-D) leaves."


def _service(ctx: typer.Context):  # noqa: ANN202
    from assistant.core.errors import AssistantError
    from assistant.services import Assistant

    with console.status("loading the knowledge base and the model…"):
        service = Assistant(ctx.obj.settings)
        if not service.has_documents:
            service.close()
            raise AssistantError("the knowledge base is empty: run `assistant ingest PATH` first")
        service.model  # noqa: B018 - loaded now, under the status line, not at the first question
        service.qa.queue_listeners.append(
            lambda _answer, ahead: console.print(f"[dim]waiting for the model: {ahead} ahead of you…[/]")
        )
        return service


def _show_answer(stream) -> object:  # noqa: ANN001
    """Print the answer as it streams, then its sources; returns the finished Answer."""
    for piece in stream:
        console.print(escape(piece), end="", soft_wrap=True)
    console.print()
    answer = stream.answer
    _show_sources(answer)
    t = answer.timings
    facts = [f"retrieval {t.get('retrieval_s', 0):.2f} s"]
    if "first_text_s" in t:
        facts.append(f"first text {t['first_text_s']:.2f} s")
    if answer.completion_tokens:
        facts.append(f"{answer.prompt_tokens} + {answer.completion_tokens} tokens")
    facts.append(f"total {t.get('total_s', 0):.2f} s")
    console.print(f"[dim]{' · '.join(facts)} · answer {answer.id}[/]")
    return answer


def _show_sources(answer) -> None:  # noqa: ANN001
    if not answer.sources:
        console.print("[dim]no documents visible to this user[/]")
        return
    if answer.outcome in ("not_found", "no_documents", "declined"):
        title, rows = "Closest sources (none of them answers the question)", answer.sources
    else:
        # Cited sources first; the rest were given to the model but not used in the answer.
        rows = answer.cited_sources + [s for s in answer.sources if not s.cited]
        title = "Sources"
    console.print(f"[bold]{title}[/]")
    for s in rows:
        mark = f"[{s.number}]" if s.cited or answer.outcome == "not_found" else f"({s.number})"
        where = " — ".join(x for x in (s.label, s.section) if x)
        console.print(f"  [bold]{escape(mark)}[/] {escape(where)}")
        console.print(f"      [dim]{escape(s.snippet[:160])}[/]")
    if answer.citations.withheld:
        n = len(answer.citations.withheld)
        console.print(f"[yellow]{n} sentence(s) of the model's answer were not shown: no source supports them[/]")
    if answer.screened:
        console.print(
            f"[yellow]{len(answer.screened)} instruction-like sentence(s) in the sources were not shown to the model[/]"
        )


def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question, in Japanese or English.")],
    user: Annotated[str | None, typer.Option("--user", "-u", help="Answer as this user (their groups only).")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole answer record as JSON, no streaming.")
    ] = False,
) -> None:
    """Answer one question from the manuals: streamed text with numbered citations, then the sources."""
    service = _service(ctx)
    try:
        stream = service.ask(question, principal=cli_principal(service, user))
        if as_json:
            sys.stdout.write(json.dumps(stream.result().to_dict(), ensure_ascii=False, indent=2) + "\n")
            return
        _show_answer(stream)
    finally:
        service.close()


def chat(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", "-u", help="Chat as this user (their groups only).")] = None,
) -> None:
    """Interactive conversation in the terminal; follow-up questions use the conversation so far."""
    service = _service(ctx)
    try:
        _chat_loop(service, user)
    finally:
        service.close()


def _chat_loop(service, user: str | None) -> None:  # noqa: ANN001
    from assistant.answering.records import Turn
    from assistant.core.errors import AssistantError

    history: list[Turn] = []
    who = f" as {user}" if user else ""
    console.print(f"[bold]Document assistant[/]{who} — {HELP}")
    while True:
        try:
            line = input("\n? ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if not line:
            continue
        if line.lower() in EXIT_WORDS:
            return
        if line.lower() == "/new":
            history.clear()
            console.print("[dim]new conversation[/]")
            continue
        try:
            # Looked up per question: a group revoked meanwhile applies to the next question.
            stream = service.ask(line, principal=cli_principal(service, user), history=history)
            answer = _show_answer(stream)
        except AssistantError as e:  # one failed question (busy model, server down) does not end the chat
            console.print(f"[bold red]error:[/] {escape(str(e))}")
            continue
        if answer.query != answer.question:
            console.print(f"[dim]searched for: {escape(answer.query)}[/]")
        history.append(answer.turn())  # the question, its query and the manuals' sentences: never the model's text


def feedback(
    ctx: typer.Context,
    answer_id: Annotated[str, typer.Argument(help="The answer id printed after each answer.")],
    rating: Annotated[str, typer.Argument(help="up | down")],
    comment: Annotated[str | None, typer.Option("--comment", "-m", help="What was right or wrong.")] = None,
) -> None:
    """Rate an answer; the rating is stored with it in the usage log."""
    from assistant.analytics.usage import UsageLog

    usage = UsageLog(ctx.obj.settings.paths.usage_db, ctx.obj.settings.usage)
    try:
        usage.feedback(answer_id, rating.lower(), comment)
    finally:
        usage.close()
    console.print(f"feedback '{rating.lower()}' stored for answer {answer_id}")


def register(app: typer.Typer) -> None:
    app.command()(ask)
    app.command()(chat)
    app.command()(feedback)
