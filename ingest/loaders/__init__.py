"""Loaders by file type; each returns a ParsedDocument or raises DocumentError with the reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.core.errors import DocumentError
from ingest.document import ParsedDocument
from ingest.loaders.base import LoadOptions

Loader = Callable[[Path, LoadOptions], ParsedDocument]


def _loader_for(suffix: str) -> Loader:
    # Imported lazily so that a parser process only loads what its file needs.
    if suffix == ".pdf":
        from ingest.loaders.pdf import load_pdf

        return load_pdf
    if suffix == ".docx":
        from ingest.loaders.docx import load_docx

        return load_docx
    if suffix in (".md", ".markdown"):
        from ingest.loaders.markdown import load_markdown

        return load_markdown
    if suffix in (".html", ".htm"):
        from ingest.loaders.html import load_html

        return load_html
    if suffix == ".txt":
        from ingest.loaders.textfile import load_text

        return load_text
    raise DocumentError(f"unsupported file type '{suffix or '(none)'}'")


# What a file's first bytes say it is, for a clear reason when its extension says otherwise.
MAGIC = {
    b"%PDF": "a PDF",
    b"PK\x03\x04": "a ZIP package (DOCX, XLSX or PPTX)",
    b"\xd0\xcf\x11\xe0": "a legacy Office file (.doc/.xls: save it as .docx)",
}
EXPECTED = {".pdf": "a PDF", ".docx": "a ZIP package (DOCX, XLSX or PPTX)"}


def _wrong_kind(path: Path) -> str | None:
    with open(path, "rb") as f:
        head = f.read(1024)
    found = next((kind for magic, kind in MAGIC.items() if head.startswith(magic)), None)
    expected = EXPECTED.get(path.suffix.lower())
    if found is None or expected is None or found == expected:
        return None
    if expected == "a PDF" and b"%PDF" in head:  # a PDF may start after some junk bytes
        return None
    return f"the file is {found}, not what its extension '{path.suffix}' says: wrong extension?"


def load_file(path: Path, opts: LoadOptions) -> ParsedDocument:
    loader = _loader_for(path.suffix.lower())
    if reason := _wrong_kind(path):
        raise DocumentError(reason)
    try:
        return loader(path, opts)
    except DocumentError:
        raise
    except MemoryError:
        raise
    except RecursionError as e:
        raise DocumentError("malformed file: nesting too deep to parse") from e
    except Exception as e:  # noqa: BLE001 - the reason is reported per file; the batch goes on
        raise DocumentError(f"cannot parse ({type(e).__name__}: {e})") from e


__all__ = ["LoadOptions", "load_file"]
