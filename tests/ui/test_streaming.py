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


def test_the_sources_panel_shows_table_rows_as_a_table_with_the_evidence_row_marked():
    from assistant.answering.evidence import Evidence
    from assistant.answering.records import Answer, Source
    from ui.render import marked_passage

    passage = ("宿泊費は次のとおりとする。\n区分 東京 その他\n一般社員 12,000円 10,000円\n"
               "課長職 14,000円 12,000円\n以上。")
    row = passage.index("一般社員")
    source = Source(1, "p.pdf", "/p.pdf", None, 2, 2, "", "", 0.0, "c", 1, passage=passage)
    answer = Answer("一般社員の宿泊費は？", "staff")
    answer.evidence = [Evidence(1, passage[row : row + 20], row, row + 20, 1.0, True)]
    html = marked_passage(source, answer)
    assert "<tr><th>区分</th><th>東京</th><th>その他</th></tr>" in html  # the header row, as a header
    assert "<tr class='da-mark'><td>一般社員</td><td>12,000円</td><td>10,000円</td></tr>" in html
    assert "<tr><td>課長職</td>" in html and html.endswith("以上。")
