"""HTML loader (BeautifulSoup): h1-h6 become the heading path; scripts, styles and navigation are dropped."""

from __future__ import annotations

from pathlib import Path

from assistant.core.errors import DocumentError
from ingest.document import ParsedDocument
from ingest.loaders.base import BlockBuilder, LoadOptions
from ingest.normalize import normalize_text

_HEADINGS = {"h1": 0, "h2": 1, "h3": 2, "h4": 3, "h5": 4, "h6": 5}
_BLOCKS = {"p", "li", "pre", "tr", "blockquote", "dt", "dd", "figcaption", "caption", "address"}
_DROP = ["script", "style", "noscript", "template", "svg", "nav", "iframe", "form"]


def load_html(path: Path, opts: LoadOptions) -> ParsedDocument:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_bytes(), "html.parser")  # detects the charset from <meta> or the bytes
    for tag in soup(_DROP):
        tag.decompose()
    title_tag = soup.find("title")
    title = normalize_text(title_tag.get_text()) if title_tag else None
    body = soup.body or soup
    wanted = set(_HEADINGS) | _BLOCKS
    builder = BlockBuilder()
    for el in body.find_all(wanted):
        # An element inside another wanted block (a <p> in an <li>) is read with its container.
        if any(p.name in _BLOCKS for p in el.parents):
            continue
        if el.name in _HEADINGS:
            builder.heading(normalize_text(el.get_text(" ", strip=True)), _HEADINGS[el.name])
        elif el.name == "tr":
            cells = [normalize_text(c.get_text(" ", strip=True)) for c in el.find_all(["td", "th"])]
            if any(cells):
                builder.text(" | ".join(cells), 1)
        else:
            # Inline markup (<b>, <a>) must not add spaces; the source's own whitespace is kept and collapsed.
            text = normalize_text(el.get_text(""))
            if text:
                builder.text(text, 1)
    builder.flush()
    if not builder.blocks:
        # Markup without block elements (a bare <div> page): fall back to its visible text.
        text = normalize_text(body.get_text("\n", strip=True))
        for line in text.split("\n"):
            builder.text(line, 1)
        builder.flush()
    if not builder.blocks:
        raise DocumentError("the page has no visible text")
    return ParsedDocument(format="html", pages=1, paginated=False, blocks=builder.blocks, title=title or None)
