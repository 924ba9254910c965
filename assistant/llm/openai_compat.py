"""OpenAI-compatible HTTP backend (vLLM, llama.cpp's server, Ollama, llama-cpp-python's server) for when
one machine is not enough: streamed chat completions over Server-Sent Events, with timeouts and
retries. A retry happens only before the first piece of the answer arrived, so text is never doubled."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx

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
        self.client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(settings.request_timeout_s, connect=min(10.0, settings.request_timeout_s)),
        )

    def count_tokens(self, text: str) -> int:
        """The server's own tokenizer through llama.cpp's /tokenize when offered; otherwise a conservative
        estimate (1 token per 3 characters, per character for CJK) so prompts still fit."""
        try:
            root = self.base.removesuffix("/v1")
            r = self.client.post(f"{root}/extras/tokenize", json={"input": text}, timeout=5)
            if r.status_code == 200:
                return len(r.json()["tokens"])
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        cjk = sum(1 for c in text if ord(c) > 0x2E80)
        return cjk + (len(text) - cjk) // 3 + 1

    def stream(
        self, messages: list[ChatMessage], params: GenerationParams, on_queue: QueueListener | None = None
    ) -> Iterator[str]:
        """The server queues requests itself; closing this generator closes the HTTP stream, which stops it."""
        body = {
            "model": self.settings.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "stream": True,
        }
        if params.repeat_penalty != 1.0:
            # Not in the OpenAI schema; llama.cpp's and vLLM's servers accept it, others ignore unknown fields.
            body["repeat_penalty"] = params.repeat_penalty
        if params.stop:
            body["stop"] = list(params.stop)
        attempts = self.settings.retries + 1
        for attempt in range(1, attempts + 1):
            started = False
            try:
                with self.client.stream("POST", f"{self.base}/chat/completions", json=body) as r:
                    if r.status_code in RETRYABLE_STATUS and attempt < attempts:
                        raise _Retry(f"HTTP {r.status_code}")
                    if r.status_code != 200:
                        r.read()
                        raise GenerationError(f"model server answered HTTP {r.status_code}: {r.text[:300]}")
                    for line in r.iter_lines():
                        if not line.startswith("data:"):
                            continue
                        data = line[5:].strip()
                        if data == "[DONE]":
                            return
                        piece = json.loads(data)["choices"][0].get("delta", {}).get("content")
                        if piece:
                            started = True
                            yield piece
                    return
            except (_Retry, httpx.TransportError) as e:
                if started or attempt == attempts:
                    raise GenerationError(
                        f"model server {self.base} failed ({type(e).__name__}: {e}) after {attempt} attempt(s)"
                    ) from e
                time.sleep(min(2.0, 0.25 * 2 ** (attempt - 1)))


class _Retry(Exception):
    pass
