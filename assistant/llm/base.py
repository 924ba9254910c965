"""The chat-generation interface: streamed text for a list of messages, plus token counting with the
model's own tokenizer (so prompts are fitted to the real context window, not an estimate)."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from assistant.errors import ModelBusy


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class GenerationParams:
    max_tokens: int = 512
    temperature: float = 0.1
    stop: tuple[str, ...] = field(default_factory=tuple)
    repeat_penalty: float = 1.0


class ChatModel(ABC):
    """Loaded once per process by a factory and shared; implementations serialise access themselves."""

    name: str = ""
    context_window: int = 0

    @staticmethod
    @contextmanager
    def turn(lock: threading.Lock, wait_s: float) -> Iterator[None]:
        """Hold the model for one request; past `wait_s` in the queue the caller gets a clear 'busy'."""
        if not lock.acquire(timeout=wait_s):
            raise ModelBusy(
                f"the assistant is busy answering other questions (waited {wait_s:.0f} s); please try again shortly"
            )
        try:
            yield
        finally:
            lock.release()

    @abstractmethod
    def stream(self, messages: list[ChatMessage], params: GenerationParams) -> Iterator[str]:
        """Yield the answer as it is generated, piece by piece."""

    @abstractmethod
    def count_tokens(self, text: str) -> int: ...

    def generate(self, messages: list[ChatMessage], params: GenerationParams) -> str:
        return "".join(self.stream(messages, params))
