"""Markdown loader (markdown-it-py): ATX/Setext headings become the heading path; markup is stripped, list items
keep their number or bullet (a procedure is shown as steps), and raw HTML is dropped: `<img onerror=…>` in a manual
must never reach evidence, the chat or the API (the HTML loader strips it the same way)."""

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
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


def _html_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "iframe"]):
        tag.decompose()
    return soup.get_text("\n")


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
    lists: list[list[int]] = []  # open lists: [next number] for an ordered one, [] for bullets
    marker = ""  # the marker of the list item whose first paragraph comes next
    for tok in tokens:
        if tok.type == "ordered_list_open":
            lists.append([int(tok.attrs.get("start", 1) or 1)])
        elif tok.type == "bullet_list_open":
            lists.append([])
        elif tok.type in ("ordered_list_close", "bullet_list_close"):
            lists.pop()
        elif tok.type == "list_item_open" and lists:
            if lists[-1]:
                marker = f"{lists[-1][0]}. "
                lists[-1][0] += 1
            else:
                marker = "- "
        elif tok.type == "html_block":  # its text stays, its markup and scripts go
            if text := normalize_text(_html_text(tok.content)):
                builder.text(text, 1)
        elif tok.type == "heading_open":
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
                builder.text(marker + text, 1)
                marker = ""
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
