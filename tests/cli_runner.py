"""Runs the `assistant` command line in a real subprocess, as an admin or a staff member would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(
    config: Path, *args: str, stdin: str = "", timeout: int = 900, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli.main", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        env={**os.environ, "COLUMNS": "120", **(env or {})},  # wide enough that tables do not wrap the asserted text
    )
