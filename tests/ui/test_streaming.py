"""The page's reading thread: pieces and queue positions come through in order, a failure reaches the page, and
a page that stops reading (a closed tab, a new question) closes the answer stream, which lets the model go."""

from __future__ import annotations

import threading

import pytest

from assistant.answering.records import Answer, AnswerStream
from ui.streaming import StreamPump


class _QA:
    def __init__(self) -> None:
        self.queue_listeners: list = []


class _Service:
    def __init__(self) -> None:
        self.qa = _QA()


def stream_of(pieces, answer: Answer, closed: threading.Event, listeners=None, fail: Exception | None = None):
    def produce():
        try:
            for i, p in enumerate(pieces):
                if i == 1 and listeners is not None:
                    for listener in listeners:
                        listener(answer, 2)
                yield p
            if fail:
                raise fail
        finally:
            closed.set()

    return AnswerStream(answer, produce())


def test_pieces_and_queue_positions_arrive_in_order():
    service = _Service()
    pump = StreamPump(service)
    answer, closed = Answer("q", "staff"), threading.Event()
    events = list(pump.events(stream_of(["evidence", "summary"], answer, closed, service.qa.queue_listeners)))
    assert events == [("text", "evidence"), ("queue", 2), ("text", "summary")]
    assert closed.is_set()


def test_a_failure_in_the_answer_reaches_the_page():
    pump = StreamPump(_Service())
    closed = threading.Event()
    with pytest.raises(RuntimeError, match="model crashed"):
        list(pump.events(stream_of(["evidence"], Answer("q", "staff"), closed, fail=RuntimeError("model crashed"))))


def test_a_page_that_stops_reading_closes_the_stream():
    pump = StreamPump(_Service())
    closed, more = threading.Event(), threading.Event()

    def endless():
        try:
            yield "evidence"
            while True:
                more.wait(5)
                yield "token"
        finally:
            closed.set()

    events = pump.events(AnswerStream(Answer("q", "staff"), endless()))
    assert next(events) == ("text", "evidence")
    events.close()  # the tab went away
    more.set()  # the next piece comes; the reading thread sees the page gone and closes the stream
    assert closed.wait(30)
