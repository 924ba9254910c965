"""`assistant search`: ranked hits with file, page, scores and a snippet, as a given user sees them."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from assistant.core.errors import AssistantError

console = Console()


def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="The question or keywords.")],
    k: Annotated[int | None, typer.Option("--k", "-k", help="Number of hits (default: retrieval.k).")] = None,
    user: Annotated[str | None, typer.Option("--user", "-u", help="Search as this user (their groups only).")] = None,
    mode: Annotated[str, typer.Option("--mode", help="hybrid | dense | keyword")] = "hybrid",
    doc: Annotated[list[str] | None, typer.Option("--doc", help="Only this document (id, path or name).")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Only documents with this tag.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Search the knowledge base (dense + keyword, fused) and print ranked hits with their sources."""
    from assistant.cli.main import cli_principal
    from assistant.retrieval import MODES
    from assistant.services import Assistant

    if mode not in MODES:
        raise AssistantError(f"--mode must be one of {', '.join(MODES)}")
    service = Assistant(ctx.obj.settings)
    try:
        if not service.has_documents:
            raise AssistantError("the knowledge base is empty: run `assistant ingest PATH` first")
        principal = cli_principal(service, user)
        doc_ids = service.document_ids(doc) if doc else None
        hits = service.search(query, k, principal=principal, doc_ids=doc_ids, tags=tag, mode=mode)
    finally:
        service.close()
    groups = sorted(principal.groups) if principal.groups is not None else None
    if as_json:
        rows = [h.metadata() | {"rank": i, "text": h.text} for i, h in enumerate(hits, start=1)]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    scope = f"user {user}: groups {', '.join(groups)}" if groups is not None else "all documents (no --user)"
    table = Table(title=f"{len(hits)} hits for “{query}” — {scope}")
    for col in ("#", "score", "file", "page", "section", "snippet"):
        table.add_column(col, overflow="fold", justify="right" if col in ("#", "score") else "left")
    for i, h in enumerate(hits, start=1):
        snippet = h.text.replace("\n", " ")
        table.add_row(
            str(i),
            f"{h.score:.4f}",
            h.name,
            (h.pages + (", OCR" if h.ocr else "")) or "-",
            " > ".join(h.heading_path[-2:]),
            snippet[:160] + ("…" if len(snippet) > 160 else ""),
        )
    console.print(table)
    if not hits:
        console.print("no hits" + (" (this user belongs to no group)" if groups == [] else ""))


def register(app: typer.Typer) -> None:
    app.command()(search)
