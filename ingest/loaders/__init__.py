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


def load_file(path: Path, opts: LoadOptions) -> ParsedDocument:
    loader = _loader_for(path.suffix.lower())
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
