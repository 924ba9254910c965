"""The llama.cpp backend on the real shipped 4-bit model (SmolLM2-135M-Instruct, Q4_1 GGUF)."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant.core.config import GenerationSettings
from assistant.core.errors import ModelLoadError
from assistant.core.model_files import resolve_gguf
from assistant.llm import ChatMessage, GenerationParams, load_chat_model


@pytest.fixture(scope="module")
def model():
    return load_chat_model(GenerationSettings())


def test_rope_and_context_come_from_the_gguf_file(model):
    assert model.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert float(model.llm.metadata["llama.rope.freq_base"]) == 100000.0
    assert model.context_window == 2048


def test_streams_a_grounded_answer(model):
    messages = [
        ChatMessage("system", "Answer from the context only."),
        ChatMessage(
            "user", "Context: The VPN client is called SecureLink.\n\nQuestion: What is the VPN client called?"
        ),
    ]
    pieces = list(model.stream(messages, GenerationParams(max_tokens=24, temperature=0)))
    assert len(pieces) > 1  # streamed, not one block
    assert "SecureLink" in "".join(pieces)


def test_token_counting_uses_the_model_tokenizer(model):
    assert model.count_tokens("hello world") == 2
    assert model.count_tokens("経費精算") > 1


def test_concurrent_requests_do_not_interleave(model):
    params = GenerationParams(max_tokens=12, temperature=0)
    with ThreadPoolExecutor(3) as pool:  # .result() re-raises what a thread raised: no failure is swallowed
        futures = [pool.submit(model.generate, [ChatMessage("user", "Say the word apple.")], params) for _ in range(3)]
        results = [f.result() for f in futures]
    assert len(results) == 3 and results[0].strip()
    assert results[1] == results[0] and results[2] == results[0]  # same prompt, greedy: identical, uninterleaved


def test_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(ModelLoadError, match="model file not found"):
        resolve_gguf(str(tmp_path / "nope.gguf"))
    with pytest.raises(ModelLoadError, match="holds 0 .gguf files"):
        resolve_gguf(str(tmp_path))
    with pytest.raises(ModelLoadError, match="'not_a_model_pkg' is not installed"):
        resolve_gguf("pkg:not_a_model_pkg")


def test_gpu_backend_refuses_clearly_without_cuda(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ModelLoadError, match="needs a CUDA GPU"):
        load_chat_model(GenerationSettings(backend="transformers", model=str(tmp_path)))


def test_a_request_waiting_too_long_gets_a_clear_busy_message():
    from assistant.core.errors import ModelBusy

    m = load_chat_model(GenerationSettings(queue_timeout_s=0.2))
    params = GenerationParams(max_tokens=200, temperature=0)
    first = m.stream([ChatMessage("user", "Write a long story about a factory.")], params)
    next(first)  # the first request now holds the model
    with pytest.raises(ModelBusy, match="busy answering other questions"):
        next(m.stream([ChatMessage("user", "Hello?")], params))
    first.close()  # the first request ends (client gone): the model is free again
    assert m.generate([ChatMessage("user", "Say yes.")], GenerationParams(max_tokens=4, temperature=0))


def test_system_prompt_stays_cached_and_answers_do_not_depend_on_the_previous_request(model):
    system = ChatMessage("system", "You answer questions about the company's manuals. " * 12)
    params = GenerationParams(max_tokens=16, temperature=0.1)
    first = model.generate([system, ChatMessage("user", "The VPN client is SecureLink. Name it.")], params)
    model.generate([ChatMessage("user", "Say hello.")], params)  # another prompt in between, no system message
    model.generate([system, ChatMessage("user", "The lock lasts 30 minutes. How long?")], params)
    prefix_len = model.llm.n_tokens
    again = model.generate([system, ChatMessage("user", "The VPN client is SecureLink. Name it.")], params)
    assert again == first
    # After a request with the same system message, exactly that message's tokens were kept and reused.
    kept, _ = model._tokens([system], generation_prompt=False)
    assert model.llm.n_tokens > len(kept) and prefix_len > len(kept)
    assert list(model.llm.input_ids[: len(kept)]) == kept


def test_requantized_q4_0_copy_is_made_once_and_loads(tmp_path):
    from assistant.llm.requantize import requantized

    source = resolve_gguf(GenerationSettings().model)
    path = requantized(source, "q4_0", tmp_path)
    assert path.name.endswith(".Q4_0.gguf") and path.stat().st_size < source.stat().st_size
    stamp = path.stat().st_mtime_ns
    assert requantized(source, "q4_0", tmp_path) == path and path.stat().st_mtime_ns == stamp  # cached
    m = load_chat_model(GenerationSettings(requantize="q4_0"), tmp_path)
    assert m.model_path == path and int(m.llm.metadata["general.file_type"]) == 2  # MOSTLY_Q4_0
    assert m.generate([ChatMessage("user", "Say yes.")], GenerationParams(max_tokens=4, temperature=0))
    with pytest.raises(ModelLoadError, match="needs a folder"):
        load_chat_model(GenerationSettings(requantize="q4_0"))
