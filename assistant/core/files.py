"""Writing files whole or not at all, and durably: readers (a browser, the next `eval`, a serving process reading
the knowledge base) never see half of a file, and a power cut never leaves a pointer to data that is not on disk."""

from __future__ import annotations

import os
from pathlib import Path


def write_text_atomic(path: Path, text: str, durable: bool = False) -> None:
    """Write beside the target, then rename over it (atomic on one file system); `durable` fsyncs file and folder."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        if durable:
            f.flush()
            os.fsync(f.fileno())
    tmp.replace(path)
    if durable:
        fsync_dir(path.parent)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Bytes whole or not at all, durably (an uploaded manual is the only copy the admin may have handed in)."""
    tmp = path.with_name("." + path.name + ".part")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())
