"""Plain-text loader: encoding detected (UTF-8, Shift_JIS/CP932, EUC-JP, UTF-16), form feeds as pages."""

from __future__ import annotations

from pathlib import Path

from assistant.core.errors import DocumentError
from ingest.document import ParsedDocument
from ingest.loaders.base import BlockBuilder, LoadOptions, heuristic_heading_level
from ingest.normalize import normalize_text
from ingest.script_check import garbled_reason

_ENCODINGS = ("utf-8-sig", "cp932", "euc_jp")


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode text of unknown encoding; Japanese legacy encodings are tried before a statistical guess."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data[:4096]:
        raise DocumentError("binary data, not text (NUL bytes found)")
    for enc in _ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DocumentError("cannot tell the text encoding")
    return str(best), best.encoding


def load_text(path: Path, opts: LoadOptions) -> ParsedDocument:
    text, encoding = decode_bytes(path.read_bytes())
    if reason := garbled_reason(text, opts.garbled_ratio):
        raise DocumentError(f"not readable text: {reason}")
    builder = BlockBuilder()
    pages = text.split("\f")
    for no, page_text in enumerate(pages, start=1):
        for line in normalize_text(page_text).split("\n"):
            if (level := heuristic_heading_level(line)) is not None:
                builder.heading(line, level)
            else:
                builder.text(line, no)
    builder.flush()
    if not builder.blocks:
        raise DocumentError("the file is empty")
    title = next((b.text.split("\n", 1)[0] for b in builder.blocks), None)
    return ParsedDocument(
        format="text",
        pages=len(pages),
        paginated=len(pages) > 1,
        blocks=builder.blocks,
        title=title[:120] if title else None,
        metadata={"encoding": encoding},
    )
