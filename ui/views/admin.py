"""The admin's view: upload and ingest with progress and a per-file result table, the document list, one
document's detail, removal, index status and the consistency check. Hidden from other roles, and every handler
refuses a caller who is not an admin (the page is not the only way to reach a handler)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.core.errors import AccessDenied, AssistantError
from assistant.core.identity import comma_list
from assistant.services import Assistant
from ingest.uploads import check_count
from ui.labels import t
from ui.library import Library, Upload, outcome_rows


def require_admin(service: Assistant, request: gr.Request) -> None:
    principal = service.principal(request.username) if request.username else None
    if principal is None or principal.role != "admin":
        raise AccessDenied(f"{request.username or 'anonymous'} is not an admin")


def document_rows(library: Library) -> list[list[Any]]:
    return [
        [d.id, d.name, d.pages, d.chunk_count, ", ".join(d.groups), ", ".join(d.tags), d.updated_at or d.ingested_at]
        for d in library.documents()
    ]


def build(service: Assistant, library: Library, lang: str) -> gr.Dataframe:
    """The view; returns the document table, which the app fills when an admin opens the page."""
    result_cols = [t(lang, k) for k in ("col.file", "col.status", "col.chunks", "col.pages", "col.reason")]
    doc_cols = [t(lang, k) for k in ("col.id", "col.file", "col.pages", "col.chunks", "col.groups", "col.tags",
                                     "col.ingested")]
    with gr.Row():
        with gr.Column():
            files = gr.File(label=t(lang, "admin.upload"), file_count="multiple", elem_id="da-upload",
                            file_types=list(service.settings.ingest.extensions))
            groups = gr.Textbox(label=t(lang, "admin.groups"), value=", ".join(service.settings.ingest.default_groups),
                                elem_id="da-groups")
            tags = gr.Textbox(label=t(lang, "admin.tags"), elem_id="da-tags")
            ingest = gr.Button(t(lang, "admin.ingest"), variant="primary", elem_id="da-ingest")
        with gr.Column():
            results = gr.Dataframe(headers=result_cols, label=t(lang, "admin.results"), elem_id="da-results",
                                   interactive=False, wrap=True)
            message = gr.Markdown(elem_id="da-admin-message")
    docs = gr.Dataframe(headers=doc_cols, label=t(lang, "admin.documents"), elem_id="da-documents",
                        interactive=False, wrap=True)
    with gr.Row():
        refresh = gr.Button(t(lang, "admin.refresh"), size="sm", elem_id="da-refresh")
        doc_id = gr.Number(label=t(lang, "admin.doc_ref"), precision=0, elem_id="da-doc-id")
        inspect = gr.Button(t(lang, "admin.inspect"), size="sm", elem_id="da-inspect")
        remove = gr.Button(t(lang, "admin.remove"), size="sm", variant="stop", elem_id="da-remove")
    detail = gr.JSON(elem_id="da-doc-detail")
    with gr.Row():
        status_btn = gr.Button(t(lang, "admin.status"), size="sm", elem_id="da-status")
        check_btn = gr.Button(t(lang, "admin.check"), size="sm", elem_id="da-check")
    status = gr.JSON(elem_id="da-status-json")

    def run_ingest(paths: list[str] | None, group_text: str, tag_text: str, request: gr.Request,
                   progress: gr.Progress = gr.Progress()):  # noqa: B008, ANN202
        require_admin(service, request)
        if not paths:
            return gr.skip(), t(lang, "admin.no_files"), gr.skip()
        try:
            check_count(service.settings, len(paths))  # before reading any of them
        except AssistantError as e:
            return gr.skip(), t(lang, "chat.error", error=str(e)), gr.skip()
        uploads = [Upload(Path(p).name, Path(p).read_bytes()) for p in paths]
        progress(0, desc=t(lang, "admin.progress"))

        def tick(done: int, total: int, name: str) -> None:
            progress((done, max(total, 1)), desc=f"{t(lang, 'admin.progress')} {name}".strip(), unit="files")

        try:
            report, refused = library.ingest_uploads(uploads, comma_list(group_text), comma_list(tag_text), tick)
        except AssistantError as e:
            return gr.skip(), t(lang, "chat.error", error=str(e)), gr.skip()
        counts = report.counts if report else {}
        parts = [f"{n} {k}" for k, n in counts.items() if n] + ([f"{len(refused)} refused"] if refused else [])
        summary = ", ".join(parts)
        return outcome_rows(report, refused), summary, document_rows(library)

    ingest.click(run_ingest, [files, groups, tags], [results, message, docs], api_name=False)

    def list_documents(request: gr.Request):  # noqa: ANN202
        require_admin(service, request)
        return document_rows(library)

    refresh.click(list_documents, None, docs, api_name=False)

    def show_document(ref: float | None, request: gr.Request):  # noqa: ANN202
        require_admin(service, request)
        if ref is None:
            return gr.skip()
        try:
            doc, chunks = library.document(int(ref))
        except AssistantError as e:
            return {"error": str(e)}
        info = json.loads(json.dumps(doc.__dict__, default=str))
        info["chunks"] = [{k: c[k] for k in ("page_start", "heading_path", "text") if k in c} for c in chunks[:20]]
        return info

    inspect.click(show_document, doc_id, detail, api_name=False)

    def remove_document(ref: float | None, request: gr.Request):  # noqa: ANN202
        require_admin(service, request)
        if ref is None:
            return gr.skip(), gr.skip()
        try:
            doc = library.remove(int(ref))
        except AssistantError as e:
            return t(lang, "chat.error", error=str(e)), gr.skip()
        return t(lang, "admin.removed", name=doc.name), document_rows(library)

    remove.click(remove_document, doc_id, [message, docs], api_name=False)

    def show_status(check: bool):  # noqa: ANN202
        def handler(request: gr.Request) -> dict[str, Any]:
            require_admin(service, request)
            return library.status(check)

        return handler

    status_btn.click(show_status(False), None, status, api_name=False)
    check_btn.click(show_status(True), None, status, api_name=False)
    return docs
