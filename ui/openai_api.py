"""The OpenAI-compatible API: `POST /v1/chat/completions` (streaming and not) and `GET /v1/models`.

Answers come from the knowledge base as the API key's user (Authorization: Bearer KEY), exactly as in the chat:
the last user message is the question, earlier user/assistant pairs are the conversation. The response is the
standard one, plus `sources`, `evidence` and `outcome` fields, so a client that knows them can cite.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.answering.records import Answer, Turn
from assistant.core.errors import AssistantError, ConversationNotFound, ModelBusy
from assistant.core.identity import Principal
from assistant.services import Assistant
from ui.auth import Gatekeeper


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):  # the content-parts form: text parts joined
            return " ".join(p.get("text", "") for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens…: accepted; the server's settings apply
    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    # A conversation kept on the server (the one the web chat lists): "new" starts one, an id goes on with it;
    # its history then replaces the earlier messages. Only the key's user can use their conversations.
    conversation_id: str | None = Field(None, max_length=64)


def conversation(messages: list[ChatMessage], service: Assistant) -> tuple[str, list[Turn]]:
    """The question (last user message) and the earlier user → assistant exchanges as turns, read as the chat
    reads its own (`answering/conversation.py`: the evidence only, "not found" turns skipped)."""
    if messages[-1].role != "user" or not messages[-1].text.strip():
        raise HTTPException(400, "the last message must be the user's question")
    pairs, pending = [], None
    for m in messages[:-1]:
        if m.role == "user":
            pending = m.text
        elif m.role == "assistant" and pending is not None:
            pairs.append((pending, m.text))
            pending = None
    return messages[-1].text.strip(), service.history_from_messages(pairs)


def extras(answer: Answer, conversation_id: str | None = None) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "outcome": answer.outcome,
        "sources": [
            {"number": s.number, "file": s.file, "page": s.page, "section": s.section, "cited": s.cited,
             "snippet": s.snippet, "also_in": s.also_in}
            for s in answer.sources
        ],
        "evidence": [
            {"source": e.number, "text": e.quote, "start": e.start, "end": e.end} for e in answer.evidence
        ],
        # the words that answer, cut from source `source` at characters [start, end) of its passage; null: none
        "short_answer": answer.short_answer.to_dict() if answer.short_answer else None,
        "answer_id": answer.id,
    }


def busy(e: ModelBusy) -> JSONResponse:
    return JSONResponse({"error": {"message": str(e), "type": "busy"}}, status_code=503, headers={"Retry-After": "5"})


def openai_router(service: Assistant, gate: Gatekeeper) -> APIRouter:
    router = APIRouter(prefix="/v1")
    model_id = service.settings.server.api_model_name

    @router.get("/models")
    def models(_: Principal = Depends(gate.principal)) -> dict[str, Any]:  # noqa: B008
        return {"object": "list", "data": [{"id": model_id, "object": "model", "created": 0, "owned_by": "local"}]}

    @router.post("/chat/completions")
    def completions(body: ChatRequest, request: Request) -> Any:
        principal = gate.principal(request)
        question, turns = conversation(body.messages, service)
        kept = None
        if body.conversation_id:
            store = service.conversations
            try:
                if body.conversation_id == "new":
                    kept = store.create(principal.name, question)
                else:
                    kept = store.get(principal.name, body.conversation_id)
                    turns = service.follow_up_history(kept.turns)
            except ConversationNotFound as e:
                raise HTTPException(404, str(e)) from e
        cid_kept = kept.id if kept else None

        def keep(answer: Answer, shown: str | None = None) -> None:
            if kept is not None and answer.outcome != "no_documents":
                service.keep(principal.name, kept.id, answer, shown)

        stream = service.ask(question, principal=principal, history=turns)
        created = int(time.time())
        cid = f"chatcmpl-{stream.answer.id}"
        if not body.stream:
            try:
                answer = stream.result()
            except ModelBusy as e:
                return busy(e)
            keep(answer)
            usage = {"prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.completion_tokens,
                     "total_tokens": answer.prompt_tokens + answer.completion_tokens}
            return {
                "id": cid, "object": "chat.completion", "created": created, "model": model_id,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text},
                             "finish_reason": "stop"}],
                "usage": usage, **extras(answer, cid_kept),
            }
        pieces = iter(stream)
        try:
            first = next(pieces, None)  # the evidence: errors before it get a proper status code
        except ModelBusy as e:
            return busy(e)

        def chunk(delta: dict[str, Any], finish: str | None = None, **more: Any) -> str:
            data = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model_id,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **more}
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

        def events() -> Iterator[str]:
            sent = [first or ""]
            try:
                yield chunk({"role": "assistant", "content": first or ""})
                for piece in pieces:
                    sent.append(piece)
                    yield chunk({"content": piece})
                keep(stream.answer)
                yield chunk({}, "stop", **extras(stream.answer, cid_kept))
            except AssistantError as e:
                kind = "busy" if isinstance(e, ModelBusy) else type(e).__name__
                yield f"data: {json.dumps({'error': {'message': str(e), 'type': kind}}, ensure_ascii=False)}\n\n"
            finally:
                stream.close()  # a client that went away releases the model
                if stream.answer.outcome == "cancelled":
                    keep(stream.answer, "".join(sent))
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return router
