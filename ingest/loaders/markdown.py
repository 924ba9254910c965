"""Markdown loader (markdown-it-py): ATX/Setext headings become the heading path; markup is stripped."""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from assistant.core.errors import DocumentError
from ingest.document import ParsedDocument
from ingest.loaders.base import BlockBuilder, LoadOptions
from ingest.loaders.textfile import decode_bytes
from ingest.normalize import normalize_text


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


def _strip_front_matter(text: str) -> str:
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            return text[end + 4 :]
    return text


def load_markdown(path: Path, opts: LoadOptions) -> ParsedDocument:
    raw, _ = decode_bytes(path.read_bytes())
    tokens = MarkdownIt("commonmark").enable("table").parse(_strip_front_matter(raw))
    builder = BlockBuilder()
    title: str | None = None
    heading_level: int | None = None
    row: list[str] = []
    in_cell = False
    for tok in tokens:
        if tok.type == "heading_open":
            heading_level = int(tok.tag[1]) - 1
        elif tok.type == "heading_close":
            heading_level = None
        elif tok.type == "inline":
            text = normalize_text(_inline_text(tok))
            if heading_level is not None:
                title = title or text
                builder.heading(text, heading_level)
            elif in_cell:
                row.append(text)
            elif text:
                builder.text(text, 1)
        elif tok.type in ("fence", "code_block"):
            builder.text(tok.content.rstrip("\n"), 1)
        elif tok.type in ("th_open", "td_open", "th_close", "td_close"):
            in_cell = tok.type.endswith("_open")
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close":
            if any(row):
                builder.text(" | ".join(row), 1)
            row = []
    builder.flush()
    if not builder.blocks:
        raise DocumentError("the file has no text")
    return ParsedDocument(format="markdown", pages=1, paginated=False, blocks=builder.blocks, title=title)
