"""Headline figures of one benchmark run, for `bench/run_all.py`'s summary table.

A benchmark calls `record(...)` with its few figures that matter (and the anchor they are compared with);
when run by run_all (which sets BENCH_SUMMARY to a file path) they are written there as JSON, otherwise
this does nothing and the benchmark only prints its own tables.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ENV = "BENCH_SUMMARY"


def record(**figures: object) -> None:
    target = os.environ.get(ENV)
    if not target:
        return
    path = Path(target)
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data.update(figures)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
