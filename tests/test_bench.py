"""The benchmark entry point runs a benchmark in its own process and writes its figures as Markdown."""

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
