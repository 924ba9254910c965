"""DOCX loader (python-docx): headings from paragraph styles, tables as rows, pages from page breaks."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from assistant.core.errors import DocumentError
from ingest.document import ParsedDocument
from ingest.loaders.base import BlockBuilder, LoadOptions
from ingest.normalize import normalize_text

_HEADING_STYLE = re.compile(r"^(?:heading|見出し)\s*(\d+)$", re.IGNORECASE)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _list_marker(paragraph, style: str, number: int) -> tuple[str, int]:  # noqa: ANN001
    """("• " or "N. ", the list's next number) for a list paragraph, so a list stays a list in the text (the
    evidence brings a lead-in's items); ("", 0) for any other paragraph. Word's numbering itself is not resolved:
    "List Number" styles count from 1, any other list (bullet style or numbering properties) is bulleted."""
    name = style.lower()
    numbered = name.startswith("list number")
    listed = numbered or name.startswith(("list bullet", "list paragraph")) or (
        paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None)
    if not listed or not paragraph.text.strip():
        return "", 0
    if numbered:
        return f"{number + 1}. ", number + 1
    return "• ", 0


def _heading_level(style_name: str) -> int | None:
    name = (style_name or "").strip()
    if name.lower() == "title" or name == "表題":
        return 0
    if m := _HEADING_STYLE.match(name):
        # Title is the root; "Heading 1" sits under it (and becomes the root when there is no title,
        # since BlockBuilder clamps levels to the current depth).
        return int(m.group(1))
    return None


def _page_breaks(paragraph) -> int:  # noqa: ANN001 - python-docx types
    """Page breaks inside a paragraph: Word's rendered breaks, or explicit ones when never rendered."""
    rendered = len(paragraph.rendered_page_breaks)
    if rendered:
        return rendered
    return sum(1 for br in paragraph._p.iter(f"{_W}br") if br.get(f"{_W}type") == "page")


def load_docx(path: Path, opts: LoadOptions) -> ParsedDocument:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    if not zipfile.is_zipfile(path):
        raise DocumentError("not a valid DOCX file (not a ZIP package: password-protected, legacy .doc or damaged)")
    try:
        document = docx.Document(str(path))
    except Exception as e:  # noqa: BLE001 - python-docx raises many kinds for a damaged package
        if "allocate" in str(e).lower():  # a part that inflates past the parser's memory cap (a zip bomb)
            raise DocumentError(f"too large: a part of the DOCX inflates past the memory limit ({e})") from e
        raise DocumentError(f"damaged DOCX: {e}") from e

    builder = BlockBuilder()
    page = 1
    number = 0  # the item number of a numbered list going on
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = normalize_text(item.text)
            style = item.style.name if item.style is not None else ""
            level = _heading_level(style)
            if item.paragraph_format.page_break_before:
                page += 1
            marker, number = _list_marker(item, style, number)
            if level is not None and text:
                builder.heading(text, level)
            elif text:
                builder.text(marker + text, page)
            page += _page_breaks(item)
        elif isinstance(item, Table):
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:
                    t = normalize_text(cell.text).replace("\n", " ")
                    if t and (not cells or cells[-1] != t):  # merged cells repeat their text
                        cells.append(t)
                if cells:
                    builder.text(" | ".join(cells), page)
            builder.flush()
    builder.flush()

    props = document.core_properties
    meta = {k: str(v) for k, v in {"title": props.title, "author": props.author, "created": props.created}.items() if v}
    if not builder.blocks:
        if len(document.inline_shapes):
            raise DocumentError(f"no text: the document holds only {len(document.inline_shapes)} image(s), OCR needed")
        raise DocumentError("no text found in the document")
    return ParsedDocument(
        format="docx",
        pages=page,
        paginated=page > 1,
        blocks=builder.blocks,
        title=props.title or None,
        metadata=meta,
    )
