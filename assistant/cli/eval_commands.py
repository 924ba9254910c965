"""`assistant eval`: score retrieval, answers, citations, abstention and latency on a question file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

console = Console(highlight=False)
progress_console = Console(stderr=True)  # progress on stderr: stdout stays clean for --json


def eval_command(
    ctx: typer.Context,
    questions: Annotated[
        Path, typer.Argument(help="JSONL question file, or SQuAD-format JSON (its passages are the corpus).")
    ],
    k: Annotated[int, typer.Option("--k", help="Ranks scored for recall@k / MRR.")] = 10,
    user: Annotated[str | None, typer.Option("--user", "-u", help="Ask as this user.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N questions.")] = None,
    sample: Annotated[
        int | None, typer.Option("--sample", help="N questions spread evenly through the file (all articles).")
    ] = None,
    holdout: Annotated[
        float,
        typer.Option(
            "--holdout",
            help="SQuAD files: keep this share of the articles out of the corpus; their questions must be 'not found'.",
        ),
    ] = 0.0,
    restart: Annotated[
        bool, typer.Option("--restart", help="Forget earlier results of this file and start over.")
    ] = False,
    retrieval_only: Annotated[
        bool,
        typer.Option("--retrieval-only", help="Score retrieval alone (recall@k, MRR; page and file level): no model."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also write an HTML report with charts.")] = None,
) -> None:
    """Run a question file through the real pipeline (same config as serving); resumes if interrupted."""
    from assistant.analytics import evaluation as ev
    from assistant.cli.main import cli_principal
    from assistant.core.files import write_text_atomic
    from assistant.core.identity import UserDirectory
    from assistant.services import Assistant

    settings = ctx.obj.settings
    name = ev.eval_name(questions, holdout)
    if holdout and questions.suffix != ".json":
        raise typer.BadParameter("--holdout applies to SQuAD-format files only", param_hint="--holdout")
    embedder = None
    if questions.suffix == ".json":
        from assistant.embeddings import load_embedder
        from ingest.pipeline import Ingestor

        settings = ev.settings_for_squad(settings, name)
        qs = ev.load_questions(questions, settings.paths.data_dir / "corpus", holdout)
        with progress_console.status(f"ingesting the passages of {questions.name}…"):
            embedder = load_embedder(settings.embedding)
            Ingestor(settings, lambda: embedder).run([settings.paths.data_dir / "corpus"], prune=True)
    else:
        settings = ev.settings_without_usage_log(settings)
        qs = ev.load_questions(questions)
    qs = ev.spread(qs, sample) if sample else qs
    qs = qs[:limit] if limit else qs
    eval_dir = ctx.obj.settings.paths.data_dir / "eval"
    name = f"{name}.retrieval" if retrieval_only else name
    results_path = eval_dir / f"{name}.results.jsonl"
    # Who asks is looked up in the serving user directory (an evaluation corpus has none of its own).
    main_paths, access = ctx.obj.settings.paths, ctx.obj.settings.access
    principal = cli_principal(UserDirectory(main_paths.users_db, access.users), user)
    service = Assistant(settings, embedder=embedder)
    try:
        with Progress(
            TextColumn("[bold]eval[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=progress_console,
        ) as bar:
            task = bar.add_task("questions", total=len(qs))
            results = ev.run(
                service,
                qs,
                results_path,
                k=k,
                principal=principal,
                restart=restart,
                retrieval_only=retrieval_only,
                fingerprint=ev.fingerprint(settings, service, retrieval_only),
                on_progress=lambda i, n: _progress(bar, task, i, n),
            )
    finally:
        service.close()
    summary = ev.summarize(results)
    record = ev.save_summary(
        summary,
        eval_dir / f"{name}.summary.json",
        source=questions,
        model="" if retrieval_only else service.model.name,
        options={
            "k": k,
            "user": user,
            "sample": sample,
            "limit": limit,
            "holdout": holdout,
            "retrieval_only": retrieval_only,
        },
    )
    if out is not None:
        from assistant.analytics.report_html import render_evaluation

        html = render_evaluation(summary, ev.answerable_ranks(results), [r.total_s for r in results], record)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out, html)
        progress_console.print(f"report written to {out}")
    if as_json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"{questions.name}: {len(results)} questions ({results_path})")
    table.add_column("metric")
    table.add_column("value [95% CI]")
    for metric, value in ev.iter_rows(summary):
        table.add_row(metric, value)
    console.print(table)


def _progress(bar: Progress, task: TaskID, done: int, total: int) -> None:
    """The bar in a terminal; a line every 10 questions in a log file (a bar is only drawn on a terminal)."""
    bar.update(task, completed=done)
    if not progress_console.is_terminal and (done % 10 == 0 or done == total):
        progress_console.print(f"eval: {done}/{total} questions")


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
