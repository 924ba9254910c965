"""`assistant ask` and `assistant chat` as staff use them, in a real subprocess on the sample manuals."""

import json
import re
import sqlite3
from pathlib import Path

import pytest
from cli_runner import run_cli as run

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "How many days before a password expires does the system remind you?"


def usage_rows(config: Path) -> dict[str, dict]:
    conn = sqlite3.connect(config.parent / "data" / "usage.sqlite")
    conn.row_factory = sqlite3.Row
    return {r["id"]: dict(r) for r in conn.execute("SELECT * FROM answers ORDER BY created, rowid")}


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("cli-qa")
    cfg = tmp / "config.toml"
    cfg.write_text(f'[paths]\ndata_dir = "{tmp / "data"}"\n', encoding="utf-8")  # otherwise as shipped
    res = run(cfg, "ingest", str(ROOT / "samples" / "manuals"), "--json")
    assert res.returncode == 0, res.stderr
    return cfg


def test_ask_streams_the_answer_then_its_sources(config):
    res = run(config, "ask", QUESTION)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "14 days" in out
    assert "Sources" in out and "it-helpdesk-guide.pdf, p.2" in out
    assert out.index("14 days") < out.index("Sources")
    # the answer is in the usage log, and staff can rate it by the id printed after it
    answer_id = re.search(r"answer ([0-9a-f]{12})", out).group(1)
    fb = run(config, "feedback", answer_id, "up", "--comment", "right and cited")
    assert fb.returncode == 0, fb.stderr
    row = usage_rows(config)[answer_id]
    assert row["question"] == QUESTION and row["outcome"] == "answered" and row["feedback"] == "up"
    assert row["first_token_s"] > 0 and row["completion_tokens"] > 0
    bad = run(config, "feedback", "000000000000", "up")
    assert bad.returncode == 2 and "no answer with id" in bad.stderr


def test_ask_json_and_not_found(config):
    res = run(config, "ask", "What is the capital of France?", "--json")
    assert res.returncode == 0, res.stderr
    answer = json.loads(res.stdout)
    assert answer["abstained"] and answer["outcome"] == "not_found"
    assert answer["text"] == "The manuals do not cover this."
    assert answer["sources"] and answer["relevance"]["answerable"] is False
    shown = run(config, "ask", "What is the capital of France?")
    assert "Closest sources (none of them answers the question)" in shown.stdout


def test_ask_errors_are_one_line(config, tmp_path):
    res = run(config, "ask", "Where?", "--user", "mallory")
    assert res.returncode == 2 and "unknown user 'mallory'" in res.stderr and "Traceback" not in res.stderr
    empty = tmp_path / "empty.toml"
    empty.write_text(f'[paths]\ndata_dir = "{tmp_path / "nothing"}"\n', encoding="utf-8")
    res = run(empty, "ask", "Where?")
    assert res.returncode == 2 and "knowledge base is empty" in res.stderr


def test_chat_keeps_the_conversation_for_follow_ups(config):
    script = "What VPN client is installed on company laptops?\nWhat if it fails with error 809?\n/exit\n"
    res = run(config, "chat", "--user", "staff", stdin=script)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert out.count("Sources") == 2
    assert "searched for:" in out  # the follow-up was rewritten with the history before retrieval
    follow_up = out[out.index("searched for:") :]
    assert "vpn" in follow_up.splitlines()[0].lower()
    rows = [r for r in usage_rows(config).values() if r["user"] == "staff"]
    assert len(rows) == 2 and "vpn" in rows[1]["query"].lower()
