"""A full disk during ingestion (and under the usage log, at the end): a clear error, the previous knowledge base
untouched, nothing half-written left,
and the next run (with space again) completes. The disk is a real small file system: a tmpfs of a few MB mounted
for the test (this needs root, which the CI machine has; elsewhere the test is skipped, saying so)."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from assistant.core.errors import KnowledgeBaseError
from assistant.kb import KnowledgeBase
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(mount: Path, leave_kb: int) -> Path:
    """Take all free space but `leave_kb`."""
    filler = mount / "filler"
    filler.unlink(missing_ok=True)
    out = subprocess.run(["df", "-k", "--output=avail", str(mount)], capture_output=True, text=True, check=True)
    avail = int(out.stdout.split()[-1])
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, avail - leave_kb) * 1024)
    return filler


@pytest.mark.parametrize("leave_kb", [60, 250, 450])  # full at the copy of the live generation, later, at the end
def test_a_full_disk_stops_ingestion_cleanly_and_keeps_the_previous_knowledge_base(
    small_disk, make_ingestor, settings, leave_kb
):
    settings.paths.data_dir = small_disk / "data"
    assert make_ingestor().run([SAMPLES / "remote-work-faq.md"]).counts["ingested"] == 1
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    base_gen, base_counts = kb.generation, kb.counts()
    kb.close()

    filler = _fill(small_disk, leave_kb)
    with pytest.raises(KnowledgeBaseError, match="disk .* is full.*nothing was changed"):
        make_ingestor().run([SAMPLES])
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    assert kb.generation == base_gen and kb.counts() == base_counts and kb.verify() == []
    kb.close()
    assert sorted(p.name for p in (settings.paths.kb_dir / "generations").iterdir()) == [base_gen]

    filler.unlink()  # space again: the next run completes
    report = make_ingestor().run([SAMPLES])
    assert report.counts["failed"] == 0
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    assert kb.counts()["documents"] == 5 and kb.verify() == []
    kb.close()


def test_a_full_disk_while_logging_answers_loses_only_those_rows_and_says_so(small_disk, caplog):
    """The usage log on the same small disk: answering goes on, each row that cannot be written is counted and
    named in one clear log line (no traceback), every earlier row stays, and logging resumes once there is room."""
    import logging
    import sqlite3

    from usage_seed import make_answer

    from assistant.analytics.usage import UsageLog
    from assistant.core.config import UsageSettings

    path = small_disk / "usage.sqlite"
    log = UsageLog(path, UsageSettings())
    kept = make_answer()
    log.record(kept)
    log.flush()
    filler = _fill(small_disk, leave_kb=0)
    with caplog.at_level(logging.ERROR, logger="assistant.analytics.usage"):
        for _ in range(5):  # each with 64 KiB of question text: no row fits in the pages the file already has
            log.record(make_answer("出張の日当について " * 6000))
        log.flush()
    assert log.unrecorded == 5
    assert f"the disk holding {path} is full" in caplog.text and "Traceback" not in caplog.text
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert [r[0] for r in conn.execute("SELECT id FROM answers")] == [kept.id]

    filler.unlink()
    later = make_answer()
    log.record(later)
    log.flush()
    assert log.get(later.id) is not None and log.unrecorded == 5
    log.close()
