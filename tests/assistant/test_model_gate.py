"""The model gate: one request at a time, in arrival order, and no reader can hold the model hostage.

A scripted producer stands in for the model here so every step is decided by events, never by timing; the
real backends are driven through the same gate in test_llm_llamacpp.py.
"""

from __future__ import annotations

import gc
import threading

import pytest

from assistant.core.errors import ModelBusy
from assistant.llm.gate import ModelGate, gated_stream


class Script:
    """A producer that yields numbered pieces (without end unless `pieces` is given) until told to stop,
    recording how far it got and when it ended. An endless one can only end by being cancelled."""

    def __init__(self, pieces: int | None = None, fail_at: int | None = None):
        self.pieces = pieces
        self.fail_at = fail_at
        self.produced = 0
        self.ended = threading.Event()
        self.started = threading.Event()

    def __call__(self, cancel: threading.Event):
        try:
            self.started.set()
            i = 0
            while self.pieces is None or i < self.pieces:
                if cancel.wait(0.0005 if self.pieces is None else 0):  # an endless model still takes turns
                    return
                if i == self.fail_at:
                    raise RuntimeError("the model crashed")
                self.produced += 1
                yield f"p{i} "
                i += 1
        finally:
            self.ended.set()


def wait_for(event: threading.Event) -> None:
    assert event.wait(60), "the event never came"  # a bound for a hung test, not a speed requirement


def test_pieces_arrive_in_order_and_the_gate_opens_after_the_last():
    gate = ModelGate(wait_s=60)
    script = Script(pieces=5)
    assert "".join(gated_stream(gate, script)) == "p0 p1 p2 p3 p4 "
    wait_for(script.ended)
    assert next(gated_stream(gate, Script(pieces=1))) == "p0 "  # the next request gets the model


def test_closing_a_stream_stops_generation_and_frees_the_model_at_once():
    gate = ModelGate(wait_s=60)
    script = Script()
    stream = gated_stream(gate, script)
    assert next(stream) == "p0 "
    stream.close()
    wait_for(script.ended)  # an endless answer ended: generation stopped
    follow = Script(pieces=3)
    assert "".join(gated_stream(gate, follow)) == "p0 p1 p2 "


def test_a_dropped_stream_frees_the_model_without_being_closed():
    gate = ModelGate(wait_s=60)
    script = Script()
    stream = gated_stream(gate, script)
    next(stream)
    del stream  # a request handler that lost its client and simply let go of the generator
    gc.collect()
    wait_for(script.ended)
    assert next(gated_stream(gate, Script(pieces=1))) == "p0 "


def test_a_reader_that_stops_reading_loses_the_model_to_a_waiting_request():
    gate = ModelGate(wait_s=60, abandon_after_s=0.0)  # any pause while someone waits counts as abandoned
    stalled_script = Script()
    stalled = gated_stream(gate, stalled_script)
    next(stalled)  # reads one piece, then never again and is never closed (kept referenced)
    got = []
    waiter = threading.Thread(target=lambda: got.append("".join(gated_stream(gate, Script(pieces=2)))))
    waiter.start()
    waiter.join(60)
    assert got == ["p0 p1 "]
    assert stalled_script.ended.is_set()  # an endless answer ended: it was stopped
    assert stalled is not None


def test_waiting_requests_are_served_in_order_and_hear_their_position():
    gate = ModelGate(wait_s=60)
    first_script = Script()
    first = gated_stream(gate, first_script)
    next(first)
    positions: dict[str, list[int]] = {"a": [], "b": []}
    order: list[str] = []
    queued = {name: threading.Event() for name in positions}

    def run(name: str) -> None:
        def heard(ahead: int) -> None:
            positions[name].append(ahead)
            queued[name].set()

        def produce(cancel: threading.Event):  # noqa: ANN202
            order.append(name)  # recorded when the model is given to it (reading after it is a race)
            yield from Script(pieces=1)(cancel)

        for _ in gated_stream(gate, produce, on_queue=heard):
            pass

    a = threading.Thread(target=run, args=("a",))
    a.start()
    wait_for(queued["a"])
    b = threading.Thread(target=run, args=("b",))
    b.start()
    wait_for(queued["b"])
    assert gate.waiting == 2
    first.close()
    a.join(60)
    b.join(60)
    assert order == ["a", "b"]
    assert positions["a"] == [1] and positions["b"][0] == 2  # one ahead (the holder); two ahead


def test_a_request_that_waits_too_long_gets_busy_and_leaves_the_queue():
    gate = ModelGate(wait_s=0.05)
    holder = gated_stream(gate, Script())
    next(holder)
    with pytest.raises(ModelBusy, match="busy answering other questions"):
        next(gated_stream(gate, Script(pieces=1)))
    assert gate.waiting == 0
    holder.close()


def test_a_failure_in_the_model_reaches_the_reader_and_frees_the_model():
    gate = ModelGate(wait_s=60)
    script = Script(fail_at=3)
    with pytest.raises(RuntimeError, match="crashed"):
        list(gated_stream(gate, script))
    wait_for(script.ended)
    assert "".join(gated_stream(gate, Script(pieces=1))) == "p0 "
