"""The staff chat: evidence first, then the checked summary, sources with the evidence marked, page previews,
follow-ups, a new conversation and feedback. Every answer runs as the logged-in user's principal."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.answering.conversation import recent
from assistant.answering.records import Answer, Turn
from assistant.core.errors import AssistantError, ModelBusy
from assistant.page_preview import render_page
from assistant.services import Assistant
from ui.labels import t
from ui.render import meta_html, source_choices, sources_html
from ui.streaming import StreamPump

log = logging.getLogger(__name__)


class Conversation:
    """What the server keeps of one browser tab's chat (gr.State: never sent to the browser)."""

    def __init__(self) -> None:
        self.turns: list[Turn] = []
        self.last: Answer | None = None


def build(service: Assistant, pump: StreamPump, lang: str) -> None:
    conv = gr.State(Conversation())
    with gr.Row():
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(label=t(lang, "tab.chat"), height=520, elem_id="da-chat", feedback_options=None)
            with gr.Row():
                box = gr.Textbox(
                    placeholder=t(lang, "chat.input"), show_label=False, scale=5, elem_id="da-question", autofocus=True
                )
                send = gr.Button(t(lang, "chat.send"), variant="primary", scale=1, elem_id="da-send")
            new = gr.Button(t(lang, "chat.new"), size="sm", elem_id="da-new")
            with gr.Accordion(t(lang, "feedback.title"), open=False, elem_id="da-feedback"):
                comment = gr.Textbox(label=t(lang, "feedback.comment"), lines=2, elem_id="da-comment")
                with gr.Row():
                    up = gr.Button(t(lang, "feedback.up"), size="sm", elem_id="da-up")
                    down = gr.Button(t(lang, "feedback.down"), size="sm", elem_id="da-down")
                feedback_note = gr.Markdown(elem_id="da-feedback-note")
        with gr.Column(scale=2):
            gr.Markdown(f"### {t(lang, 'chat.sources')}")
            sources = gr.HTML(sources_html(None, lang), elem_id="da-sources")
            pick = gr.Dropdown(choices=[], label=t(lang, "chat.preview"), info=t(lang, "chat.preview_pick"),
                               elem_id="da-preview-pick", interactive=True)
            preview = gr.Image(show_label=False, elem_id="da-preview", interactive=False, height=520)
            preview_note = gr.Markdown(elem_id="da-preview-note")

    def failed(outcome: str) -> str:
        return sources_html(None, lang) + meta_html(uuid.uuid4().hex[:12], outcome)

    def respond(question: str, messages: list, state: Conversation, request: gr.Request):  # noqa: ANN202
        question = (question or "").strip()
        if not question:
            yield gr.skip(), messages, state, gr.skip(), gr.skip()
            return
        messages = [*messages, {"role": "user", "content": question}, {"role": "assistant", "content": "…"}]
        yield "", messages, state, gr.skip(), gr.skip()
        text = ""  # what was shown so far: kept above any message about a failure after it
        try:
            principal = service.principal(request.username)
            stream = service.ask(question, principal=principal, history=recent(state.turns, service.settings))
            for kind, value in pump.events(stream):
                if kind == "queue" and not text:
                    messages[-1] = {"role": "assistant", "content": t(lang, "chat.busy", ahead=value)}
                elif kind == "text":
                    text += value
                    messages[-1] = {"role": "assistant", "content": text}
                yield gr.skip(), messages, state, gr.skip(), gr.skip()
            answer = stream.answer
            if answer.outcome == "no_documents" and not service.has_documents:  # asked only then: no extra I/O
                raise _Shown(t(lang, "chat.empty_kb"))
            state.last = answer
            if answer.evidence:
                state.turns.append(answer.turn())
            messages[-1] = {"role": "assistant", "content": answer.text or text}
            choices = source_choices(answer)
            first = next((n for _, n in choices if n in answer.citations.cited), None)  # previewed at once
            yield gr.skip(), messages, state, sources_html(answer, lang), gr.update(choices=choices, value=first)
        except _Shown as e:
            messages[-1] = {"role": "assistant", "content": str(e)}
            yield gr.skip(), messages, state, failed("shown"), gr.skip()
        except AssistantError as e:
            key = "chat.busy_full" if isinstance(e, ModelBusy) else "chat.error"
            messages[-1] = {"role": "assistant", "content": _after(text, t(lang, key, error=str(e)))}
            yield gr.skip(), messages, state, failed("busy" if isinstance(e, ModelBusy) else "error"), gr.skip()
        except Exception as e:  # shown, logged, and the chat goes on
            log.exception("answering %r failed", question)
            messages[-1] = {"role": "assistant", "content": _after(text, t(lang, "chat.error", error=type(e).__name__))}
            yield gr.skip(), messages, state, failed("error"), gr.skip()

    outputs = [box, chatbot, conv, sources, pick]
    send.click(respond, [box, chatbot, conv], outputs, api_name=False)
    box.submit(respond, [box, chatbot, conv], outputs, api_name=False)

    def restart() -> tuple[Any, ...]:
        return [], Conversation(), sources_html(None, lang), gr.update(choices=[], value=None), None, ""

    new.click(restart, None, [chatbot, conv, sources, pick, preview, preview_note], api_name=False)

    def show_page(number: int | None, state: Conversation):  # noqa: ANN202
        answer = state.last
        source = next((s for s in answer.sources if s.number == number), None) if answer else None
        if source is None:
            return None, ""
        if source.page is None or not source.path.lower().endswith(".pdf"):
            return None, t(lang, "chat.preview_none")
        sentences = [e.text for e in answer.evidence if e.number == source.number]
        try:
            shown = render_page(Path(source.path), source.page, sentences)
        except AssistantError as e:
            return None, t(lang, "chat.error", error=str(e))
        note = t(lang, "chat.preview_found") if shown.found else (t(lang, "chat.preview_notfound") if sentences else "")
        return shown.image, note

    pick.change(show_page, [pick, conv], [preview, preview_note], api_name=False)

    def rate(rating: str):  # noqa: ANN202
        def handler(text: str, state: Conversation, request: gr.Request):  # noqa: ANN202
            if state.last is None:
                return t(lang, "feedback.nothing"), text
            if state.last.user != request.username:
                return t(lang, "admin.forbidden"), text
            try:
                service.feedback(state.last.id, rating, (text or "").strip() or None)
            except AssistantError as e:
                return t(lang, "chat.error", error=str(e)), text
            return t(lang, "feedback.thanks"), ""

        return handler

    up.click(rate("up"), [comment, conv], [feedback_note, comment], api_name=False)
    down.click(rate("down"), [comment, conv], [feedback_note, comment], api_name=False)


def _after(shown: str, message: str) -> str:
    return f"{shown}\n\n*{message}*" if shown.strip() else message


class _Shown(Exception):
    """A message for the user, not an error to log."""
