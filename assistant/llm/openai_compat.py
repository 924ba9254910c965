"""OpenAI-compatible HTTP backend (vLLM, llama.cpp's server, Ollama, llama-cpp-python's server) for when
one machine is not enough: streamed chat completions over Server-Sent Events, with timeouts and
retries. A retry happens only before the first piece of the answer arrived, so text is never doubled."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
from httpx_sse import SSEError, connect_sse
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from assistant.core.config import GenerationSettings
from assistant.core.errors import AssistantError, ModelLoadError
from assistant.llm.base import ChatMessage, ChatModel, GenerationParams
from assistant.llm.gate import QueueListener

RETRYABLE_STATUS = {429, 500, 502, 503, 504}


class GenerationError(AssistantError):
    """The model server failed or could not be reached."""


class OpenAICompatChatModel(ChatModel):
    def __init__(self, settings: GenerationSettings):
        if not settings.server_url:
            raise ModelLoadError(
                "generation.backend = 'openai' needs generation.server_url (e.g. http://127.0.0.1:8000/v1)"
            )
        self.settings = settings
        self.base = settings.server_url.rstrip("/")
        self.name = settings.model
        self.context_window = settings.context_window
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self._tokenize_offered = True
        self.client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(settings.request_timeout_s, connect=min(10.0, settings.request_timeout_s)),
        )

    def count_tokens(self, text: str) -> int:
        """The server's own tokenizer through llama.cpp's /tokenize when offered; otherwise a conservative
        estimate (1 token per 3 characters, per character for CJK) so prompts still fit. Asked once per text (a
        question counts the same sources several times), and not again once the server has said it has none."""
        return self._count(text)

    @functools.lru_cache(maxsize=2048)  # noqa: B019 - one model object per process, the cache lives with it
    def _count(self, text: str) -> int:
        if self._tokenize_offered:
            try:
                root = self.base.removesuffix("/v1")
                r = self.client.post(f"{root}/extras/tokenize", json={"input": text}, timeout=5)
                if r.status_code == 200:
                    return len(r.json()["tokens"])
                if r.status_code in (404, 405, 501):
                    self._tokenize_offered = False
            except (httpx.HTTPError, KeyError, ValueError):
                pass
        cjk = sum(1 for c in text if ord(c) > 0x2E80)
        return cjk + (len(text) - cjk) // 3 + 1

    def stream(
        self, messages: list[ChatMessage], params: GenerationParams, on_queue: QueueListener | None = None
    ) -> Iterator[str]:
        """The server queues requests itself; closing this generator (or setting `params.cancel`) closes the HTTP
        stream, which stops it. Retries (tenacity) only before the first piece arrived, so text is never doubled;
        a 429/503 with Retry-After waits what the server asked (at most MAX_RETRY_AFTER_S)."""
        body: dict[str, object] = {
            "model": self.settings.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "stream": True,
            "stream_options": {"include_usage": True},  # the server's token count, where it gives one
        }
        if params.repeat_penalty != 1.0:
            # Not in the OpenAI schema; llama.cpp's and vLLM's servers accept it, others ignore unknown fields.
            body["repeat_penalty"] = params.repeat_penalty
        if params.stop:
            body["stop"] = list(params.stop)
        progress = _Progress()
        retrying = Retrying(
            stop=stop_after_attempt(self.settings.retries + 1),
            wait=_wait,
            retry=retry_if_exception_type((_Retry, httpx.TransportError)),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    yield from self._attempt(body, params, progress)
        except (_Retry, httpx.TransportError) as e:
            raise GenerationError(
                f"model server {self.base} failed ({type(e).__name__}: {e}) after "
                f"{retrying.statistics.get('attempt_number', 1)} attempt(s)"
            ) from e

    def _attempt(self, body: dict[str, object], params: GenerationParams, progress: _Progress) -> Iterator[str]:
        report = params.report
        try:
            with connect_sse(self.client, "POST", f"{self.base}/chat/completions", json=body) as events:
                r = events.response
                if r.status_code != 200:
                    r.read()
                    if r.status_code in RETRYABLE_STATUS:
                        raise _Retry(f"HTTP {r.status_code}", _retry_after(r))
                    raise GenerationError(f"model server answered HTTP {r.status_code}: {r.text[:300]}")
                for event in events.iter_sse():
                    if params.cancel is not None and params.cancel.is_set():
                        if report is not None:
                            report.finish_reason = "cancelled"
                        return
                    if event.data.strip() == "[DONE]":
                        return
                    payload = json.loads(event.data)
                    if event.event == "error" or "error" in payload:
                        error = payload.get("error", payload)
                        message = error.get("message", error) if isinstance(error, dict) else error
                        raise GenerationError(f"model server stopped with an error: {str(message)[:300]}")
                    usage = payload.get("usage") or {}
                    if report is not None and usage.get("completion_tokens") is not None:
                        report.completion_tokens = int(usage["completion_tokens"])
                    for choice in payload.get("choices") or []:
                        if choice.get("finish_reason") and report is not None:
                            report.finish_reason = choice["finish_reason"]
                        piece = (choice.get("delta") or {}).get("content")
                        if piece:
                            if progress.pieces == 0 and report is not None:
                                report.completion_tokens = None
                            progress.pieces += 1
                            yield piece
        except (_Retry, httpx.TransportError) as e:
            if progress.pieces:  # text was shown: a retry would repeat it
                raise GenerationError(f"model server {self.base} failed mid-answer ({type(e).__name__}: {e})") from e
            raise
        except (SSEError, json.JSONDecodeError) as e:
            raise GenerationError(f"model server sent something that is not a chat stream: {e}") from e
        finally:
            if report is not None and report.completion_tokens is None and progress.pieces:
                report.completion_tokens = progress.pieces  # servers send about one token per piece


@dataclass
class _Progress:
    pieces: int = 0


class _Retry(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


MAX_RETRY_AFTER_S = 30.0


def _retry_after(r: httpx.Response) -> float | None:
    try:
        return min(MAX_RETRY_AFTER_S, max(0.0, float(r.headers.get("retry-after", ""))))
    except ValueError:
        return None


def _wait(state: RetryCallState) -> float:
    """What the server asked for (Retry-After), else 0.25 s doubling up to 2 s."""
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, _Retry) and error.retry_after is not None:
        return error.retry_after
    return min(2.0, 0.25 * 2 ** (state.attempt_number - 1))
