"""No answer can hold a model hostage, on the real backends: a closed stream stops generating and frees the model,
and a reader that stops reading while another request waits loses it.

llama.cpp runs the shipped 4-bit GGUF. The transformers backend's 4-bit loading needs CUDA, so here it serves the
same GGUF dequantised on the CPU (`from_loaded`): the streaming, the gate and the stopping are the same code.
"""

from __future__ import annotations

import threading

import pytest

from assistant.core.config import GenerationSettings
from assistant.llm import ChatMessage, GenerationParams, load_chat_model

LONG = [ChatMessage("user", "Write a very long story about a factory, with many chapters.")]
SHORT = [ChatMessage("user", "The VPN client is called SecureLink. What is the VPN client called?")]
MAX = 512  # what users get


class Spy:
    """Counts the pieces the backend produced (read or not), and tells when its producer has ended."""

    def __init__(self, model):
        self.produced = 0
        self.ended = threading.Event()
        inner = model._produce

        def produce(messages, params, cancel):
            self.ended.clear()
            try:
                for piece in inner(messages, params, cancel):
                    self.produced += 1
                    yield piece
            finally:
                self.ended.set()

        model._produce = produce


@pytest.fixture(scope="module", params=["llamacpp", pytest.param("transformers-cpu", marks=pytest.mark.slow)])
def model(request):
    if request.param == "llamacpp":
        m = load_chat_model(GenerationSettings())
    else:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from assistant.core.model_files import resolve_gguf
        from assistant.llm.transformers_4bit import Transformers4BitChatModel

        path = resolve_gguf(GenerationSettings().model)
        tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        loaded = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name)
        m = Transformers4BitChatModel.from_loaded(tokenizer, loaded, GenerationSettings())
    yield m
    m._produce = type(m)._produce.__get__(m)


def wait_free(model) -> None:
    """Block until the model is free: entering its gate succeeds (or ModelBusy after the configured wait)."""
    model.gate.leave(model.gate.enter())


def test_a_closed_stream_stops_generating_and_frees_the_model(model):
    spy = Spy(model)
    params = GenerationParams(max_tokens=MAX, temperature=0)
    stream = model.stream(LONG, params)
    assert next(stream)
    stream.close()  # the browser tab is closed
    assert spy.ended.wait(120)
    wait_free(model)
    assert spy.produced < MAX // 4, spy.produced  # it stopped right away, not at the token limit
    assert "SecureLink" in model.generate(SHORT, GenerationParams(max_tokens=16, temperature=0))


def test_a_reader_that_stops_reading_loses_the_model_to_the_next_request(model):
    spy = Spy(model)
    stalled = model.stream(LONG, GenerationParams(max_tokens=MAX, temperature=0))
    assert next(stalled)  # reads once, then neither reads nor closes (a handler stuck on a dead client)
    answer = model.generate(SHORT, GenerationParams(max_tokens=16, temperature=0))  # waits its turn, then runs
    assert "SecureLink" in answer
    assert spy.produced < MAX, spy.produced  # the stalled answer was stopped, not finished
    stalled.close()


def test_a_dropped_stream_frees_the_model(model):
    spy = Spy(model)
    stream = model.stream(LONG, GenerationParams(max_tokens=MAX, temperature=0))
    assert next(stream)
    del stream  # the request handler let go of it without closing it
    assert spy.ended.wait(120)
    wait_free(model)
    assert spy.produced < MAX // 4, spy.produced
