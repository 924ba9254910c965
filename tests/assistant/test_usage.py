"""The usage log: one row per answer written in the background, feedback, privacy, retention, and failures
that never reach the user."""

import logging
import sqlite3
from datetime import UTC, datetime

import pytest
from usage_seed import QUESTION
from usage_seed import make_answer as answer

from assistant.analytics.usage import UsageLog
from assistant.core.config import UsageSettings
from assistant.core.errors import AssistantError


def test_an_answer_becomes_one_row_with_its_feedback(tmp_path):
    log = UsageLog(tmp_path / "usage.sqlite", UsageSettings())
    a = answer()
    log.record(a)
    row = log.get(a.id)
    assert row["question"] == QUESTION and row["outcome"] == "answered" and row["abstained"] == 0
    assert row["prompt_tokens"] == 900 and row["first_token_s"] == 6.5 and row["model"].startswith("SmolLM2")
    assert '"file": "it-helpdesk-guide.pdf"' in row["sources"] and row["cited"] == "[1]"
    log.feedback(a.id, "down", "the manual says 14 days, fine, but cite the page")
    row = log.get(a.id)
    assert row["feedback"] == "down" and row["feedback_comment"].startswith("the manual")
    with pytest.raises(AssistantError, match="no answer with id 'nope'"):
        log.feedback("nope", "up")
    with pytest.raises(AssistantError, match="'up' or 'down'"):
        log.feedback(a.id, "meh")
    log.close()


def test_changing_the_rating_keeps_the_comment_and_a_comment_keeps_the_rating(tmp_path):
    """Found in use: clicking 👎 again stored the rating and wiped the comment."""
    log = UsageLog(tmp_path / "usage.sqlite", UsageSettings())
    a = answer()
    log.record(a)
    log.feedback(a.id, "down", "cites the wrong page")
    log.feedback(a.id, "up")
    assert (log.get(a.id)["feedback"], log.get(a.id)["feedback_comment"]) == ("up", "cites the wrong page")
    log.feedback(a.id, None, "right page after all")
    assert (log.get(a.id)["feedback"], log.get(a.id)["feedback_comment"]) == ("up", "right page after all")
    with pytest.raises(AssistantError, match="rating, a comment"):
        log.feedback(a.id, None, None)
    log.close()


def test_privacy_option_keeps_question_and_answer_text_out_of_the_database(tmp_path):
    path = tmp_path / "usage.sqlite"
    log = UsageLog(path, UsageSettings(store_text=False))
    a = answer()
    log.record(a)
    log.flush()
    log.close()
    row = sqlite3.connect(path).execute("SELECT question, query, answer, sources, total_s FROM answers").fetchone()
    assert row[:3] == (None, None, None) and "Passwords expire" not in row[3] and row[4] == 7.0
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"password expires" not in raw and b"14 days" not in raw


def test_old_rows_are_deleted_by_retention(tmp_path):
    path = tmp_path / "usage.sqlite"
    log = UsageLog(path, UsageSettings(retention_days=30))
    old, new = answer(created=datetime(2020, 1, 1, tzinfo=UTC)), answer()
    log.record(old)
    log.record(new)
    log.close()
    UsageLog(path, UsageSettings(retention_days=30)).close()
    ids = {r[0] for r in sqlite3.connect(path).execute("SELECT id FROM answers")}
    assert ids == {new.id}


def test_a_failing_write_is_logged_not_raised(tmp_path, caplog):
    path = tmp_path / "usage.sqlite"
    log = UsageLog(path, UsageSettings())
    with sqlite3.connect(path) as conn:  # someone broke the table
        conn.execute("DROP TABLE answers")
        conn.execute("CREATE TABLE answers (id TEXT)")
    with caplog.at_level(logging.ERROR, logger="assistant.analytics.usage"):
        log.record(answer())  # returns at once, whatever happens in the writer
        log.flush()
    assert "could not write answer" in caplog.text
    log.close()


def test_a_log_written_by_an_earlier_version_gains_the_new_columns_and_keeps_its_rows(tmp_path):
    path = tmp_path / "usage.sqlite"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE answers (id TEXT PRIMARY KEY, created TEXT NOT NULL, user TEXT, question TEXT, query TEXT, "
        "language TEXT, outcome TEXT NOT NULL, abstained INTEGER NOT NULL, answer TEXT, sources TEXT NOT NULL, "
        "cited TEXT NOT NULL, relevance TEXT NOT NULL, withheld INTEGER NOT NULL DEFAULT 0, screened INTEGER NOT NULL "
        "DEFAULT 0, prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0, "
        "retrieval_s REAL, first_token_s REAL, first_text_s REAL, generation_s REAL, total_s REAL, backend TEXT, "
        "model TEXT, feedback TEXT, feedback_comment TEXT, feedback_at TEXT)"
    )
    old.execute("INSERT INTO answers (id, created, outcome, abstained, sources, cited, relevance) "
                "VALUES ('old1', '2026-01-01T00:00:00+00:00', 'quoted', 0, '[]', '[]', '{}')")  # fmt: skip
    old.commit()
    old.close()
    log = UsageLog(path, UsageSettings(retention_days=0))
    a = answer()
    a.timings |= {"first_evidence_s": 0.02}
    log.record(a)
    assert log.get("old1")["kind"] == "answer" and log.get("old1")["outcome"] == "quoted"
    assert log.get(a.id)["first_evidence_s"] == 0.02
    log.close()


@pytest.mark.slow
def test_a_crash_while_a_row_is_written_loses_only_that_row(tmp_path):
    import signal
    import sqlite3

    from tests.cli_runner import run_cli
    from tests.conftest import SAMPLES

    config = tmp_path / "c.toml"
    config.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n')
    assert run_cli(config, "ingest", str(SAMPLES / "remote-work-faq.md")).returncode == 0
    question = "在宅勤務は週何日までできますか？"  # Japanese: answered from the evidence, the model is not asked
    crashed = run_cli(config, "ask", question, env={"ASSISTANT_FAULTS__CRASH_AT": "usage.mid_write"})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    db = tmp_path / "data" / "usage.sqlite"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 0  # only the row being written is lost
    assert run_cli(config, "ask", question).returncode == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 1
