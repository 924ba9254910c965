"""Files whose parsing failed for a reason that stays true until the file or the parsing options change (encrypted,
no text anywhere, broken, wrong extension): remembered by content hash in `kb/failed-files.json`, so that an
unchanged re-run (a nightly job over a shared folder) does not parse, OCR and report them afresh at full cost.

Not remembered: time-outs, parser crashes and memory caps (a quieter machine or other limits may pass them), and
anything read with other options (passwords, OCR settings, installed OCR models) or by another parser version.
A plain JSON file, written whole and atomically: it is a cache, and losing it only costs one slower run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.core.files import write_text_atomic

UNCHANGED_FAILURE = "unchanged since it failed last time: not parsed again"
PARSER_VERSION = 7  # raise when a loader change may change a file's text: failures are retried, documents re-read
TRANSIENT = ("timed out", "parser crashed", "parser exited", "too large:")  # time, crashes, memory and size caps


def options_key(options: dict[str, Any]) -> str:
    data = json.dumps({"parser": PARSER_VERSION, **options}, sort_keys=True, default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


class FailureMemo:
    def __init__(self, path: Path, key: str):
        self.path = path
        self.key = key
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.entries: dict[str, dict[str, str]] = data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            self.entries = {}

    def known(self, source: str, digest: str) -> str | None:
        """The reason this exact file failed last time with these options; None if it should be parsed."""
        entry = self.entries.get(source)
        if entry and entry.get("sha256") == digest and entry.get("key") == self.key:
            return entry.get("reason")
        return None

    def update(self, outcomes: Iterable[Any], digests: dict[str, str]) -> None:
        for o in outcomes:
            if o.status == "failed" and o.reason and o.path in digests and not o.reason.startswith(TRANSIENT):
                self.entries[o.path] = {"sha256": digests[o.path], "key": self.key, "reason": o.reason}
            elif o.status != "failed":
                self.entries.pop(o.path, None)

    def save(self) -> None:
        if self.path.parent.is_dir():
            write_text_atomic(self.path, json.dumps(self.entries, ensure_ascii=False, indent=1))
