"""The benchmark entry point runs a benchmark in its own process and writes its figures as Markdown."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_run_all_writes_the_summary_table_and_the_tables_of_each_benchmark(tmp_path):
    out = tmp_path / "LATEST.md"
    res = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run_all.py"), "--only", "ingest", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    md = out.read_text(encoding="utf-8")
    summary_row = next(line for line in md.splitlines() if line.startswith("| `ingest` |"))
    assert "manuals: ours pages/s: **" in summary_row and "| ok |" in summary_row
    assert "| manuals | ours | 5 | 0 |" in md and "| manuals | stock LangChain |" in md  # the bench's own table


@pytest.mark.slow
def test_short_load_with_a_reingestion_running_has_no_errors():
    """The CI form of the load benchmark: 5 staff through the HTTP API while an admin re-ingests in a loop; any
    error other than an explicit "busy" fails it (the exit code says so). Times are reported, never judged."""
    res = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--users", "5", "--per-user", "1", "--reingest",
         "--port", "7889"],
        capture_output=True, text=True, timeout=900,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    row = next(line for line in res.stdout.splitlines() if line.startswith("| 5 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    ingestions, failed = re.fullmatch(r"(\d+) \((\d+)\)", cells[-1]).groups()
    assert cells[9] == "0" and int(ingestions) >= 1 and failed == "0", row  # errors; the admin's ingestions
