#!/usr/bin/env bash
# Set up, then build the knowledge base from the bundled sample manuals and show its status.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/assistant ingest samples/manuals --prune
.venv/bin/assistant status --check
