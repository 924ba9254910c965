"""Admin commands on the knowledge base: ingest, status, docs list|show|remove, reindex."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.cli.main import EXIT_ERROR, EXIT_PARTIAL, State
from assistant.core.identity import comma_list
from assistant.core.pages import page_engine_summary, read_by_ocr
from assistant.kb import KnowledgeBase

console = Console()
err_console = Console(stderr=True)

_STYLE = {
    "ingested": "green",
    "replaced": "cyan",
    "updated": "cyan",
    "skipped": "dim",
    "removed": "yellow",
    "failed": "red",
}


def _ingestor(state: State, progress: Any = None):  # noqa: ANN202 - lazy import keeps `status` fast
    from assistant.embeddings import load_embedder
    from ingest.pipeline import Ingestor

    settings = state.settings
    return Ingestor(settings, lambda: load_embedder(settings.embedding), progress)


def _rich_progress(enabled: bool):  # noqa: ANN202
    from ingest.pipeline import IngestProgress

    class RichIngestProgress(IngestProgress):
        def __init__(self) -> None:
            self.bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[last]}"),
                console=err_console,
                disable=not enabled,
                transient=False,
            )
            self.files = self.bar.add_task("files", total=None, last="")
            self.chunks = self.bar.add_task("chunks embedded", total=None, last="")

        def files_total(self, n: int) -> None:
            self.bar.update(self.files, total=n)

        def file_done(self, outcome: Any) -> None:
            self.bar.update(self.files, advance=1, last=f"{Path(outcome.path).name}: {outcome.status}")

        def chunks_added(self, n: int) -> None:
            self.bar.update(self.chunks, advance=n)

    return RichIngestProgress()


def _summary_table(report: Any) -> Table:
    table = Table(title="Ingestion summary", show_lines=False)
    table.add_column("file", overflow="fold")
    table.add_column("result", overflow="fold")
    table.add_column("pages", justify="right")
    table.add_column("chunks", justify="right")
    table.add_column("warnings", overflow="fold")
    for o in report.outcomes:
        warn = "; ".join(o.warnings[:3]) + (f" (+{len(o.warnings) - 3} more)" if len(o.warnings) > 3 else "")
        table.add_row(
            o.path, f"[{_STYLE.get(o.status, '')}]{o.label}[/]", str(o.pages or ""), str(o.chunks or ""), warn
        )
    return table


def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest (folders recursively).")],
    groups: Annotated[
        str | None, typer.Option("--groups", "-g", help="Comma-separated access groups for these documents.")
    ] = None,
    tags: Annotated[str | None, typer.Option("--tags", "-t", help="Comma-separated tags for these documents.")] = None,
    prune: Annotated[bool, typer.Option("--prune", help="Remove documents under PATHS whose files are gone.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
    password: Annotated[
        list[str] | None, typer.Option("--password", help="Password to try on encrypted PDFs (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout (no progress).")] = False,
) -> None:
    """Add new and changed files to the knowledge base; unchanged files are skipped."""
    state: State = ctx.obj
    group_list = comma_list(groups) if groups is not None else None
    if group_list is not None and not group_list:
        err_console.print("[red]error:[/] --groups is empty; give at least one group name")
        raise typer.Exit(EXIT_ERROR)
    progress = _rich_progress(enabled=not as_json and not dry_run)
    ingestor = _ingestor(state, progress)
    with progress.bar:
        report = ingestor.run(
            paths,
            groups=group_list,
            tags=comma_list(tags) if tags is not None else None,
            prune=prune,
            dry_run=dry_run,
            passwords=password or [],
        )
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        console.print(_summary_table(report))
        counts = ", ".join(f"{n} {s}" for s, n in report.counts.items() if n)
        console.print(
            f"{'[bold]Dry run[/]: ' if report.dry_run else ''}{counts or 'nothing to do'}; "
            f"{report.chunks_embedded} chunks embedded, {report.chunks_reused} reused; "
            + (f"{report.ocr_pages} pages read by OCR; " if report.ocr_pages else "")
            + f"generation {report.generation or '-'}; {report.seconds:.1f} s"
        )
    if not report.ok:
        raise typer.Exit(EXIT_PARTIAL)


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Also verify database/index consistency.")] = False,
) -> None:
    """Counts, sizes, embedding model and last ingestion of the knowledge base."""
    from assistant.kb.status import knowledge_base_status

    info = knowledge_base_status(ctx.obj.settings, check)
    problems = info.get("problems")
    if as_json:
        sys.stdout.write(json.dumps(info, ensure_ascii=False, indent=2) + "\n")
    else:
        table = Table(title="Knowledge base", show_header=False)
        table.add_column("", style="bold")
        table.add_column("")
        emb = info["embedder"]
        rows = [
            ("location", info["knowledge_base"]),
            ("generation", info["generation"] or "(empty: run `assistant ingest PATH`)"),
            ("documents", str(info["documents"])),
            ("pages", str(info["pages"])),
            ("chunks", str(info["chunks"])),
            ("database size", _size(info["database_bytes"])),
            ("index size", _size(info["index_bytes"])),
            ("embedding model", f"{emb['backend']}:{emb['model']} (dim {emb['dim']})" if emb else "-"),
            ("access groups", ", ".join(info["groups"]) or "-"),
        ]
        if last := info["last_ingestion"]:
            counts = ", ".join(f"{n} {k}" for k, n in (last["counts"] or {}).items() if n)
            rows.append(("last ingestion", f"{last['finished_at']} ({last['command']}: {counts or 'no changes'})"))
        if check:
            rows.append(("consistency", "ok" if not problems else "; ".join(problems)))
        for k, v in rows:
            table.add_row(k, v)
        console.print(table)
    if problems:
        raise typer.Exit(EXIT_ERROR)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


# Document fields shown by `docs list --json` and `docs show`.
DOC_FIELDS = (
    "id",
    "name",
    "source",
    "format",
    "title",
    "pages",
    "chunk_count",
    "groups",
    "tags",
    "content_hash",
    "ingested_at",
    "updated_at",
)

docs_app = typer.Typer(help="List, show and remove ingested documents.", no_args_is_help=True)


@docs_app.command("list")
def docs_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """All documents with pages, chunks, groups and warnings."""
    kb = KnowledgeBase.open(ctx.obj.settings.paths.kb_dir)
    docs = kb.documents()
    if as_json:
        rows = [{k: getattr(d, k) for k in DOC_FIELDS} | {"warnings": d.warnings} for d in docs]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"{len(docs)} documents")
    for col in ("id", "name", "format", "pages", "chunks", "groups", "warnings", "updated"):
        table.add_column(col, justify="right" if col in ("id", "pages", "chunks", "warnings") else "left")
    for d in docs:
        table.add_row(
            str(d.id),
            d.name,
            d.format,
            str(d.pages),
            str(d.chunk_count),
            ",".join(d.groups),
            str(len(d.warnings)),
            d.updated_at or "",
        )
    console.print(table)


def _one_doc(kb: KnowledgeBase, ref: str):  # noqa: ANN202
    found = kb.find_documents(ref)
    if not found:
        err_console.print(f"[red]error:[/] no document matches '{ref}' (use an id, a path or a file name)")
        raise typer.Exit(EXIT_ERROR)
    if len(found) > 1:
        err_console.print(f"[red]error:[/] '{ref}' matches {len(found)} documents; use the id or full path:")
        for d in found:
            err_console.print(f"  {d.id}  {d.source}")
        raise typer.Exit(EXIT_ERROR)
    return found[0]


@docs_app.command("show")
def docs_show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Document id, path or file name.")],
    chunks: Annotated[int, typer.Option("--chunks", help="How many chunks to print.")] = 3,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Metadata, warnings and the first chunks of one document."""
    kb = KnowledgeBase.open(ctx.obj.settings.paths.kb_dir)
    d = _one_doc(kb, ref)
    all_chunks = kb.chunks_of(d.id)
    if as_json:
        data = d.__dict__ | {"chunks": all_chunks[:chunks]}
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    table = Table(title=d.name, show_header=False)
    table.add_column("", style="bold")
    table.add_column("", overflow="fold")
    for k in DOC_FIELDS:
        v = getattr(d, k)
        table.add_row(k, ", ".join(v) if isinstance(v, list) else str(v))
    table.add_row("warnings", "\n".join(d.warnings) or "-")
    if engines := d.metadata.get("page_engines"):
        table.add_row("text from", page_engine_summary(engines))
    console.print(table)
    for c in all_chunks[:chunks]:
        pages = f"p.{c['page_start']}" + (f"-{c['page_end']}" if c["page_end"] != c["page_start"] else "")
        pages += ", OCR" if read_by_ocr(d.metadata.get("page_engines"), c["page_start"], c["page_end"]) else ""
        console.print(f"[bold]#{c['ordinal']}[/] {pages} [dim]{' > '.join(c['heading_path'])}[/]")
        console.print(c["text"][:400], highlight=False)


@docs_app.command("remove")
def docs_remove(
    ctx: typer.Context,
    refs: Annotated[list[str], typer.Argument(help="Document ids, paths or file names.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove documents (their chunks and vectors) from the knowledge base."""
    kb = KnowledgeBase.open(ctx.obj.settings.paths.kb_dir)
    docs = [_one_doc(kb, r) for r in refs]
    kb.close()
    if not yes and not typer.confirm(f"Remove {len(docs)} document(s): {', '.join(d.name for d in docs)}?"):
        raise typer.Exit(EXIT_PARTIAL)
    generation = _ingestor(ctx.obj).remove(docs)
    console.print(f"removed {len(docs)} document(s); generation {generation}")


def reindex(
    ctx: typer.Context, yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False
) -> None:
    """Re-embed every chunk with the configured embedding model (after changing the `embedding` section)."""
    kb = KnowledgeBase.open(ctx.obj.settings.paths.kb_dir)
    n = kb.counts()["chunks"]
    kb.close()
    if not yes and not typer.confirm(f"Re-embed {n} chunks with {ctx.obj.settings.embedding.model}?"):
        raise typer.Exit(EXIT_PARTIAL)
    progress = _rich_progress(enabled=True)
    with progress.bar:
        report = _ingestor(ctx.obj, progress).reindex()
    console.print(
        f"re-embedded {report.chunks_embedded} chunks of {len(report.outcomes)} documents "
        f"({report.chunks_reused} identical texts reused); generation {report.generation}; {report.seconds:.1f} s"
    )


def register(app: typer.Typer) -> None:
    app.command()(ingest)
    app.command()(status)
    app.command()(reindex)
    app.add_typer(docs_app, name="docs")
