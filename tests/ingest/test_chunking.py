"""Chunks: sized in embedding tokens, split at sentence ends, inside one heading, mapped to pages, stable ids."""

from conftest import SAMPLES

from ingest.chunking import Chunker
from ingest.document import Block, ParsedDocument
from ingest.loaders import LoadOptions, load_file


def _doc(blocks):
    return ParsedDocument(format="pdf", pages=max(b.page for b in blocks), paginated=True, blocks=blocks)


def test_chunks_fit_the_token_budget_and_end_at_japanese_sentence_ends(embedder):
    sentence = "作動油は二千運転時間ごとに交換し、フィルターは五百運転時間ごとに点検する。"
    doc = _doc([Block(sentence * 30, 1, ["第6章 保守"])])
    chunks = Chunker(embedder.count_tokens, 60, 10).chunk(doc, "k")
    assert len(chunks) > 3
    assert all(c.n_tokens <= 60 for c in chunks)
    assert all(c.text.endswith("。") for c in chunks)
    assert all(c.heading_path == ["第6章 保守"] for c in chunks)


def test_no_chunk_straddles_two_headings_and_pages_are_tracked(embedder):
    doc = _doc(
        [
            Block("Passwords must be at least 12 characters long.", 1, ["Accounts", "Password rules"]),
            Block("Passwords expire every 180 days.", 2, ["Accounts", "Password rules"]),
            Block("After 5 wrong attempts the account is locked.", 2, ["Accounts", "Locked account"]),
        ]
    )
    chunks = Chunker(embedder.count_tokens, 200, 20).chunk(doc, "k")
    assert [c.heading_path[-1] for c in chunks] == ["Password rules", "Locked account"]
    assert (chunks[0].page_start, chunks[0].page_end) == (1, 2)
    assert (chunks[1].page_start, chunks[1].page_end) == (2, 2)
    assert chunks[0].embed_text.startswith("Accounts > Password rules\n")


def test_chunk_ids_are_stable_and_unique(embedder):
    doc = load_file(SAMPLES / "press-machine-safety-manual.pdf", LoadOptions())
    chunker = Chunker(embedder.count_tokens, 120, 20)
    first = chunker.chunk(doc, "doc1")
    again = chunker.chunk(doc, "doc1")
    other = chunker.chunk(doc, "doc2")
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert len({c.chunk_id for c in first}) == len(first)
    assert not {c.chunk_id for c in first} & {c.chunk_id for c in other}


def test_every_chunk_of_a_real_manual_keeps_file_page_and_heading(embedder):
    doc = load_file(SAMPLES / "it-helpdesk-guide.pdf", LoadOptions())
    chunks = Chunker(embedder.count_tokens, 200, 30).chunk(doc, "k")
    assert all(1 <= c.page_start <= c.page_end <= doc.pages for c in chunks)
    vpn = next(c for c in chunks if "error 809" in c.text)
    assert vpn.heading_path[-1] == "3. Remote Access (VPN)"
    # All body text survives chunking (modulo overlap): each block's first sentence is in some chunk.
    for block in doc.blocks:
        head = block.text.split(". ")[0][:60]
        assert any(head in c.text for c in chunks), head
