"""Named crash points, for the tests that prove a crash loses nothing: a process whose settings name a point
(`[faults] crash_at`, or ASSISTANT_FAULTS__CRASH_AT for one run) kills itself with SIGKILL the moment it gets there,
exactly as `kill -9` or a power cut would, at a moment chosen by name instead of by timing. A hang point blocks
instead, for the time limits.

`POINT@N` dies the N-th time the process reaches POINT (a point reached once per file, for instance), which lets
the random soak (`pytest --soak N`) land anywhere in a run, not only at the first pass.
"""

from __future__ import annotations

import os
import signal
import threading

POINTS = {
    "ingest.after_parse": "a file is parsed, nothing of it written yet",
    "ingest.after_embed": "a file's chunks are embedded, not yet written",
    "kb.mid_write": "the first document is written into the new generation, more to come",
    "kb.before_switch": "the new generation is complete on disk, CURRENT still names the old one",
    "kb.after_switch": "CURRENT names the new generation, old generations not yet cleaned up",
    "usage.mid_write": "a usage row is being written, not yet committed",
    "drafts.mid_write": "a draft section is being written, not yet committed",
    "serve.loading": "the server's port is open but loading the knowledge base and model never finishes",
    "serve.cleanup": "after a stop signal, the server's clean-up never finishes",
    "ocr.hang": "Tesseract is started for a page and never returns (the file's time limit must stop it, and it)",
    "parse.hang": "a parser process stops responding and never ends (the time limit must stop it)",
    "tune.after_checkpoint": "`assistant tune` has written a checkpoint, training not finished",
}
_armed: str | None = None
_remaining = 0


def parse(spec: str) -> tuple[str, int]:
    """"kb.mid_write@3" -> ("kb.mid_write", 3); a clear error for an unknown point or a bad count."""
    point, _, count = spec.partition("@")
    if point not in POINTS:
        raise ValueError(f"unknown crash point {point!r}; the points are: {', '.join(POINTS)}")
    if count and (not count.isdigit() or int(count) < 1):
        raise ValueError(f"crash point {spec!r}: after '@' comes how many times the point is reached first (1, 2, …)")
    return point, int(count or 1)


def arm(spec: str | None) -> None:
    """Make this process die at `spec` (None or "": at none)."""
    global _armed, _remaining
    _armed, _remaining = parse(spec) if spec else (None, 0)


def reached(point: str) -> bool:
    """True (once) when the armed point is reached: for a fault a caller stages itself."""
    global _remaining
    if _armed != point:
        return False
    _remaining -= 1
    return _remaining == 0


def crash_point(point: str) -> None:
    if reached(point):
        os.kill(os.getpid(), signal.SIGKILL)


def hang_point(point: str) -> None:
    """Block forever at `point` when armed: a stuck parser, without depending on how fast the machine is."""
    if reached(point):
        threading.Event().wait()
