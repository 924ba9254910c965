"""The chat-generation interface: streamed text for a list of messages, plus token counting with the
model's own tokenizer (so prompts are fitted to the real context window, not an estimate)."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from assistant.llm.gate import QueueListener


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass
class StreamReport:
    """What a backend says of a finished stream, filled in as it ends: why it stopped ("stop": the model ended,
    "length": cut at max_tokens, "cancelled": the reader stopped it) and how many tokens it wrote, as the
    runtime counted them (the caller never re-counts: a cut-off last sentence must be known, not guessed)."""

    finish_reason: str | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True)
class GenerationParams:
    max_tokens: int = 512
    temperature: float = 0.1
    stop: tuple[str, ...] = field(default_factory=tuple)
    repeat_penalty: float = 1.0
    # Set from any thread to stop generation at the next token (the Stop button); the stream then ends normally.
    cancel: threading.Event | None = field(default=None, compare=False)
    report: StreamReport | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ScoredText:
    """A greedy completion with the log-probability of each token it chose (None: the backend gives none)."""

    text: str
    logprobs: tuple[float, ...] | None = None


class ChatModel(ABC):
    """Loaded once per process by a factory and shared; implementations serialise access themselves (a local
    model through `gate.ModelGate`, a server by its own queue)."""

    name: str = ""
    context_window: int = 0

    @abstractmethod
    def stream(
        self, messages: list[ChatMessage], params: GenerationParams, on_queue: QueueListener | None = None
    ) -> Iterator[str]:
        """Yield the answer as it is generated, piece by piece. Closing the iterator stops generation at once;
        `on_queue` hears how many requests are ahead while this one waits for the model."""

    @abstractmethod
    def count_tokens(self, text: str) -> int: ...

    def generate(self, messages: list[ChatMessage], params: GenerationParams) -> str:
        return "".join(self.stream(messages, params))

    def complete_scored(self, messages: list[ChatMessage], max_tokens: int) -> ScoredText:
        """A short greedy completion (a span, a label) and how sure the model was of each token. Backends that
        can report log-probabilities do; this fallback gives the text alone."""
        return ScoredText(self.generate(messages, GenerationParams(max_tokens=max_tokens, temperature=0.0)))
