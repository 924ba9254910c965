"""An answer stream read in a thread of its own, so the page can show the queue position while the model is
busy with someone else (the reading thread is then blocked waiting for the model; the page is not).

Events come out as ("queue", ahead), ("text", piece). When the page stops reading (tab closed, new question),
the reading thread closes the stream at the next piece: the model is let go, as in the CLI.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

from assistant.answering.records import Answer, AnswerStream
from assistant.services import Assistant


class StreamPump:
    def __init__(self, service: Assistant):
        self._queues: dict[str, queue.Queue[tuple[str, Any]]] = {}
        service.qa.queue_listeners.append(self._heard)

    def _heard(self, answer: Answer, ahead: int) -> None:
        q = self._queues.get(answer.id)
        if q is not None:
            q.put(("queue", ahead))

    def events(self, stream: AnswerStream) -> Iterator[tuple[str, Any]]:
        q: queue.Queue[tuple[str, Any]] = queue.Queue()
        key = stream.answer.id
        self._queues[key] = q
        stop = threading.Event()

        def read() -> None:
            try:
                for piece in stream:
                    q.put(("text", piece))
                    if stop.is_set():
                        break
                q.put(("done", None))
            except BaseException as e:  # handed to the page's thread, which shows it
                q.put(("error", e))
            finally:
                stream.close()
                self._queues.pop(key, None)

        threading.Thread(target=read, name=f"answer-{key}", daemon=True).start()
        try:
            while True:
                kind, value = q.get()
                if kind == "done":
                    return
                if kind == "error":
                    raise value
                yield kind, value
        finally:
            stop.set()
