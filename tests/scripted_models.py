"""Models for tests, beside the real one: one that records what the real model was sent, one that writes a given
text (what small models write: loops, wrong numbers, the wrong language) so a guard can be shown to stop it."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.llm import ChatMessage, ChatModel, GenerationParams


class Recording(ChatModel):
    """Passes everything to another model and keeps what it was sent."""

    def __init__(self, inner: ChatModel, window: int | None = None):
        self.inner, self.name = inner, inner.name
        self.context_window = window or inner.context_window
        self.sent: list[tuple[list[ChatMessage], GenerationParams]] = []

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def stream(self, messages, params, on_queue=None):
        self.sent.append((messages, params))
        return self.inner.stream(messages, params, on_queue)


class Scripted(ChatModel):
    """Writes a given text, a few characters per "token", and stops at max_tokens like a real model."""

    name = "scripted"
    context_window = 2048

    def __init__(self, text: str):
        self.text = text

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def stream(self, messages, params, on_queue=None) -> Iterator[str]:
        """One piece a token, as llama.cpp streams; says why it ended, as the real runtimes do."""
        pieces = [self.text[i : i + 4] for i in range(0, len(self.text), 4)]
        written = 0
        try:
            for piece in pieces[: params.max_tokens]:
                if params.cancel is not None and params.cancel.is_set():
                    if params.report is not None:
                        params.report.finish_reason = "cancelled"
                    return
                written += 1
                yield piece
            if params.report is not None:
                params.report.finish_reason = "length" if len(pieces) > params.max_tokens else "stop"
        finally:
            if params.report is not None:
                params.report.completion_tokens = written


class Gated(ChatModel):
    """Holds the model like the real runtime (`gate.gated_stream`): writes `first`, then waits until the test
    releases it (or the reader stops), then writes `rest`. Events, never delays, say where it is."""

    name = "gated"
    context_window = 2048

    def __init__(self, first: str, rest: str):
        import threading

        from assistant.llm.gate import ModelGate

        self.first, self.rest = first, rest
        self.gate = ModelGate(60.0, 1.0)
        self.started, self.release, self.cancelled = threading.Event(), threading.Event(), threading.Event()

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def stream(self, messages, params, on_queue=None) -> Iterator[str]:
        from assistant.llm.gate import gated_stream

        def produce(cancel):  # noqa: ANN001, ANN202
            self.started.set()
            yield self.first
            while not cancel.wait(0.05):  # polls two events; nothing is decided by the interval
                if self.release.is_set():
                    yield self.rest
                    if params.report is not None:
                        params.report.finish_reason, params.report.completion_tokens = "stop", 2
                    return
            self.cancelled.set()
            if params.report is not None:
                params.report.finish_reason, params.report.completion_tokens = "cancelled", 1

        return gated_stream(self.gate, produce, on_queue, params.cancel)


class CutShort(Scripted):
    """A runtime whose tokens are longer than the text-length estimate: it stops at its token limit ("length")
    where re-counting the text would say the answer fit. Only the runtime's own stop reason shows the cut."""

    def __init__(self, text: str, limit_tokens: int):
        super().__init__(text)
        self.limit = limit_tokens

    def stream(self, messages, params, on_queue=None) -> Iterator[str]:
        pieces = [self.text[i : i + 4] for i in range(0, len(self.text), 4)][: self.limit]
        yield from pieces
        if params.report is not None:
            params.report.finish_reason, params.report.completion_tokens = "length", params.max_tokens
