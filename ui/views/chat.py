"""The staff chat: evidence first, then (for a language the model writes) the checked summary; the sources with the
evidence marked and the page of the first cited evidence; a status line with elapsed seconds and a Stop button while
an answer is made; conversations kept on the server (listed, reopened, renamed, deleted); 👍/👎 under every answer
with a comment that survives a change of rating; example questions from the manuals' own headings.
Every answer runs as the logged-in user's principal, and every conversation handler acts for that user only."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.answering.records import Answer, AnswerStream, Turn
from assistant.core.errors import AssistantError, ConversationNotFound, ModelBusy
from assistant.page_preview import render_page
from assistant.services import Assistant
from ui.labels import t
from ui.render import meta_html, source_choices, sources_html
from ui.streaming import StreamPump

log = logging.getLogger(__name__)


@dataclass
class ChatState:
    """What the server keeps of one browser tab's chat (gr.State: never sent to the browser)."""

    conversation_id: str | None = None
    turns: list[Turn] = field(default_factory=list)
    last: Answer | None = None
    answer_ids: dict[int, str] = field(default_factory=dict)  # chatbot message index -> answer id
    rated: str | None = None  # the answer the comment box is about
    phase: str = ""  # searching | waiting | writing | "" (idle)
    ahead: int = 0
    started: float = 0.0
    stream: AnswerStream | None = None  # the answer being made (Stop stops it)


def build(service: Assistant, pump: StreamPump, lang: str):  # noqa: ANN201, PLR0915 - one view, its handlers
    """The chat tab; returns (load function, its outputs) for the page's load event."""
    state = gr.State(ChatState())
    with gr.Row(elem_id="da-chat-row"):
        with gr.Column(scale=1, min_width=220, elem_id="da-history-col"):
            new = gr.Button(t(lang, "chat.new"), size="sm", elem_id="da-new")
            with gr.Accordion(t(lang, "chat.history"), open=True, elem_id="da-history"):
                conversations = gr.Radio(choices=[], show_label=False, elem_id="da-conversations",
                                         info=t(lang, "chat.history_empty"))
                title = gr.Textbox(placeholder=t(lang, "chat.rename_to"), show_label=False, lines=1,
                                   elem_id="da-rename-to")
                with gr.Row():
                    rename = gr.Button(t(lang, "chat.rename"), size="sm", elem_id="da-rename")
                    delete = gr.Button(t(lang, "chat.delete"), size="sm", variant="stop", elem_id="da-delete")
                history_note = gr.Markdown(elem_id="da-history-note")
        with gr.Column(scale=3, min_width=300):
            chatbot = gr.Chatbot(
                label=t(lang, "tab.chat"), height="58vh", min_height=240, elem_id="da-chat",
                feedback_options=("Like", "Dislike"), placeholder=t(lang, "chat.placeholder"), show_label=False,
                buttons=["copy", "copy_all"],
            )
            status = gr.Markdown(elem_id="da-status")
            with gr.Row(equal_height=True):
                box = gr.Textbox(
                    placeholder=t(lang, "chat.input"), show_label=False, scale=5, elem_id="da-question", autofocus=True,
                    lines=1, max_lines=4,
                )
                send = gr.Button(t(lang, "chat.send"), variant="primary", scale=1, min_width=70, elem_id="da-send")
                stop = gr.Button(t(lang, "chat.stop"), variant="stop", scale=1, min_width=70, visible=False,
                                 elem_id="da-stop")
            with gr.Row(elem_id="da-feedback", equal_height=True):
                comment = gr.Textbox(placeholder=t(lang, "feedback.comment"), show_label=False, scale=5, lines=1,
                                     elem_id="da-comment")
                save_comment = gr.Button(t(lang, "feedback.save"), size="sm", scale=1, min_width=70,
                                         elem_id="da-comment-save")
            feedback_note = gr.Markdown(elem_id="da-feedback-note")
        with gr.Column(scale=2, min_width=280, elem_id="da-sources-col"):
            gr.Markdown(f"### {t(lang, 'chat.sources')}")
            sources = gr.HTML(sources_html(None, lang), elem_id="da-sources")
            pick = gr.Dropdown(choices=[], label=t(lang, "chat.preview"), info=t(lang, "chat.preview_pick"),
                               elem_id="da-preview-pick", interactive=True)
            preview = gr.Image(show_label=False, elem_id="da-preview", interactive=False, height=520)
            preview_note = gr.Markdown(elem_id="da-preview-note")
    timer = gr.Timer(1.0, active=False)

    def user_of(request: gr.Request) -> str:
        return service.principal(request.username).name

    def history_choices(user: str, selected: str | None) -> dict[str, Any]:
        convs = service.conversations.list(user)
        info = "" if convs else t(lang, "chat.history_empty")
        return gr.Radio(choices=[(c.title, c.id) for c in convs], value=selected, info=info)

    def page_of(answer: Answer | None, number: int | None) -> tuple[Any, str]:
        """The source's page as an image with the evidence highlighted, and a note."""
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

    def status_text(st: ChatState) -> str:
        seconds = f"{time.monotonic() - st.started:.0f}"
        if st.phase == "waiting":
            return t(lang, "chat.status_waiting", ahead=st.ahead, s=seconds)
        if st.phase == "writing":
            return t(lang, "chat.status_writing", s=seconds)
        if st.phase == "searching":
            return t(lang, "chat.status_searching", s=seconds)
        return gr.skip()

    outputs = [box, chatbot, state, sources, pick, preview, preview_note, conversations, status, send, stop, timer]
    names = ["box", "chatbot", "state", "sources", "pick", "preview", "preview_note", "conversations", "status",
             "send", "stop", "timer"]

    def out(**values: Any) -> tuple[Any, ...]:
        """One update of `outputs`: the named ones, the rest unchanged."""
        return tuple(values.get(name, gr.skip()) for name in names)

    def running(on: bool) -> dict[str, Any]:
        """Input, Send, Stop and the status timer while an answer is made (on) and after."""
        return {"send": gr.Button(visible=not on), "stop": gr.Button(visible=on, interactive=True),
                "timer": gr.Timer(active=on)}

    def respond(question: str, messages: list, st: ChatState, request: gr.Request):  # noqa: ANN202, PLR0915
        question = (question or "").strip()
        if not question:
            yield out()
            return
        user = user_of(request)
        messages = [*messages, {"role": "user", "content": question}, {"role": "assistant", "content": "…"}]
        st.phase, st.started, st.last = "searching", time.monotonic(), None
        yield out(box=gr.Textbox(value="", interactive=False), chatbot=messages, state=st, status=status_text(st),
                  **running(True))
        text = ""  # what was shown so far: kept above any message about a failure after it
        stream = None
        finished = False
        try:
            principal = service.principal(request.username)
            if st.conversation_id is None:
                st.conversation_id = service.conversations.create(user, question).id
            stream = service.ask(question, principal=principal, history=service.follow_up_history(st.turns))
            st.stream = stream
            writes = service.settings.qa.summary and service.qa.writes(stream.answer.language)
            for kind, value in pump.events(stream):
                if kind == "queue":
                    st.phase, st.ahead = "waiting", value
                    if not text:
                        messages[-1] = {"role": "assistant", "content": t(lang, "chat.busy", ahead=value)}
                elif kind == "text":
                    text += value
                    st.phase = "writing" if writes else "searching"
                    messages[-1] = {"role": "assistant", "content": text}
                yield out(chatbot=messages, state=st, status=status_text(st))
            answer = stream.answer
            if answer.outcome == "no_documents" and not service.has_documents:  # asked only then: no extra I/O
                raise _Shown(t(lang, "chat.empty_kb"))
            st.last = answer
            if answer.evidence:
                st.turns.append(answer.turn())
            messages[-1] = {"role": "assistant", "content": answer.text or text}
            st.answer_ids[len(messages) - 1] = answer.id
            service.keep(user, st.conversation_id, answer)
            finished = True
            choices = source_choices(answer)
            first = _first_evidence_page(answer, choices)
            image, note = page_of(answer, first)
            st.phase = ""
            done = (t(lang, "chat.status_stopped") if answer.stopped
                    else t(lang, "chat.status_done", s=f"{answer.timings.get('total_s', 0):.1f}"))
            yield out(box=gr.Textbox(interactive=True), chatbot=messages, state=st, sources=sources_html(answer, lang),
                      pick=gr.Dropdown(choices=choices, value=first), preview=image, preview_note=note,
                      conversations=history_choices(user, st.conversation_id), status=done, **running(False))
        except _Shown as e:
            finished = True
            messages[-1] = {"role": "assistant", "content": str(e)}
            yield failed(messages, st, "shown")
        except AssistantError as e:
            finished = True
            key = "chat.busy_full" if isinstance(e, ModelBusy) else "chat.error"
            messages[-1] = {"role": "assistant", "content": _after(text, t(lang, key, error=str(e)))}
            yield failed(messages, st, "busy" if isinstance(e, ModelBusy) else "error")
        except Exception as e:  # shown, logged, and the chat goes on
            finished = True
            log.exception("answering %r failed", question)
            messages[-1] = {"role": "assistant", "content": _after(text, t(lang, "chat.error", error=type(e).__name__))}
            yield failed(messages, st, "error")
        finally:
            st.phase, st.stream = "", None
            if not finished and stream is not None:  # the tab went away: the evidence shown so far is kept
                stream.close()
                answer = stream.answer
                st.last = answer
                if answer.evidence:
                    st.turns.append(answer.turn())
                if st.conversation_id and text:
                    try:
                        service.keep(user, st.conversation_id, answer, text)
                    except AssistantError:
                        log.exception("keeping a stopped answer failed")

    def failed(messages: list, st: ChatState, outcome: str) -> tuple[Any, ...]:
        st.phase = ""
        panel = sources_html(None, lang) + meta_html(uuid.uuid4().hex[:12], outcome)
        return out(box=gr.Textbox(interactive=True), chatbot=messages, state=st, sources=panel, status="",
                   **running(False))

    # Our status line and Stop button say what happens: no progress overlay over the chat.
    send.click(respond, [box, chatbot, state], outputs, api_name=False, show_progress="hidden")
    box.submit(respond, [box, chatbot, state], outputs, api_name=False, show_progress="hidden")

    def example(data: gr.SelectData) -> str:
        value = data.value
        return value.get("text", "") if isinstance(value, dict) else str(value)

    chatbot.example_select(example, None, box, api_name=False).then(
        respond, [box, chatbot, state], outputs, api_name=False, show_progress="hidden")

    def stopped(st: ChatState) -> Any:
        """The model stops at its next token; the answer then ends as usual (evidence kept, input back)."""
        if st.stream is not None:
            st.stream.stop()
        return gr.Button(interactive=False)

    stop.click(stopped, state, stop, api_name=False)
    timer.tick(lambda st: status_text(st) if st.phase else gr.skip(), state, status, api_name=False,
               show_progress="hidden")

    def restart() -> tuple[Any, ...]:
        return ([], ChatState(), sources_html(None, lang), gr.update(choices=[], value=None), None, "", "",
                gr.Radio(value=None), "")

    cleared = [chatbot, state, sources, pick, preview, preview_note, status, conversations, history_note]
    new.click(restart, None, cleared, api_name=False)
    chatbot.clear(restart, None, cleared, api_name=False)  # the chat's own clear button starts anew too

    def open_conversation(cid: str | None, request: gr.Request):  # noqa: ANN202
        st = ChatState()
        if not cid:
            return [], st, sources_html(None, lang), gr.update(choices=[], value=None), None, "", "", cid
        try:
            conv = service.conversations.get(user_of(request), cid)
        except ConversationNotFound as e:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), str(e), None
        messages: list[dict[str, str]] = []
        for ex in conv.exchanges:
            messages.append({"role": "user", "content": ex.question})
            messages.append({"role": "assistant", "content": ex.answer})
            if ex.answer_id:
                st.answer_ids[len(messages) - 1] = ex.answer_id
        st.conversation_id, st.turns = conv.id, conv.turns
        return messages, st, sources_html(None, lang), gr.update(choices=[], value=None), None, "", "", conv.title

    conversations.input(open_conversation, conversations,
                        [chatbot, state, sources, pick, preview, preview_note, history_note, title], api_name=False)

    def rename_conversation(cid: str | None, new_title: str, request: gr.Request):  # noqa: ANN202
        if not cid:
            return gr.skip(), t(lang, "chat.pick_first")
        try:
            service.conversations.rename(user_of(request), cid, new_title or "")
        except AssistantError as e:
            return gr.skip(), str(e)
        return history_choices(user_of(request), cid), t(lang, "chat.renamed")

    rename.click(rename_conversation, [conversations, title], [conversations, history_note], api_name=False)

    def delete_conversation(cid: str | None, st: ChatState, request: gr.Request):  # noqa: ANN202
        if not cid:
            return (gr.skip(),) * 3 + (t(lang, "chat.pick_first"),)
        try:
            service.conversations.delete(user_of(request), cid)
        except AssistantError as e:
            return (gr.skip(),) * 3 + (str(e),)
        if st.conversation_id == cid:
            return history_choices(user_of(request), None), [], ChatState(), t(lang, "chat.deleted")
        return history_choices(user_of(request), st.conversation_id), gr.skip(), gr.skip(), t(lang, "chat.deleted")

    delete.click(delete_conversation, [conversations, state], [conversations, chatbot, state, history_note],
                 api_name=False)

    def show_page(number: int | None, st: ChatState):  # noqa: ANN202
        return page_of(st.last, number)

    pick.input(show_page, [pick, state], [preview, preview_note], api_name=False)

    def liked(st: ChatState, data: gr.LikeData, request: gr.Request):  # noqa: ANN202
        index = data.index if isinstance(data.index, int) else data.index[0]
        answer_id = st.answer_ids.get(index)
        if answer_id is None:
            return t(lang, "feedback.not_rateable"), st
        rating = "up" if data.liked is True else "down" if data.liked is False else None
        if rating is None:  # the rating was taken back: the record keeps the last one given
            return "", st
        try:
            _own_answer(service, answer_id, request)
            service.feedback(answer_id, rating)
        except AssistantError as e:
            return t(lang, "chat.error", error=str(e)), st
        st.rated = answer_id
        return t(lang, "feedback.rated_up" if rating == "up" else "feedback.rated_down"), st

    chatbot.like(liked, state, [feedback_note, state], api_name=False)

    def save(text: str, st: ChatState, request: gr.Request):  # noqa: ANN202
        if st.rated is None:
            return t(lang, "feedback.nothing"), text
        try:
            _own_answer(service, st.rated, request)
            service.feedback(st.rated, None, (text or "").strip())
        except AssistantError as e:
            return t(lang, "chat.error", error=str(e)), text
        return t(lang, "feedback.thanks"), text

    save_comment.click(save, [comment, state], [feedback_note, comment], api_name=False)
    comment.submit(save, [comment, state], [feedback_note, comment], api_name=False)

    def on_load(request: gr.Request):  # noqa: ANN202
        principal = service.principal(request.username)
        try:
            examples = [{"text": q} for q in service.examples(principal, lang)]
        except AssistantError:
            examples = []
        return gr.Chatbot(examples=examples or None), history_choices(principal.name, None)

    return on_load, [chatbot, conversations]


def _first_evidence_page(answer: Answer, choices: list[tuple[str, int]]) -> int | None:
    """The source of the answer's first evidence (the first cited one otherwise) that has a page to show."""
    pageable = {n for _, n in choices}
    order = [e.number for e in answer.evidence] + list(answer.citations.cited)
    return next((n for n in order if n in pageable), None)


def _own_answer(service: Assistant, answer_id: str, request: gr.Request) -> None:
    """Feedback only on one's own answers (an answer id from another tab's state is refused)."""
    usage = service.usage
    if usage is None:
        return  # service.feedback says the log is off
    row = usage.get(answer_id)
    if row is not None and row.get("user") not in (None, service.principal(request.username).name):
        from assistant.core.errors import AccessDenied

        raise AccessDenied("that answer is not yours to rate")


def _after(shown: str, message: str) -> str:
    return f"{shown}\n\n*{message}*" if shown.strip() else message


class _Shown(Exception):
    """A message for the user, not an error to log."""
