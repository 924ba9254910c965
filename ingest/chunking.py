"""Split a parsed document into chunks sized in tokens of the embedding model.

LangChain's RecursiveCharacterTextSplitter does the splitting; this module feeds it one heading
section at a time (so a chunk never straddles two headings), adds Japanese sentence ends to its
separators, and maps every chunk back to the pages it came from. A chunk that starts inside a table
(rows "cell | cell", as the DOCX, HTML and Markdown loaders write them) gets the table's header row
first: a row of numbers means nothing without the names of its columns.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.document import Block, ParsedDocument

# Bumped when chunks or their keywords are made differently (2: table header rows, the document's title on chunks
# without headings, Japanese bigrams in the keywords): stored documents made another way are chunked again.
CHUNKER_VERSION = "2"

# Paragraph, line, then sentence ends (Japanese full-width first), then clauses and words.
SEPARATORS = ["\n\n", "\n", "。", "！", "？", ". ", "! ", "? ", "；", "; ", "、", ", ", " ", ""]


@dataclass
class Chunk:
    chunk_id: str
    ordinal: int
    text: str
    heading_path: list[str]
    page_start: int
    page_end: int
    n_tokens: int
    doc_title: str = ""

    @property
    def embed_text(self) -> str:
        """What the embedder and the keyword index see: the heading path, or the document's title where there is
        none, gives a small chunk the context it lacks on its own."""
        if self.heading_path:
            return " > ".join(self.heading_path) + "\n" + self.text
        if self.doc_title and not self.text.startswith(self.doc_title):
            return self.doc_title + "\n" + self.text
        return self.text


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _table_headers(text: str) -> list[tuple[int, int, str]]:
    """(start, end, header row) of every table in `text`: two or more consecutive lines with " | "."""
    tables: list[tuple[int, int, str]] = []
    pos = 0
    run: list[tuple[int, str]] = []
    for line in [*text.split("\n"), ""]:
        if " | " in line:
            run.append((pos, line))
        else:
            if len(run) >= 2:
                tables.append((run[0][0], run[-1][0] + len(run[-1][1]), run[0][1]))
            run = []
        pos += len(line) + 1
    return tables


def _with_header(body: str, start: int, tables: list[tuple[int, int, str]]) -> str:
    for t_start, t_end, header in tables:
        if t_start < start <= t_end and not body.startswith(header):
            return header + "\n" + body
    return body


class Chunker:
    def __init__(self, count_tokens: Callable[[str], int], chunk_tokens: int, overlap_tokens: int, min_chars: int = 20):
        self.count_tokens = count_tokens
        self.min_chars = min_chars
        self.splitter = RecursiveCharacterTextSplitter(
            chunk_size=chunk_tokens,
            chunk_overlap=overlap_tokens,
            length_function=count_tokens,
            separators=SEPARATORS,
            keep_separator="end",
            add_start_index=True,
            strip_whitespace=True,
        )

    def _sections(self, blocks: list[Block]) -> list[tuple[list[str], str, list[int], list[int]]]:
        """Consecutive blocks under one heading path -> (path, text, block start offsets, block pages)."""
        sections: list[tuple[list[str], str, list[int], list[int]]] = []
        for block in blocks:
            if sections and sections[-1][0] == block.heading_path:
                path, text, offsets, pages = sections[-1]
                offsets.append(len(text) + 2)
                pages.append(block.page)
                sections[-1] = (path, text + "\n\n" + block.text, offsets, pages)
            else:
                sections.append((block.heading_path, block.text, [0], [block.page]))
        return sections

    def chunk(self, doc: ParsedDocument, doc_key: str) -> list[Chunk]:
        chunks: list[Chunk] = []
        seen: dict[str, int] = {}
        for path, text, offsets, pages in self._sections(doc.blocks):
            tables = _table_headers(text)
            search_from = 0
            for piece in self.splitter.create_documents([text]):
                body = piece.page_content.strip()
                if not body:
                    continue
                # LangChain's start_index is -1 for some chunks (keep_separator="end" with overlap), which put
                # them on the section's first page: find each chunk after the previous one's start instead.
                start = text.find(body, search_from)
                if start < 0:
                    start = max(piece.metadata.get("start_index", 0), 0)
                search_from = start + 1
                first = pages[max(0, bisect.bisect_right(offsets, start) - 1)]
                last = pages[max(0, bisect.bisect_right(offsets, start + len(body) - 1) - 1)]
                body = _with_header(body, start, tables)
                if chunks and len(body) < self.min_chars and chunks[-1].heading_path == path:
                    # A stray fragment (a lone line after a split) belongs with the chunk before it.
                    prev = chunks[-1]
                    prev.text = prev.text + "\n" + body
                    prev.page_end = max(prev.page_end, last)
                    prev.n_tokens = self.count_tokens(prev.text)
                    continue
                chunks.append(
                    Chunk("", len(chunks), body, list(path), first, last, self.count_tokens(body), doc.title or "")
                )
        for ch in chunks:
            # Stable id: same document, same text (and same occurrence of it) -> same id on every re-ingest.
            h = text_hash(ch.embed_text)
            n = seen.get(h, 0)
            seen[h] = n + 1
            ch.chunk_id = hashlib.sha256(f"{doc_key}\x00{h}\x00{n}".encode()).hexdigest()[:24]
        return chunks
