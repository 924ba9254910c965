"""Named crash points, for the tests that prove a crash loses nothing: a process whose settings name a point
(`[faults] crash_at`, or ASSISTANT_FAULTS__CRASH_AT for one run) kills itself with SIGKILL the moment it gets there,
exactly as `kill -9` or a power cut would, at a moment chosen by name instead of by timing. A hang point blocks
instead, for the time limits."""

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
    "parse.hang": "a parser process stops responding and never ends (the time limit must stop it)",
}
_armed: str | None = None


def arm(point: str | None) -> None:
    """Make this process die at `point` (None or "": at none)."""
    global _armed
    if point and point not in POINTS:
        raise ValueError(f"unknown crash point {point!r}; the points are: {', '.join(POINTS)}")
    _armed = point or None


def crash_point(point: str) -> None:
    if _armed == point:
        os.kill(os.getpid(), signal.SIGKILL)


def hang_point(point: str) -> None:
    """Block forever at `point` when armed: a stuck parser, without depending on how fast the machine is."""
    if _armed == point:
        threading.Event().wait()
