#!/usr/bin/env bash
# Set up, then run the whole test suite (pass extra pytest arguments, e.g. -m "not slow").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/python -m pytest -q "$@"
