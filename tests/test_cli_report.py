"""`assistant report` and `assistant feedback-export` in a subprocess, on a seeded usage log."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from cli_runner import run_cli as run
from usage_seed import make_answer, seed

from assistant.analytics.evaluation import load_questions
from assistant.analytics.usage import UsageLog
from assistant.core.config import UsageSettings

NOW = datetime.now(UTC)


@pytest.fixture
def config(tmp_path):
    data = tmp_path / "data"
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[paths]\ndata_dir = "{data}"\n\n[cost]\nmachine_per_hour = 1.0\ncurrency = "JPY"\n')
    answers = [
        make_answer("VPN server?", created=NOW - timedelta(days=10)),
        make_answer("Lockout time?", created=NOW - timedelta(hours=2), file="it-helpdesk-guide.pdf", page=3),
        make_answer("Capital of France?", created=NOW - timedelta(hours=1), outcome="not_found"),
        make_answer("Parking for visitors?", created=NOW - timedelta(minutes=30), file="facilities.pdf", page=1),
    ]
    log = UsageLog(data / "usage.sqlite", UsageSettings())
    seed(log, answers, {1: ("up", None), 2: ("up", "right"), 3: ("down", "it is lot B, page 2")})
    log.close()
    return cfg


def test_report_writes_html_and_json_for_a_period(config, tmp_path):
    out = tmp_path / "poc" / "report.html"
    res = run(config, "report", "--since", "7d", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "3 questions from 1 users" in res.stdout and "answered from the manuals: 2 (67%)" in res.stdout
    assert "JPY" in res.stdout and f"report written to {out}" in res.stdout
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and '<div class="big" id="questions">3</div>' in html
    data = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert data["questions"] == 3 and data["feedback"]["down"] == 1 and data["cost"]["currency"] == "JPY"
    everything = json.loads(run(config, "report", "--json").stdout)
    assert everything["questions"] == 4
    ja = run(config, "report", "--lang", "ja", "--since", "2d", "--out", str(tmp_path / "ja.html"))
    assert ja.returncode == 0 and "運用コスト" in (tmp_path / "ja.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "last tuesday"], "not a date"),
        (["--since", "2026-11-02", "--until", "2026-11-01"], "--until must be after --since"),
        (["--lang", "fr"], "choose one of: en, ja"),
        (["--out", "report.json"], "give the HTML file"),
    ],
)
def test_report_rejects_bad_options_clearly(config, args, message):
    res = run(config, "report", *args)
    assert res.returncode == 2 and message in res.stderr and "Traceback" not in res.stderr


def test_feedback_export_is_a_question_file_for_eval(config, tmp_path):
    out = tmp_path / "next.jsonl"
    res = run(config, "feedback-export", str(out))
    assert res.returncode == 0, res.stderr
    assert "3 questions written" in res.stdout and "1 marked for review" in res.stdout
    rows = {q["question"]: q for q in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert rows["Lockout time?"]["file"] == "it-helpdesk-guide.pdf" and rows["Lockout time?"]["page"] == 3
    assert rows["Capital of France?"]["unanswerable"] is True  # "not found", confirmed as right
    down = rows["Parking for visitors?"]
    assert down["review"] is True and down["comment"] == "it is lot B, page 2"
    assert down["previous_sources"] == ["facilities.pdf p.1"] and "file" not in down
    qs = {q.question: q for q in load_questions(out)}  # the eval command reads it as it is
    assert qs["Lockout time?"].gold == ["it-helpdesk-guide.pdf#3"] and qs["Capital of France?"].unanswerable
    only_down = tmp_path / "down.jsonl"
    assert run(config, "feedback-export", str(only_down), "--rating", "down").returncode == 0
    assert len(only_down.read_text(encoding="utf-8").splitlines()) == 1


def test_feedback_export_without_stored_text_says_why(tmp_path):
    data = tmp_path / "data"
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[paths]\ndata_dir = "{data}"\n\n[usage]\nstore_text = false\n')
    log = UsageLog(data / "usage.sqlite", UsageSettings(store_text=False))
    seed(log, [make_answer()], {0: ("up", None)})
    log.close()
    res = run(cfg, "feedback-export", str(tmp_path / "q.jsonl"))
    assert res.returncode == 2 and "store_text = false" in res.stderr
    assert not (tmp_path / "q.jsonl").exists()
