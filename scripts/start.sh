#!/usr/bin/env bash
# Set up, build the knowledge base from the bundled sample manuals, then start a chat in the terminal.
# (Until the web UI exists, the terminal chat is the app.) Arguments are passed to `assistant chat`, e.g. --user staff.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/assistant ingest samples/manuals --prune
.venv/bin/assistant status --check
exec .venv/bin/assistant chat "$@"
