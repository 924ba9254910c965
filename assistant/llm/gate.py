"""Access to a model that cannot be held hostage: one request at a time, first come first served.

A stream's text is produced by a worker thread that holds the model; the reader takes pieces from a queue.
So the model is never held by a suspended generator: when the reader closes the stream (or drops it), the
worker stops at the next token and lets go; when the reader stops reading while others wait for the model
(a closed browser tab whose generator was never closed), the worker stops after `abandon_after_s`.
A waiting request learns how many are ahead of it and, past `wait_s`, gets a clear "busy".
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from assistant.core.errors import ModelBusy

log = logging.getLogger(__name__)

QueueListener = Callable[[int], None]
# A producer yields the answer's pieces and stops when the event is set (checked at least once per piece).
Producer = Callable[[threading.Event], Iterator[str]]


class ModelGate:
    def __init__(self, wait_s: float, abandon_after_s: float = 1.0):
        self.wait_s = wait_s
        self.abandon_after_s = abandon_after_s
        self._cond = threading.Condition()
        self._queue: deque[object] = deque()
        self._holder: object | None = None

    @property
    def waiting(self) -> int:
        """Requests waiting for the model (not counting the one that has it)."""
        with self._cond:
            return len(self._queue)

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._holder is not None

    def enter(self, on_queue: QueueListener | None = None) -> object:
        """Wait for the model, in arrival order; `on_queue` hears how many are ahead whenever that changes."""
        ticket = object()
        deadline = time.monotonic() + self.wait_s
        with self._cond:
            self._queue.append(ticket)
            told = None
            while self._holder is not None or self._queue[0] is not ticket:
                ahead = self._queue.index(ticket) + (self._holder is not None)
                if on_queue is not None and ahead != told:
                    told = ahead
                    on_queue(ahead)
                left = deadline - time.monotonic()
                if left <= 0:
                    self._queue.remove(ticket)
                    self._cond.notify_all()
                    raise ModelBusy(
                        f"the assistant is busy answering other questions (waited {self.wait_s:.0f} s, "
                        f"{ahead} ahead); please try again shortly"
                    )
                self._cond.wait(left)
            self._queue.popleft()
            self._holder = ticket
            return ticket

    def leave(self, ticket: object) -> None:
        with self._cond:
            if self._holder is ticket:
                self._holder = None
                self._cond.notify_all()


@dataclass
class _Failure:
    error: BaseException


_END = object()


class _Reader:
    """What the worker knows of its reader: whether it is waiting for a piece, and since when it is not."""

    def __init__(self) -> None:
        self.pulling = False
        self.since = time.monotonic()


def gated_stream(
    gate: ModelGate, produce: Producer, on_queue: QueueListener | None = None, cancel: threading.Event | None = None
) -> Iterator[str]:
    """Stream `produce`'s pieces while holding `gate`; see the module docstring. Starts on the first `next`.
    `cancel` (GenerationParams.cancel), set from any thread, stops the worker at its next token: the stream then
    ends as if the model had finished, and the model is let go."""
    ticket = gate.enter(on_queue)
    pieces: queue.Queue[object] = queue.Queue()
    cancel = cancel if cancel is not None else threading.Event()
    reader = _Reader()
    worker = threading.Thread(
        target=_work, args=(gate, ticket, produce, pieces, cancel, reader), name="model-stream", daemon=True
    )
    worker.start()
    try:
        while True:
            reader.pulling = True
            item = pieces.get()
            reader.pulling, reader.since = False, time.monotonic()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        cancel.set()  # closed, dropped or failed: the worker stops at its next token and releases the model


def _work(
    gate: ModelGate,
    ticket: object,
    produce: Producer,
    pieces: queue.Queue[object],
    cancel: threading.Event,
    reader: _Reader,
) -> None:
    source = produce(cancel)
    try:
        for piece in source:
            pieces.put(piece)
            if cancel.is_set():
                break
            if gate.waiting and not reader.pulling and time.monotonic() - reader.since > gate.abandon_after_s:
                log.warning("a reader stopped reading mid-answer while others wait: stopping it, freeing the model")
                cancel.set()
                break
        pieces.put(_END)
    except BaseException as e:  # handed to the reader, who raises it in its own thread
        pieces.put(_Failure(e))
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
        gate.leave(ticket)
