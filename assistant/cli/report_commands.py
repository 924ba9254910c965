"""`assistant report` (usage, cost and the latest evaluations for a period) and `assistant feedback-export`."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console(highlight=False)

_RELATIVE = re.compile(r"^(\d+)\s*([dhw])$")


def parse_when(value: str | None, option: str) -> datetime | None:
    """An ISO date or time (UTC unless it says otherwise), or a span back from now: 7d, 12h, 2w."""
    if value is None:
        return None
    if m := _RELATIVE.match(value.strip().lower()):
        n, unit = int(m.group(1)), m.group(2)
        return datetime.now(UTC) - timedelta(**{{"d": "days", "h": "hours", "w": "weeks"}[unit]: n})
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is not a date: give 2026-11-01, 2026-11-01T09:00 or a span such as 7d, 12h, 2w",
            param_hint=option,
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


Since = Annotated[str | None, typer.Option("--since", help="Start: 2026-11-01, 2026-11-01T09:00 or 7d / 12h / 2w ago.")]
Until = Annotated[str | None, typer.Option("--until", help="End (exclusive), same forms; default now.")]


def report(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the HTML report here, and its data as .json beside it.")
    ] = None,
    since: Since = None,
    until: Until = None,
    lang: Annotated[str, typer.Option("--lang", help="Report language: en | ja.")] = "en",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report data as JSON.")] = False,
) -> None:
    """Questions, answered vs not found, feedback, latency, tokens, running cost and the latest evaluations."""
    from assistant.analytics.report import usage_report
    from assistant.analytics.report_html import LABELS, money, render_report
    from assistant.core.files import write_text_atomic

    if out is not None and out.suffix.lower() not in (".html", ".htm"):
        raise typer.BadParameter(
            "give the HTML file (report.html); its data goes beside it as .json", param_hint="--out"
        )
    if lang not in LABELS:
        raise typer.BadParameter(f"choose one of: {', '.join(LABELS)}", param_hint="--lang")
    start, end = parse_when(since, "--since"), parse_when(until, "--until")
    if start and end and end <= start:
        raise typer.BadParameter("--until must be after --since", param_hint="--until")
    data = usage_report(ctx.obj.settings, start, end)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out, render_report(data, lang))
        write_text_atomic(out.with_suffix(".json"), json.dumps(data, ensure_ascii=False, indent=2))
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    c = data["cost"]
    cur = c["currency"]
    period = data["period"]
    console.print(
        f"{data['questions']} questions from {data['users']} users, {period['start'][:10]} to {period['end'][:10]}"
    )
    share = data["answered_share"]
    console.print(
        f"answered from the manuals: {data['answered']} ({'–' if share is None else f'{share:.0%}'}); "
        f"not found: {data['outcomes']['not_found']}; "
        f"feedback: {data['feedback']['up']} up, {data['feedback']['down']} down"
    )
    console.print(
        f"machine cost {money(c['machine_cost'])} {cur}, "
        f"per answered question {money(c['machine_cost_per_answer'])} {cur}"
        + (
            f"; {c['hosted']['name']} for the same tokens {money(c['hosted']['cost_per_answer'])} {cur}"
            if c["hosted"]
            else ""
        )
    )
    if out is not None:
        console.print(f"report written to {out} (data: {out.with_suffix('.json')})")


def feedback_export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="The question file to write (JSONL, the `assistant eval` format).")],
    rating: Annotated[str | None, typer.Option("--rating", help="Only answers rated up or down.")] = None,
    since: Since = None,
    until: Until = None,
) -> None:
    """Export rated answers as questions for the next evaluation (rated down: marked for review)."""
    from assistant.analytics.feedback_export import questions_from_feedback, write_jsonl
    from assistant.analytics.usage import read_rows

    if rating not in (None, "up", "down"):
        raise typer.BadParameter("up or down", param_hint="--rating")
    rows = read_rows(ctx.obj.settings.paths.usage_db, parse_when(since, "--since"), parse_when(until, "--until"))
    questions = questions_from_feedback(rows, rating)
    write_jsonl(questions, out)
    review = sum(1 for q in questions if q.get("review"))
    console.print(
        f"{len(questions)} questions written to {out} ({review} marked for review: set file/page or unanswerable)"
    )


def register(app: typer.Typer) -> None:
    app.command()(report)
    app.command("feedback-export")(feedback_export)
