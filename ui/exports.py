"""Files a user downloads (draft DOCX/Markdown, the usage report): one folder per user and kind under the system's
temporary directory, emptied before each new export. Manual text never piles up there: a user keeps at most the
last export of each kind, and the folder goes with the process (`clear_all`)."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

ROOT_NAME = "document-assistant-exports"


def root() -> Path:
    return Path(tempfile.gettempdir()) / ROOT_NAME


def fresh_folder(user: str | None, kind: str) -> Path:
    """An empty folder for `user`'s next export of `kind` (the previous one is deleted)."""
    key = hashlib.sha256((user or "").encode()).hexdigest()[:16]  # a user name is not a safe path component
    folder = root() / key / kind
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o700)
    return folder


def clear_all() -> None:
    """Remove every export (at server stop)."""
    shutil.rmtree(root(), ignore_errors=True)
