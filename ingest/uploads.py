"""Files an admin uploads through the web app: checked, given a safe name, kept under data_dir/uploads.

The browser's file name is untrusted: only its last component is used, reduced to letters (any script), digits
and `._-`, so nothing can land outside the uploads folder or hide as a dot-file. A file of the same name is
replaced only by the same name (that is how an admin updates a manual); the ingestion then sees it as changed.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath

from assistant.core.config import Settings
from assistant.core.errors import DocumentError
from assistant.core.files import write_bytes_atomic

_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


def shown(filename: str) -> str:
    """A browser's file name as an error message may quote it: printable, and cut short when it is very long."""
    text = "".join(c if c.isprintable() else "?" for c in filename)
    return text if len(text) <= 80 else text[:60] + "…" + text[-15:]


def check_count(settings: Settings, count: int) -> None:
    limit = settings.server.upload_max_files
    if count > limit:
        raise DocumentError(
            f"{count} files in one upload; at most {limit} (server.upload_max_files). Upload them in parts, or "
            "load a folder with `assistant ingest FOLDER`. Nothing was stored."
        )


def safe_name(filename: str) -> str:
    """The last path component of a browser's file name, without anything that could escape or mislead."""
    base = PureWindowsPath(PurePosixPath(filename).name).name  # "..\\..\\x.pdf" and "../x.pdf" alike
    base = unicodedata.normalize("NFKC", base).strip()
    stem, dot, ext = base.rpartition(".")
    stem = _UNSAFE.sub("_", stem).strip("._")
    ext = _UNSAFE.sub("", ext)
    if not dot or not stem or not ext:
        raise DocumentError(f"'{shown(filename)}': a file name with an extension is needed")
    return f"{stem[:120]}.{ext.lower()}"


def check_upload(settings: Settings, filename: str, size: int) -> str:
    """The safe name of an acceptable upload; a clear error for a wrong type or a file too large."""
    name = safe_name(filename)
    ext = "." + name.rpartition(".")[2]
    if ext not in settings.ingest.extensions:
        accepted = ", ".join(settings.ingest.extensions)
        raise DocumentError(f"'{shown(filename)}': {ext} files are not accepted (accepted: {accepted})")
    limit = min(settings.server.upload_max_mb, settings.ingest.max_file_mb)
    if size > limit * 1024 * 1024:
        raise DocumentError(f"'{shown(filename)}' is {size / 1048576:.1f} MB; the limit is {limit} MB")
    if size == 0:
        raise DocumentError(f"'{shown(filename)}' is empty")
    return name


def store_upload(settings: Settings, filename: str, data: bytes) -> Path:
    """Write an accepted upload atomically under the uploads folder; returns where it lies."""
    name = check_upload(settings, filename, len(data))
    folder = settings.paths.uploads_dir
    folder.mkdir(parents=True, exist_ok=True)
    target = (folder / name).resolve()
    if target.parent != folder.resolve():  # belt and braces: safe_name already forbids separators
        raise DocumentError(f"'{shown(filename)}': not a plain file name")
    write_bytes_atomic(target, data)
    return target
