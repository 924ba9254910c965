"""Split a parsed document into chunks sized in tokens of the embedding model.

LangChain's RecursiveCharacterTextSplitter does the splitting; this module feeds it one heading
section at a time (so a chunk never straddles two headings), adds Japanese sentence ends to its
separators, and maps every chunk back to the pages it came from. A table (rows "cell | cell", as the
loaders write them) is chunked by whole rows: a row is never cut (its procedure steps or its deadline would land in
another chunk, 「①整理整頓し…」 apart from 「④乾拭きし…」), rows are grouped up to the chunk size, and every chunk of a
table after its first starts with the table's header row: a row of numbers means nothing without the names of its
columns.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.document import Block, ParsedDocument

# Bumped when chunks or their keywords are made differently (2: table header rows, the document's title on chunks
# without headings, Japanese bigrams in the keywords; 3: whole table rows): stored documents made another way are
# chunked again.
CHUNKER_VERSION = "3"
LONG_ROW_CHUNKS = 6  # a table row longer than this many chunks is cut after all (a table that is really prose)

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


def _table_runs(text: str, long: Callable[[str], bool]) -> list[tuple[int, int, list[tuple[int, str]]]]:
    """(start, end, rows) of every table in `text`: two or more consecutive lines with " | ", or one `long` line
    (a row the splitter would cut); rows are (offset, line)."""
    tables: list[tuple[int, int, list[tuple[int, str]]]] = []
    pos = 0
    run: list[tuple[int, str]] = []
    for line in [*text.split("\n"), ""]:
        if " | " in line:
            run.append((pos, line))
        else:
            if len(run) >= 2 or (run and long(run[0][1])):
                tables.append((run[0][0], run[-1][0] + len(run[-1][1]), run))
            run = []
        pos += len(line) + 1
    return tables


class Chunker:
    def __init__(self, count_tokens: Callable[[str], int], chunk_tokens: int, overlap_tokens: int, min_chars: int = 20):
        self.count_tokens = count_tokens
        self.chunk_tokens = chunk_tokens
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

    def _pieces(self, text: str) -> list[tuple[int, str, str]]:
        """(offset, text, table header or "") of the pieces of one section: prose through the splitter, tables by
        whole rows."""
        out: list[tuple[int, str, str]] = []
        pos = 0
        long = lambda line: self.count_tokens(line) > self.chunk_tokens  # noqa: E731
        for t_start, t_end, rows in [*_table_runs(text, long), (len(text), len(text), [])]:
            prose = text[pos:t_start]
            search_from = 0
            for piece in self.splitter.create_documents([prose]) if prose.strip() else []:
                body = piece.page_content.strip()
                if not body:
                    continue
                # LangChain's start_index is -1 for some chunks (keep_separator="end" with overlap), which put
                # them on the section's first page: find each chunk after the previous one's start instead.
                start = prose.find(body, search_from)
                if start < 0:
                    start = max(piece.metadata.get("start_index", 0), 0)
                search_from = start + 1
                out.append((pos + start, body, ""))
            if rows:
                out.extend(self._table_pieces(rows))
            pos = t_end
        return out

    def _table_pieces(self, rows: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
        """Rows grouped up to the chunk size, never cut (but for a "row" of many chunks' length)."""
        size = self.chunk_tokens
        header = rows[0][1]
        out: list[tuple[int, str, str]] = []
        group: list[tuple[int, str]] = []
        tokens = 0
        for offset, line in rows:
            n = self.count_tokens(line)
            if group and tokens + n > size and group != rows[:1]:  # the header row stays with a row
                out.append((group[0][0], "\n".join(r for _, r in group), header))
                group, tokens = [], 0
            if n > LONG_ROW_CHUNKS * size:
                search_from = 0
                for piece in self.splitter.split_text(line):
                    start = max(line.find(piece, search_from), 0)
                    search_from = start + 1
                    out.append((offset + start, piece, header))
                continue
            group.append((offset, line))
            tokens += n
        if group:
            out.append((group[0][0], "\n".join(r for _, r in group), header))
        return out

    def chunk(self, doc: ParsedDocument, doc_key: str) -> list[Chunk]:
        chunks: list[Chunk] = []
        seen: dict[str, int] = {}
        for path, text, offsets, pages in self._sections(doc.blocks):
            for start, body, header in self._pieces(text):
                first = pages[max(0, bisect.bisect_right(offsets, start) - 1)]
                last = pages[max(0, bisect.bisect_right(offsets, start + len(body) - 1) - 1)]
                if header and not body.startswith(header):
                    body = header + "\n" + body
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
