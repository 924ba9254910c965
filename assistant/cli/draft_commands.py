"""`assistant draft` (a new manual from the existing ones, non-interactively), `assistant drafts` (list, show,
export, review saved drafts) and `assistant review` (conflicting figures across existing manuals)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from assistant.cli.main import cli_principal

console = Console(highlight=False)
drafts_app = typer.Typer(help="Saved drafts: list, export, review.", no_args_is_help=True)


def _service(ctx: typer.Context):  # noqa: ANN202
    from assistant.core.errors import AssistantError
    from assistant.services import Assistant

    service = Assistant(ctx.obj.settings)
    if not service.has_documents:
        service.close()
        raise AssistantError("the knowledge base is empty: run `assistant ingest PATH` first")
    return service


def _write(service, draft_id: int, out: Path, principal) -> None:  # noqa: ANN001
    from assistant.core.errors import AssistantError
    from assistant.core.files import write_bytes_atomic

    fmt = out.suffix.lower().lstrip(".")
    fmt = {"markdown": "md"}.get(fmt, fmt)
    if fmt not in ("md", "docx"):
        raise AssistantError(f"--out must end in .docx or .md, not {out.name!r}")
    write_bytes_atomic(out, service.drafting.export(draft_id, fmt, principal))
    console.print(f"written: {out}")


def _show_review(review) -> None:  # noqa: ANN001
    if review.clean:
        console.print("[green]review: no inconsistent terms, conflicting figures or unsourced statements[/]")
        return
    for t in review.terms:
        console.print(
            f"[yellow]terms[/] {escape(t.terms[0])} / {escape(t.terms[1])}: same thing? "
            f"({escape(', '.join(t.where[0]))} / {escape(', '.join(t.where[1]))})"
        )
    _show_conflicts(review.conflicts)
    for u in review.unsourced:
        console.print(f"[red]unsourced[/] {escape(u.section)}: {escape(u.sentence)} ({escape(u.reason)})")


def _show_conflicts(conflicts) -> None:  # noqa: ANN001
    for c in conflicts:
        console.print(f"[red]conflict[/] {escape(c.values[0])} ≠ {escape(c.values[1])} ({escape(c.item)})")
        for fact in (c.first, c.second):
            console.print(f"    {escape(fact.citation.marker)} {escape(fact.text)}")


def draft(
    ctx: typer.Context,
    title: Annotated[str, typer.Option(help="Title of the new manual.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Write the draft here (.docx or .md).")],
    purpose: Annotated[str, typer.Option(help="What the manual is for.")] = "",
    audience: Annotated[str, typer.Option(help="Who reads it.")] = "",
    lang: Annotated[str | None, typer.Option("--lang", help="ja or en (default: the title's language).")] = None,
    outline: Annotated[Path | None, typer.Option(help="Your outline: a text file, one section per line.")] = None,
    revise: Annotated[str | None, typer.Option(help="Revise this document: its sections become the outline.")] = None,
    sources: Annotated[list[str] | None, typer.Option("--sources", help="Draft only from these documents.")] = None,
    style: Annotated[str, typer.Option(help="Style notes (です・ます調, tone…).")] = "",
    resume: Annotated[int | None, typer.Option(help="Go on with a saved draft (its unfinished sections).")] = None,
    user: Annotated[str | None, typer.Option("--user", "-u", help="Draft as this writer.")] = None,
) -> None:
    """Draft a manual from the existing ones: outline, then each section from the manuals' own sentences with file
    and page, then a review. Ctrl-C keeps the finished sections (go on with --resume ID)."""
    from assistant.core.errors import AssistantError
    from assistant.core.language import language_of
    from assistant.drafting.records import Brief

    with _service(ctx) as service:
        principal = cli_principal(service, user)
        drafting = service.drafting
        if resume is not None:
            current = drafting.get(resume, principal)
        else:
            if outline is not None and not outline.is_file():
                raise AssistantError(f"outline file not found: {outline}")
            brief = Brief(
                title=title,
                purpose=purpose,
                audience=audience,
                language=lang or language_of(title),
                style=style,  # type: ignore[arg-type]
                sources=service.document_ids(sources or []),
                outline_text=outline.read_text(encoding="utf-8") if outline else "",
                revise=service.document_ids([revise])[0] if revise else None,
            )
            current = drafting.start(brief, principal)
            if not current.outline:
                raise AssistantError(
                    f"draft {current.id}: nothing in the manuals matches this brief; give an outline with --outline"
                )
        console.print(f"draft {current.id}: {len(current.outline)} sections")
        for i, item in enumerate(current.outline, 1):
            console.print(
                f"  {i}. {escape(item.title)}" + (f" [dim]({escape(item.purpose)})[/]" if item.purpose else "")
            )

        def progress(i: int, n: int, section) -> None:  # noqa: ANN001
            note = {"drafted": "[green]drafted[/]", "needs_input": "[yellow]needs input[/]"}.get(section.status, "")
            console.print(
                f"section {i} of {n}: {escape(section.title)} {note}"
                + (f" [dim]{escape(section.missing)}[/]" if section.missing else "")
            )

        try:
            finished = drafting.build_all(current.id or 0, principal, progress)
        except KeyboardInterrupt:
            kept = drafting.get(current.id or 0, principal)
            console.print(
                f"[yellow]interrupted: draft {kept.id} keeps {kept.finished} of {len(kept.sections)} "
                f"sections; go on with --resume {kept.id}[/]"
            )
            raise typer.Exit(130) from None
        _show_review(drafting.review(finished.id or 0, principal))
        _write(service, finished.id or 0, out, principal)


@drafts_app.command("list")
def drafts_list(ctx: typer.Context, user: Annotated[str | None, typer.Option("--user", "-u")] = None) -> None:
    """Saved drafts, newest first."""
    with _service(ctx) as service:
        rows = service.drafting.list(cli_principal(service, user))
        if not rows:
            console.print("no drafts yet: `assistant draft --title … --out manual.docx`")
            return
        from rich.table import Table

        table = Table("id", "title", "sections done", "owner", "updated")
        for r in rows:
            done = f"{r['done']}/{r['sections']}"
            table.add_row(str(r["id"]), escape(r["title"]), done, r["owner"], r["updated"][:16])
        console.print(table)


@drafts_app.command("export")
def drafts_export(
    ctx: typer.Context,
    draft_id: int,
    out: Annotated[Path, typer.Option("--out", "-o", help=".docx or .md")],
    user: Annotated[str | None, typer.Option("--user", "-u")] = None,
) -> None:
    """Write a saved draft as DOCX or Markdown."""
    with _service(ctx) as service:
        _write(service, draft_id, out, cli_principal(service, user))


@drafts_app.command("review")
def drafts_review(
    ctx: typer.Context, draft_id: int, user: Annotated[str | None, typer.Option("--user", "-u")] = None
) -> None:
    """Inconsistent terms, conflicting figures and unsourced statements in a saved draft."""
    with _service(ctx) as service:
        _show_review(service.drafting.review(draft_id, cli_principal(service, user)))


def review(
    ctx: typer.Context,
    documents: Annotated[list[str] | None, typer.Argument(help="Documents to compare (default: all).")] = None,
    user: Annotated[str | None, typer.Option("--user", "-u")] = None,
) -> None:
    """Conflicting figures (amounts, durations, counts) between existing manuals, with both citations."""
    with _service(ctx) as service:
        conflicts = service.drafting.conflicts(cli_principal(service, user), documents or [])
        if not conflicts:
            console.print("[green]no conflicting figures found[/]")
        _show_conflicts(conflicts)


def register(app: typer.Typer) -> None:
    app.command()(draft)
    app.command()(review)
    app.add_typer(drafts_app, name="drafts")
