"""The server under load: staff asking the sample questions through the real HTTP API on loopback.

    .venv/bin/python bench/load.py [--users 1 5 20] [--per-user 4] [--reingest]

Starts `assistant serve` as its own process on the sample manuals (data/bench-serve), then for each number of
concurrent users each asks `--per-user` questions from samples/questions.jsonl (Japanese and English mixed, as
staff do) through `POST /v1/chat/completions` with streaming. Reports, per load: time to first evidence (the first
content chunk) and to the full answer, p50/p95; answers per minute; busy rejections; other errors (must be 0);
and the server's peak RSS (with its parser processes), sampled every 0.2 s. The anchor, measured in the same run:
the same questions asked in this process through `Assistant.ask` with no HTTP, one at a time — what the server
adds on top of the engine underneath. With --reingest an admin re-ingests a changed copy of the manuals, again
and again, while the staff ask (each run a separate `assistant ingest` process, as an admin would start it); the
table then also counts those ingestions, and the server's memory is printed over time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import summary  # noqa: E402

KEY = "sk-da-demo-staff"


def pct(values: list[float], q: float) -> float:
    return sorted(values)[int(q * (len(values) - 1))] if values else float("nan")


def questions() -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "samples" / "questions.jsonl").read_text().splitlines() if line]
    return [r["question"] for r in rows if r.get("answer")]


def ask_streaming(client, question: str) -> dict:  # noqa: ANN001
    t0 = time.perf_counter()
    first = None
    with client.stream(
        "POST", "/v1/chat/completions", json={"stream": True, "messages": [{"role": "user", "content": question}]}
    ) as r:
        if r.status_code == 503:
            return {"busy": True}
        if r.status_code != 200:
            return {"error": f"HTTP {r.status_code}"}
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            data = json.loads(line[6:])
            if "error" in data:
                return {"busy": True} if data["error"]["type"] == "busy" else {"error": data["error"]["message"]}
            if first is None and data["choices"][0]["delta"].get("content"):
                first = time.perf_counter() - t0
    return {"first": first, "total": time.perf_counter() - t0}


MAX_EXTRA = 500  # questions per user while waiting for an ingestion to complete (a bound, never reached in practice)


def load(url: str, users: int, per_user: int, qs: list[str], until: threading.Event | None = None) -> dict:
    """`per_user` questions from each of `users`; with `until`, they go on asking until it is set (an admin's
    ingestion completed during the load), so the load always overlaps a whole ingestion however fast answers are."""
    import httpx

    results: list[dict] = []
    lock = threading.Lock()

    def user(i: int) -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=600) as client:
            j = 0
            while j < per_user or (until is not None and not until.is_set() and j < per_user + MAX_EXTRA):
                try:
                    r = ask_streaming(client, qs[(i * per_user + j) % len(qs)])
                except Exception as e:  # counted, not raised: the run goes on
                    r = {"error": f"{type(e).__name__}: {e}"}
                with lock:
                    results.append(r)
                j += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ok = [r for r in results if "total" in r]
    firsts = [r["first"] for r in ok if r["first"] is not None]
    totals = [r["total"] for r in ok]
    errors = [r["error"] for r in results if "error" in r]
    return {
        "users": users,
        "questions": len(results),
        "first evidence p50 s": statistics.median(firsts) if firsts else float("nan"),
        "first evidence p95 s": pct(firsts, 0.95),
        "full answer p50 s": statistics.median(totals) if totals else float("nan"),
        "full answer p95 s": pct(totals, 0.95),
        "full answer p99 s": pct(totals, 0.99),
        "answers per min": 60 * len(ok) / wall,
        "busy": sum(1 for r in results if r.get("busy")),
        "errors": len(errors),
        "first error": errors[0] if errors else "",
    }


class Reingest:
    """An admin re-ingesting a changed copy of the manuals in a loop while the load runs."""

    def __init__(self, cli: list[str], env: dict, folder: Path):
        self.cli, self.env, self.folder = cli, env, folder
        self.runs, self.failures = 0, 0
        self.stop = threading.Event()
        self.completed = threading.Event()  # set when an ingestion has finished (cleared per load level)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stop.is_set():
            note = self.folder / "notice.md"
            note.write_text(f"# Notice {self.runs}\n\nThe canteen menu changes every week ({self.runs}).\n")
            done = subprocess.run([*self.cli, "ingest", str(self.folder), "--prune", "--json"], env=self.env,
                                  capture_output=True)
            self.runs += 1
            self.failures += done.returncode != 0
            self.completed.set()

    def take(self) -> tuple[int, int]:
        runs, failures = self.runs, self.failures
        self.runs = self.failures = 0
        return runs, failures


class PeakRSS:
    """The server's resident memory with its children, sampled in a thread; the peak is kept."""

    def __init__(self, pid: int):
        import psutil

        self.proc = psutil.Process(pid)
        self.peak = 0
        self.series: list[tuple[float, int]] = []  # (seconds since start, RSS), every 5 s
        self.t0 = time.perf_counter()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        import psutil

        while not self.stop.wait(0.2):
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                now = sum(p.memory_info().rss for p in procs)
                self.peak = max(self.peak, now)
                t = time.perf_counter() - self.t0
                if not self.series or t - self.series[-1][0] >= 5:
                    self.series.append((t, now))
            except psutil.Error:
                pass

    def take(self) -> int:
        peak, self.peak = self.peak, 0
        return peak


def in_process(data_dir: Path, qs: list[str]) -> dict:
    from assistant.core.config import load_settings
    from assistant.services import Assistant

    settings = load_settings(ROOT / "config.toml", environ={})
    settings.paths.data_dir = data_dir
    settings.usage.enabled = False
    with Assistant(settings) as service:
        principal = service.principal("staff")
        service.model  # noqa: B018
        firsts, totals = [], []
        for q in qs:
            t0 = time.perf_counter()
            stream = service.ask(q, principal=principal)
            for i, _ in enumerate(stream):
                if i == 0:
                    firsts.append(time.perf_counter() - t0)
            totals.append(time.perf_counter() - t0)
    return {"first evidence p50 s": statistics.median(firsts), "full answer p50 s": statistics.median(totals)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, nargs="+", default=[1, 5, 20])
    ap.add_argument("--per-user", type=int, default=4)
    ap.add_argument("--port", type=int, default=7871)
    ap.add_argument("--reingest", action="store_true", help="an admin re-ingests a changed folder during the load")
    args = ap.parse_args()
    import httpx

    data_dir = ROOT / "data" / "bench-serve"
    shutil.rmtree(data_dir, ignore_errors=True)
    env = {**os.environ, "ASSISTANT_PATHS__DATA_DIR": str(data_dir)}
    cli = [str(ROOT / ".venv" / "bin" / "assistant")]
    subprocess.run([*cli, "ingest", str(ROOT / "samples" / "manuals"), "--json"], env=env, check=True,
                   capture_output=True)
    qs = questions()
    server = subprocess.Popen([*cli, "serve", "--port", str(args.port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{args.port}"
    try:
        deadline = time.monotonic() + 300
        while True:  # readiness: the health endpoint answers (bounded; a server that never starts fails the run)
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start: {server.stderr.read() if server.stderr else ''}")
            time.sleep(0.5)
        rss = PeakRSS(server.pid)
        admin = None
        if args.reingest:
            folder = data_dir / "admin-folder"
            shutil.copytree(ROOT / "samples" / "manuals", folder)
            admin = Reingest(cli, env, folder)
        rows = []
        for users in args.users:
            if admin is not None:
                admin.completed.clear()
            row = load(url, users, args.per_user, qs, admin.completed if admin is not None else None)
            row["peak RSS MiB"] = rss.take() / 2**20
            if admin is not None:
                row["ingestions (failed)"] = "{} ({})".format(*admin.take())
            rows.append(row)
            print(row, flush=True)
        rss.stop.set()
        if admin is not None:
            admin.stop.set()
            admin.thread.join(timeout=600)
        print("server memory over time: " + ", ".join(f"{t:.0f}s {m / 2**20:.0f}MiB" for t, m in rss.series))
    finally:
        server.terminate()
        server.wait(60)
    anchor = in_process(data_dir, qs[: args.per_user * 2])
    keys = [k for k in rows[0] if k != "first error"]
    print("| " + " | ".join(keys) + " |\n|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(f"{r[k]:.3f}" if isinstance(r[k], float) else str(r[k]) for k in keys) + " |")
    print(f"\nAnchor, in process without HTTP, one at a time ({args.per_user * 2} questions): first evidence p50 "
          f"{anchor['first evidence p50 s']:.3f} s, full answer p50 {anchor['full answer p50 s']:.2f} s")
    for r in rows:
        if r["first error"]:
            print(f"first error at {r['users']} users: {r['first error']}")
    summary.record(**{f"serve {r['users']} users: first evidence p50 s": round(r["first evidence p50 s"], 3)
                      for r in rows},
                   **{f"serve {r['users']} users: errors (busy)": f"{r['errors']} ({r['busy']})" for r in rows},
                   **{"serve peak RSS MiB": round(max(r["peak RSS MiB"] for r in rows))})
    failed_ingestions = any(not r.get("ingestions (failed)", "0 (0)").endswith("(0)") for r in rows)
    return 1 if any(r["errors"] for r in rows) or failed_ingestions else 0


if __name__ == "__main__":
    raise SystemExit(main())
