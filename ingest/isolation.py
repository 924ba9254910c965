"""Parse each file in its own short-lived process, with a time limit and an address-space cap.

A malformed or huge file can make a parser loop or eat memory; in a child process it is killed or
hits its cap and the batch goes on. `concurrent.futures` cannot kill one stuck task, hence this small
hand-written pool. Children are forked from a clean fork server (no torch, no threads) that has the
loaders pre-imported, so starting one costs milliseconds. Results travel as JSON over a pipe.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import resource
import signal
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

from assistant.core import faults
from assistant.core.errors import DocumentError
from ingest.document import ParsedDocument
from ingest.loaders import LoadOptions, load_file


@dataclass
class ParseResult:
    path: Path
    document: ParsedDocument | None
    error: str | None
    seconds: float


def _child(path: str, opts: dict, memory_mb: int, conn: Connection, fault: str | None = None) -> None:
    os.setpgid(0, 0)  # its own process group: a time-out kills Tesseract with it, not just the parser
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    faults.arm(fault)
    faults.hang_point("parse.hang")
    try:
        doc = load_file(Path(path), LoadOptions(**opts))
        payload = {"ok": doc.to_json()}
    except DocumentError as e:
        payload = {"error": str(e)}
    except MemoryError:
        payload = {"error": f"too large: parsing needed more than the {memory_mb} MB memory limit"}
    except Exception as e:  # noqa: BLE001 - reported as this file's failure
        payload = {"error": f"cannot parse ({type(e).__name__}: {e})"}
    try:
        conn.send_bytes(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    except MemoryError:
        conn.send_bytes(b'{"error": "too large: the extracted text exceeds the memory limit"}')
    finally:
        conn.close()


_CONTEXT: mp.context.BaseContext | None = None


def _context() -> mp.context.BaseContext:
    global _CONTEXT
    if _CONTEXT is None:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["ingest.isolation", "ingest.loaders.pdf", "ingest.loaders.docx", "ingest.ocr"])
        _CONTEXT = ctx
    return _CONTEXT


def parse_files(
    paths: Iterable[Path],
    opts: LoadOptions,
    *,
    workers: int,
    timeout_s: float,
    memory_mb: int,
    fault: str | None = None,
) -> Iterator[ParseResult]:
    """Yield one ParseResult per path, in completion order, with at most `workers` parsers running."""
    ctx = _context()
    todo = list(paths)
    opts_json = asdict(opts)
    running: dict[Connection, tuple[Path, mp.process.BaseProcess, float]] = {}
    try:
        while todo or running:
            while todo and len(running) < workers:
                path = todo.pop(0)
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(str(path), opts_json, memory_mb, send, fault), daemon=True)
                proc.start()
                send.close()
                running[recv] = (path, proc, time.monotonic())
            ready = wait(list(running), timeout=0.2)
            for conn in ready:
                path, proc, started = running.pop(conn)  # type: ignore[index]
                yield _collect(conn, path, proc, started, memory_mb)
            now = time.monotonic()
            for conn, (path, proc, started) in list(running.items()):
                # A parser that finished while the caller was busy embedding is collected, not timed out.
                if now - started > timeout_s and not conn.poll():
                    _kill(proc)
                    conn.close()
                    del running[conn]
                    yield ParseResult(
                        path, None, f"timed out after {timeout_s:.0f} s (too large or malformed)", now - started
                    )
    finally:
        for conn, (_, proc, _) in running.items():
            _kill(proc)
            conn.close()


def _kill(proc: mp.process.BaseProcess) -> None:
    """The parser and whatever it started (Tesseract) are one process group."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.join()


def _collect(conn: Connection, path: Path, proc: mp.process.BaseProcess, started: float, memory_mb: int) -> ParseResult:
    try:
        payload = json.loads(conn.recv_bytes().decode("utf-8"))
    except (EOFError, OSError):
        proc.join()
        code = proc.exitcode
        if code == -signal.SIGABRT:  # PDFium aborts the process when an allocation fails
            reason = (f"parser crashed (signal 6: it aborted, most often when the {memory_mb} MB memory limit ran out "
                      "inflating a compressed stream or a huge image)")
        elif code is not None and code < 0:
            reason = f"parser crashed (signal {-code}; possibly over the {memory_mb} MB memory limit)"
        else:
            reason = f"parser exited with code {code} (possibly over the {memory_mb} MB memory limit)"
        return ParseResult(path, None, reason, time.monotonic() - started)
    finally:
        conn.close()
    proc.join()
    seconds = time.monotonic() - started
    if "ok" in payload:
        return ParseResult(path, ParsedDocument.from_json(payload["ok"]), None, seconds)
    return ParseResult(path, None, payload["error"], seconds)
