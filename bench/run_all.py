"""Run every benchmark, one after another, and write their figures to one Markdown file.

    .venv/bin/python bench/run_all.py                    # quick profile (~25 min on 2 cores), writes bench/LATEST.md
    .venv/bin/python bench/run_all.py --profile full     # the sizes bench/RESULTS.md was measured with (hours)
    .venv/bin/python bench/run_all.py --only generate retrieval --out /tmp/b.md

Each benchmark runs in its own process (its memory and threads are its own; one that fails does not stop the
rest) and compares itself with the raw engine or stock recipe underneath in that same process. The file holds
a summary table of the headline figures, then each benchmark's own tables as it printed them. Benchmarks are
not tests: nothing here passes or fails on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# name -> (what it compares, quick arguments, full arguments)
BENCHES: dict[str, tuple[str, list[str], list[str]]] = {
    "ingest": ("our ingestion vs the stock LangChain PDF recipe, sample manuals", [], ["--repeat", "3"]),
    "retrieval": (
        "dense / BM25 / hybrid vs the stock LangChain recipe on JSQuAD, XQuAD-en and the E-Manual sections",
        ["--max-questions", "300"],
        [],
    ),
    "embedders": ("passages/s of USE, MiniLM and e5-small through our backends and e5 raw", ["--passages", "32"], []),
    "scale": (
        "query latency and memory by knowledge-base size, vs exact search",
        ["--sizes", "10000", "100000", "--queries", "100"],
        [],
    ),  # fmt: skip
    "generate": ("our llama.cpp backend vs raw llama-cpp-python, and end-to-end ask", ["--runs", "2"], ["--runs", "5"]),
    "quantization": ("re-quantised Q4_0 vs the shipped Q4_1: speed and answer quality", ["--runs", "1"], []),
    "abstention": ("the 'not found' rule on answerable vs held-out questions", ["--max-questions", "100"], []),
    "drafting": ("a draft of the sample briefs vs the model writing each section unchecked", [], []),
    "blocks": ("lists, procedures and tables shown whole vs the evidence without block expansion",
               ["--per-half", "60"], []),
    "passages": ("explanation, comparison, list, table, multi-part, figure and acronym questions on the Japanese "
                 "government PDFs: key facts shown, labels, whole sentences", ["--part", "report"], []),
    "conversations": ("the same answer after a conversation as alone; 'not found' after other turns",
                      ["--pairs", "60"], []),
    "summaries": ("the shipped model's checked summaries: shown vs withheld, and what they add", ["--per-half", "15"],
                  []),
    "short_answers": ("the model's short answers, base vs the shipped adapter: shown, right, abstention, time",
                      ["--per-half", "30"], []),
    "load": ("the HTTP API under 1/5/20 concurrent staff vs in-process ask", ["--users", "1", "5", "--per-user", "3"],
             []),
    "pdf_engines": ("PDFium vs pypdf text, page by page, on the sample manuals and the dev PDFs", [], []),
    "ocr": ("OCR of the sample manuals' pages as image-only scans: character error rate and pages/s", [], []),
}


def run_one(name: str, args: list[str], log_dir: Path) -> dict:
    summary_file = log_dir / f"{name}.summary.json"
    cmd = [sys.executable, str(ROOT / "bench" / f"{name}.py"), *args]
    print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
    t = time.perf_counter()
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_SUMMARY": str(summary_file)},
    )
    wall = time.perf_counter() - t
    print(proc.stdout[-3000:], flush=True)
    if proc.returncode:
        print(proc.stderr[-3000:], file=sys.stderr, flush=True)
    figures = json.loads(summary_file.read_text(encoding="utf-8")) if summary_file.is_file() else {}
    return {
        "name": name,
        "command": " ".join(["python", f"bench/{name}.py", *args]),
        "returncode": proc.returncode,
        "wall_s": wall,
        "figures": figures,
        "output": proc.stdout.strip(),
        "error": proc.stderr.strip()[-2000:] if proc.returncode else "",
    }


def markdown(results: list[dict], profile: str) -> str:
    cpu = os.cpu_count()
    lines = [
        "# Latest benchmark run",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, profile `{profile}`, {platform.machine()}, {cpu} CPUs, "
        f"Python {platform.python_version()}. Written by `bench/run_all.py`; the reasoned figures and the "
        "choices they led to are in [RESULTS.md](RESULTS.md). Timings on a shared machine are noisy: compare "
        "rows of this run with each other, not with another run.",
        "",
        "| benchmark | compares | headline figures | status | wall s |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        figures = "<br>".join(f"{k}: **{v}**" for k, v in r["figures"].items()) or "–"
        status = "ok" if r["returncode"] == 0 else f"failed ({r['returncode']})"
        lines.append(f"| `{r['name']}` | {BENCHES[r['name']][0]} | {figures} | {status} | {r['wall_s']:.0f} |")
    for r in results:
        lines += ["", f"## {r['name']}", "", f"`{r['command']}`", "", r["output"] or "(no output)"]
        if r["error"]:
            lines += ["", "```", r["error"], "```"]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=["quick", "full"], default="quick")
    ap.add_argument("--only", nargs="+", choices=list(BENCHES), help="run only these benchmarks")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "LATEST.md")
    args = ap.parse_args()
    names = args.only or list(BENCHES)
    with tempfile.TemporaryDirectory() as tmp:
        results = [run_one(n, BENCHES[n][1 if args.profile == "quick" else 2], Path(tmp)) for n in names]
    args.out.write_text(markdown(results, args.profile), encoding="utf-8")
    print(f"written to {args.out}")
    return 1 if any(r["returncode"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
