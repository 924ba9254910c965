"""`assistant tune`: teach the chat model to copy short answers (LoRA), then compare it with the base model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(highlight=False)


def tune_command(
    ctx: typer.Context,
    sets: Annotated[
        str,
        typer.Option("--sets", help="Public QA sets to learn from (train halves only), comma-separated; '' for none: "
                     "jsquad, jaquad, xquad, squad2."),
    ] = "jsquad,jaquad,xquad,squad2",
    feedback: Annotated[
        Path | None,
        typer.Option("--feedback",
                     help="Approved answers: an `assistant feedback-export` file (rows rated up with a short answer)."),
    ] = None,
    distil: Annotated[
        Path | None,
        typer.Option("--distil", help="Questions (JSONL with 'question', or one per line) for the teacher model "
                     "(--teacher-url) to answer over the knowledge base; its verified spans are learned."),
    ] = None,
    teacher_url: Annotated[
        str, typer.Option("--teacher-url", help="OpenAI-compatible server of the teacher, e.g. http://gpu:8000/v1.")
    ] = "",
    teacher_model: Annotated[str, typer.Option("--teacher-model", help="The teacher's model name.")] = "",
    dev_dir: Annotated[
        Path | None, typer.Option("--dev-dir", help="Folder of the public sets (default: tune.dev_dir).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (default: tune.out_dir).")] = None,
    max_minutes: Annotated[float, typer.Option("--max-minutes", help="Time budget of the training.")] = 60.0,
    max_examples: Annotated[int, typer.Option("--max-examples", help="Stop after N examples (0: time only).")] = 0,
    restart: Annotated[bool, typer.Option("--restart", help="Drop the checkpoint and start over.")] = False,
    report: Annotated[
        int, typer.Option("--report", help="Questions per set in the before/after table (report halves; 0: none).")
    ] = 150,
    report_only: Annotated[
        bool, typer.Option("--report-only", help="No training: compare the adapter in --out with the base model.")
    ] = False,
) -> None:
    """LoRA-train the configured model to answer with a span copied from the manuals (CPU, or a GPU when there is
    one); resumes from its last checkpoint; writes OUT/adapter.gguf for generation.lora_path and a before/after
    table on the report halves. The shipped start never trains: this runs only when you ask for it."""
    import shutil

    from assistant.cli.main import EXIT_ERROR, err_console
    from assistant.core.errors import AssistantError
    from assistant.core.faults import arm
    from assistant.tuning import data as td
    from assistant.tuning import lora
    from assistant.tuning.gguf_adapter import write_gguf_adapter
    from assistant.tuning.sources import mixed, public_examples

    settings = ctx.obj.settings
    arm(settings.faults.crash_at)
    t = settings.tune
    out_dir = out or t.out_dir
    names = [n.strip() for n in sets.split(",") if n.strip()]
    try:
        examples = public_examples(dev_dir or t.dev_dir, names) if names else []
        if feedback:
            examples += list(td.feedback_examples(feedback))
        if distil:
            from assistant.tuning.distil import distil_examples

            examples += distil_examples(settings, distil, teacher_url, teacher_model, console)
        if not report_only:
            if restart:
                shutil.rmtree(out_dir / "checkpoint", ignore_errors=True)
            train = mixed([e for e in examples if e.split == td.TRAIN])
            config = lora.TrainConfig(rank=t.rank, alpha=t.alpha, learning_rate=t.learning_rate, batch=t.batch,
                                      max_minutes=max_minutes, max_examples=max_examples,
                                      checkpoint_every=t.checkpoint_every, threads=t.threads)
            console.print(f"training on {len(train)} examples ({', '.join(names) or 'no public set'}"
                          f"{', feedback' if feedback else ''}{', distilled' if distil else ''}); "
                          f"budget {max_minutes:g} min; output {out_dir}")
            with Progress(TextColumn("tune"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          TextColumn("loss {task.fields[loss]:.3f}"), console=console) as bar:
                task = bar.add_task("tune", total=None, loss=float("nan"))

                def tick(done: int, planned: int, loss: float) -> None:
                    bar.update(task, completed=done, total=planned, loss=loss)

                result = lora.train(settings.generation.model, train, out_dir, config, tick,
                                    settings.paths.prompts_dir)
            console.print(f"trained {result.examples_seen} examples ({result.steps} steps, {result.minutes:.1f} min "
                          f"on {result.device}{f', resumed at {result.resumed_from}' if result.resumed_from else ''})"
                          f"; recent loss {result.mean_loss_last:.3f}"
                          + ("; stopped by Ctrl-C: the same command resumes" if result.interrupted else ""))
            base_config = lora.base_config(settings.generation.model)
            gguf = write_gguf_adapter(result.adapter_dir, out_dir / "adapter.gguf", base_config)
            console.print(f"adapter: {gguf} ({gguf.stat().st_size / 1e6:.1f} MB) - set generation.lora_path to use it")
        if report and (report_only or not result.interrupted):  # Ctrl-C stops the run, the table too
            from assistant.tuning.report import before_after, print_table

            adapter = out_dir / "adapter.gguf"
            if not adapter.is_file():
                raise AssistantError(f"no adapter at {adapter}: train first (without --report-only)")
            rows = before_after(settings, [e for e in examples if e.split in (td.CALIBRATE, td.REPORT)], adapter,
                                report, out_dir)
            print_table(rows, console)
    except AssistantError as e:
        err_console.print(f"error: {e}")
        raise typer.Exit(EXIT_ERROR) from e


def register(app: typer.Typer) -> None:
    app.command("tune")(tune_command)
