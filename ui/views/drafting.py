"""The writer's view: a brief, the proposed outline to edit, sections appearing as they are built (each with its
file-and-page sources), rebuilding or editing one section, the review, and the DOCX/Markdown downloads; saved
drafts can be reopened. Shown to writers and admins only, and every handler refuses anyone else."""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.core.errors import AssistantError
from assistant.core.identity import Principal
from assistant.drafting.export import section_markdown, to_markdown
from assistant.drafting.records import Brief, Draft, OutlineItem
from assistant.drafting.review import Review
from assistant.services import Assistant
from ui.exports import fresh_folder
from ui.labels import t


def writer(service: Assistant, request: gr.Request) -> Principal:
    """The caller, refused unless a writer or an admin."""
    return service.drafting.require_writer(service.principal(request.username))


def outline_text(outline: list[OutlineItem]) -> str:
    return "\n".join(f"{o.title}: {o.purpose}" if o.purpose else o.title for o in outline)


def draft_choices(service: Assistant, principal: Principal) -> list[tuple[str, int]]:
    rows = service.drafting.list(principal)
    return [(f"{r['id']}: {r['title']} ({r['done']}/{r['sections']})", r["id"]) for r in rows]


def source_choices(service: Assistant, principal: Principal) -> list[tuple[str, int]]:
    return [(d.name, d.id or 0) for d in service.drafting.documents(principal)]


def review_markdown(review: Review, lang: str) -> str:
    if review.clean:
        return t(lang, "draft.review_clean")
    out = []
    if review.terms:
        out += [f"**{t(lang, 'draft.review_terms')}**", ""]
        out += [f"- {a} / {b} ({', '.join(wa)} / {', '.join(wb)})" for (a, b), (wa, wb) in
                ((n.terms, n.where) for n in review.terms)]
        out.append("")
    if review.conflicts:
        out += [f"**{t(lang, 'draft.review_conflicts')}**", ""]
        for c in review.conflicts:
            out.append(f"- {c.values[0]} ≠ {c.values[1]}")
            out += [f"    - {f.citation.marker} {f.text}" for f in (c.first, c.second)]
        out.append("")
    if review.unsourced:
        out += [f"**{t(lang, 'draft.review_unsourced')}**", ""]
        out += [f"- {u.section}: {u.sentence} ({u.reason})" for u in review.unsourced]
    return "\n".join(out)


def build(service: Assistant, lang: str) -> tuple[gr.CheckboxGroup, gr.Dropdown]:
    """The view; returns the source and saved-draft pickers, which the app fills for the user on page load."""
    draft_id = gr.State(None)
    with gr.Row():
        with gr.Column():
            title = gr.Textbox(label=t(lang, "draft.title"), elem_id="da-draft-title")
            purpose = gr.Textbox(label=t(lang, "draft.purpose"), elem_id="da-draft-purpose")
            audience = gr.Textbox(label=t(lang, "draft.audience"), elem_id="da-draft-audience")
            with gr.Row():
                language = gr.Radio(["ja", "en"], value=lang, label=t(lang, "draft.language"), elem_id="da-draft-lang")
                style = gr.Textbox(label=t(lang, "draft.style"), elem_id="da-draft-style")
            sources = gr.CheckboxGroup(label=t(lang, "draft.sources"), choices=[], elem_id="da-draft-sources")
            outline_in = gr.Textbox(label=t(lang, "draft.outline_in"), lines=3, elem_id="da-draft-outline-in")
            propose = gr.Button(t(lang, "draft.propose"), variant="primary", elem_id="da-draft-propose")
        with gr.Column():
            outline = gr.Textbox(label=t(lang, "draft.outline"), lines=10, elem_id="da-draft-outline")
            build_btn = gr.Button(t(lang, "draft.build"), variant="primary", elem_id="da-draft-build")
            message = gr.Markdown(elem_id="da-draft-message")
            with gr.Row():
                saved = gr.Dropdown(label=t(lang, "draft.saved"), choices=[], elem_id="da-draft-list")
                open_btn = gr.Button(t(lang, "draft.open"), size="sm", elem_id="da-draft-open")
    view = gr.Markdown(elem_id="da-draft-view")
    with gr.Row():
        number = gr.Number(label=t(lang, "draft.section_no"), value=1, precision=0, minimum=1, elem_id="da-draft-no")
        rebuild = gr.Button(t(lang, "draft.rebuild"), size="sm", elem_id="da-draft-rebuild")
        load = gr.Button(t(lang, "draft.load"), size="sm", elem_id="da-draft-load")
    editor = gr.Textbox(label=t(lang, "draft.editor"), lines=8, elem_id="da-draft-editor")
    save = gr.Button(t(lang, "draft.save"), size="sm", elem_id="da-draft-save")
    with gr.Row():
        review_btn = gr.Button(t(lang, "draft.review"), elem_id="da-draft-review")
        docx_btn = gr.DownloadButton(t(lang, "draft.docx"), elem_id="da-draft-docx")
        md_btn = gr.DownloadButton(t(lang, "draft.md"), elem_id="da-draft-md")
    review = gr.Markdown(elem_id="da-draft-review-out")

    def error(e: Exception) -> str:
        return t(lang, "chat.error", error=str(e))

    def files(draft: Draft, principal: Principal) -> tuple[str, str]:
        folder = fresh_folder(principal.name, "draft")
        name = f"draft-{draft.id}"
        (folder / f"{name}.docx").write_bytes(service.drafting.export(draft.id or 0, "docx", principal))
        (folder / f"{name}.md").write_bytes(service.drafting.export(draft.id or 0, "md", principal))
        return str(folder / f"{name}.docx"), str(folder / f"{name}.md")

    def start(title_: str, purpose_: str, audience_: str, lang_: str, style_: str, ids: list[int] | None,
              outline_: str, request: gr.Request):  # noqa: ANN202
        principal = writer(service, request)
        try:
            brief = Brief(title=title_, purpose=purpose_, audience=audience_, language=lang_, style=style_,
                          sources=list(ids or []), outline_text=outline_)
            draft = service.drafting.start(brief, principal)
        except (AssistantError, ValueError) as e:
            return gr.skip(), gr.skip(), error(e), gr.skip(), gr.skip()
        note = "" if draft.outline else t(lang, "draft.empty_outline")
        choices = gr.Dropdown(choices=draft_choices(service, principal), value=draft.id)
        return draft.id, outline_text(draft.outline), note, to_markdown(draft), choices

    propose.click(start, [title, purpose, audience, language, style, sources, outline_in],
                  [draft_id, outline, message, view, saved], api_name=False)

    def build_sections(current: int | None, text: str, request: gr.Request, progress: gr.Progress = gr.Progress()):  # noqa: B008, ANN202
        principal = writer(service, request)
        if current is None:
            yield t(lang, "draft.none"), gr.skip(), gr.skip(), gr.skip()
            return
        try:
            from assistant.drafting.outline import parse_outline

            draft = service.drafting.set_outline(current, parse_outline(text), principal)
            n = len(draft.sections)
            for i, section in enumerate(draft.sections):
                if section.status != "pending":
                    continue
                progress((i, n), desc=t(lang, "draft.progress", i=i + 1, n=n, title=section.title))
                service.drafting.build(current, i, principal)
                draft = service.drafting.get(current, principal)
                note = t(lang, "draft.progress", i=i + 1, n=n, title=section.title)
                yield note, to_markdown(draft), gr.skip(), gr.skip()
        except AssistantError as e:
            yield error(e), gr.skip(), gr.skip(), gr.skip()
            return
        missing = sum(s.status == "needs_input" for s in draft.sections)
        docx_path, md_path = files(draft, principal)
        yield t(lang, "draft.done", n=len(draft.sections), missing=missing), to_markdown(draft), docx_path, md_path

    build_btn.click(build_sections, [draft_id, outline], [message, view, docx_btn, md_btn], api_name=False)

    def open_draft(chosen: int | None, request: gr.Request):  # noqa: ANN202
        principal = writer(service, request)
        if chosen is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        try:
            draft = service.drafting.get(int(chosen), principal)
        except AssistantError as e:
            return gr.skip(), gr.skip(), error(e), gr.skip(), gr.skip(), gr.skip()
        docx_path, md_path = files(draft, principal)
        return draft.id, outline_text(draft.outline), "", to_markdown(draft), docx_path, md_path

    open_btn.click(open_draft, saved, [draft_id, outline, message, view, docx_btn, md_btn], api_name=False)

    def rebuild_section(current: int | None, no: float | None, request: gr.Request):  # noqa: ANN202
        principal = writer(service, request)
        if current is None or no is None:
            return t(lang, "draft.none"), gr.skip(), gr.skip(), gr.skip()
        try:
            service.drafting.build(current, int(no) - 1, principal)
            draft = service.drafting.get(current, principal)
        except AssistantError as e:
            return error(e), gr.skip(), gr.skip(), gr.skip()
        return "", to_markdown(draft), *files(draft, principal)

    rebuild.click(rebuild_section, [draft_id, number], [message, view, docx_btn, md_btn], api_name=False)

    def load_section(current: int | None, no: float | None, request: gr.Request):  # noqa: ANN202
        principal = writer(service, request)
        if current is None or no is None:
            return t(lang, "draft.none"), gr.skip()
        try:
            draft = service.drafting.get(current, principal)
            section = draft.sections[int(no) - 1]
        except (AssistantError, IndexError) as e:
            return error(e), gr.skip()
        body = section_markdown(section, int(no), draft.brief.language).split("\n", 1)[1].strip()
        return "", body

    load.click(load_section, [draft_id, number], [message, editor], api_name=False)

    def save_section(current: int | None, no: float | None, text: str, request: gr.Request):  # noqa: ANN202
        principal = writer(service, request)
        if current is None or no is None:
            return t(lang, "draft.none"), gr.skip(), gr.skip(), gr.skip()
        try:
            service.drafting.edit(current, int(no) - 1, text, principal)
            draft = service.drafting.get(current, principal)
        except (AssistantError, IndexError) as e:
            return error(e), gr.skip(), gr.skip(), gr.skip()
        return "", to_markdown(draft), *files(draft, principal)

    save.click(save_section, [draft_id, number, editor], [message, view, docx_btn, md_btn], api_name=False)

    def run_review(current: int | None, request: gr.Request) -> Any:
        principal = writer(service, request)
        if current is None:
            return t(lang, "draft.none")
        try:
            return review_markdown(service.drafting.review(current, principal), lang)
        except AssistantError as e:
            return error(e)

    review_btn.click(run_review, draft_id, review, api_name=False)
    return sources, saved
