"""PDF loader (pypdf): page numbers kept, outline titles become headings, bad pages reported one by one."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, PdfReadError

from assistant.core.errors import DocumentError
from ingest.document import ParsedDocument
from ingest.loaders.base import BlockBuilder, LoadOptions, heuristic_heading_level
from ingest.normalize import garbled_share, normalize_text, remove_repeated_lines

logging.getLogger("pypdf").setLevel(logging.ERROR)


def _open(path: Path, passwords: list[str]) -> PdfReader:
    try:
        reader = PdfReader(str(path), strict=False)
    except (PdfReadError, ValueError, OSError, KeyError, TypeError, AssertionError) as e:
        raise DocumentError(f"broken PDF: {e}") from e
    if reader.is_encrypted:
        for pw in ["", *passwords]:
            try:
                if reader.decrypt(pw):
                    return reader
            except DependencyError as e:
                raise DocumentError(f"encrypted PDF needs the 'cryptography' package: {e}") from e
            except (PdfReadError, NotImplementedError, ValueError) as e:
                raise DocumentError(f"encrypted PDF with an unsupported scheme: {e}") from e
        raise DocumentError(
            "encrypted: the PDF needs a password (the empty one did not open it); "
            "give it with --password or remove the protection"
        )
    return reader


def _outline(reader: PdfReader) -> dict[int, list[tuple[str, int]]]:
    """page index -> [(title, level)] from the bookmarks; malformed outlines are ignored, not fatal."""
    out: dict[int, list[tuple[str, int]]] = {}

    def walk(items: list[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)
                title = normalize_text(str(item.title or ""))
            except Exception:  # noqa: BLE001 - broken destinations are common and harmless
                continue
            if page is not None and page >= 0 and title:
                out.setdefault(page, []).append((title, level))

    try:
        walk(reader.outline, 0)
    except Exception:  # noqa: BLE001
        return {}
    return out


def _has_images(page: Any) -> bool:
    try:
        resources = page.get("/Resources") or {}
        xobjects = resources.get("/XObject") or {}
        for obj in xobjects.values():
            sub = obj.get_object().get("/Subtype")
            if sub in ("/Image", "/Form"):
                return True
        data = page.get_contents()
        return bool(data is not None and b"BI" in data.get_data())
    except Exception:  # noqa: BLE001
        return False


def _metadata(reader: PdfReader) -> dict[str, str]:
    try:
        info = reader.metadata or {}
        return {k.lstrip("/").lower(): str(v) for k, v in info.items() if isinstance(v, str | int | float)}
    except Exception:  # noqa: BLE001 - unreadable metadata must not lose the text
        return {}


def load_pdf(path: Path, opts: LoadOptions) -> ParsedDocument:
    reader = _open(path, opts.passwords)
    try:
        n_pages = len(reader.pages)
    except Exception as e:  # noqa: BLE001
        raise DocumentError(f"broken PDF: cannot read the page tree ({e})") from e
    if n_pages == 0:
        raise DocumentError("broken PDF: it has no pages")

    warnings: list[str] = []
    texts: list[str] = []
    image_only = garbled = failed = 0
    for i in range(n_pages):
        try:
            page = reader.pages[i]
            raw = page.extract_text() or ""
        except Exception as e:  # noqa: BLE001 - one bad page must not lose the others
            warnings.append(f"page {i + 1}: text extraction failed ({type(e).__name__}: {e})")
            texts.append("")
            failed += 1
            continue
        if len(raw) > opts.max_page_chars:
            warnings.append(f"page {i + 1}: {len(raw)} characters, cut to {opts.max_page_chars}")
            raw = raw[: opts.max_page_chars]
        if not raw.strip():
            if _has_images(page):
                warnings.append(f"page {i + 1}: no text layer, OCR needed")
                image_only += 1
            texts.append("")
            continue
        share = garbled_share(raw)
        if share > opts.garbled_ratio:
            warnings.append(
                f"page {i + 1}: garbled text ({share:.0%} unreadable characters; a font without a Unicode map), skipped"
            )
            garbled += 1
            texts.append("")
            continue
        texts.append(normalize_text(raw))

    if not any(t.strip() for t in texts):
        if image_only:
            raise DocumentError(f"no text layer on any of its {n_pages} pages: scanned or image-only PDF, OCR needed")
        if garbled:
            raise DocumentError(
                f"garbled text on all {n_pages} pages: its fonts have no Unicode map, the text cannot be extracted"
            )
        if failed:
            raise DocumentError(f"text extraction failed on all {n_pages} pages: {warnings[0]}")
        raise DocumentError(f"no text found on any of its {n_pages} pages")

    texts, removed = remove_repeated_lines(texts, opts.header_footer_min_pages)
    outline = _outline(reader)
    builder = BlockBuilder()
    for i, text in enumerate(texts):
        entries = outline.get(i, [])
        stripped = {ln.strip() for ln in text.split("\n")}
        printed = [t for t in entries if any(ln.startswith(t[0]) for ln in stripped if ln)]
        for title, level in entries:  # bookmarks whose title is not printed on the page start it
            if (title, level) not in printed:
                builder.heading(title, level)
        pending = printed
        for line in text.split("\n"):
            match = next((t for t in pending if line.strip() == t[0] or line.strip().startswith(t[0])), None)
            if match is not None:
                # Apply the outline entries before this one on the page, then this one.
                for t in pending[: pending.index(match) + 1]:
                    builder.heading(t[0], t[1])
                pending = pending[pending.index(match) + 1 :]
                if rest := line.strip()[len(match[0]) :].strip():
                    builder.text(rest, i + 1)
                continue
            if not outline and (level := heuristic_heading_level(line)) is not None:
                builder.heading(line, level)
                continue
            builder.text(line, i + 1)
    builder.flush()

    meta = _metadata(reader)
    if removed:
        meta["removed_headers_footers"] = removed[:20]
    return ParsedDocument(
        format="pdf",
        pages=n_pages,
        paginated=True,
        blocks=builder.blocks,
        title=meta.get("title") if meta.get("title", "").strip().lower() not in ("", "untitled") else None,
        metadata=meta,
        warnings=warnings,
    )
