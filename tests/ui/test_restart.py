"""A restart of the real server process: it comes back with every document, user, draft and usage row, and a
question asked while it is down gets an immediate connection refusal (the client says "unavailable" at once),
never a hang."""

from __future__ import annotations

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


def _serve(config, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli.main", "--config", str(config), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 600  # an upper bound for loading on a busy machine, not a pass/fail decision
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)  # waiting for the server to come up; nothing is decided by it
    raise AssertionError("the server did not come up")


def _counts(data):
    with sqlite3.connect(data / "usage.sqlite") as usage, sqlite3.connect(data / "drafts.sqlite") as drafts:
        return usage.execute("SELECT COUNT(*) FROM answers").fetchone()[0], drafts.execute(
            "SELECT COUNT(*) FROM sections WHERE json_extract(data, '$.status') != 'pending'"
        ).fetchone()[0]


def test_the_server_comes_back_with_everything_and_is_refused_not_hanging_while_down(tmp_path):
    data = tmp_path / "data"
    config = tmp_path / "config.toml"
    shipped = (ROOT / "config.toml").read_text(encoding="utf-8")
    config.write_text(shipped.replace('data_dir = "data"', f'data_dir = "{data}"', 1), encoding="utf-8")
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
