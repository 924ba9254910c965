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


def test_a_table_split_over_chunks_repeats_its_header_row(embedder, tmp_path):
    """A DOCX table longer than one chunk: every chunk holding its rows starts with the column names."""
    import docx

    document = docx.Document()
    document.add_heading("Torque table", 1)
    table = document.add_table(rows=1, cols=3)
    for cell, name in zip(table.rows[0].cells, ["Bolt", "Torque (N·m)", "Check interval"], strict=True):
        cell.text = name
    for i in range(40):
        row = table.add_row().cells
        row[0].text, row[1].text, row[2].text = f"M{8 + i}", str(20 + 5 * i), f"{100 * (i + 1)} hours"
    document.add_paragraph("Retighten every bolt after the first 50 hours.")
    path = tmp_path / "torque.docx"
    document.save(path)
    chunks = Chunker(embedder.count_tokens, 80, 10).chunk(load_file(path, LoadOptions()), "k")
    with_rows = [c for c in chunks if " | " in c.text]
    assert len(with_rows) >= 3
    assert all(c.text.startswith("Bolt | Torque (N·m) | Check interval") for c in with_rows)
    assert any("M47 | 215 | 4000 hours" in c.text for c in with_rows)  # the last row is kept
    # Text before and after a table is not given the header.
    assert not any(c.text.startswith("Bolt |") and "Retighten" in c.text.split("\n")[0] for c in chunks)


def test_every_chunk_is_mapped_to_the_page_its_text_starts_on(embedder):
    """LangChain reports start_index -1 for some overlapping chunks; those once landed on the section's first page."""
    blocks = [
        Block("\n".join(f"Line {i} of page {p} says torque {p * 10 + i} N·m." for i in range(12)), p, ["Torque"])
        for p in range(1, 7)
    ]
    chunks = Chunker(embedder.count_tokens, 60, 15).chunk(_doc(blocks), "k")
    assert len(chunks) >= 8
    for c in chunks:
        first_page = int(c.text.split(" of page ")[1].split()[0])
        last_page = int(c.text.rsplit(" of page ", 1)[1].split()[0])
        assert (c.page_start, c.page_end) == (first_page, last_page), c.text


def test_table_rows_are_never_cut_and_later_chunks_repeat_the_header(embedder):
    """A cleaning table's row holds four steps (「①…④乾拭きし…」): cut, its last steps landed in a chunk without the
    row's name, and the evidence showed half a procedure."""
    header = "項目 | 頻度 | 清掃・洗浄手順 | メンテナンス手順"
    steps = ("①整理整頓し、不要なものは捨てる。②薄めた中性洗剤等を浸した布巾で拭く。③清潔な布巾で水拭きする。"
             "④乾拭きし、必要に応じてアルコールを噴霧し、消毒する。")
    rows = [f"{name} | 毎週 | {steps} | パッキングの状況を確認する。" for name in ("冷蔵庫", "冷凍庫", "製氷機")]
    short = [f"棚{i} | 毎日 | 拭く | - " for i in range(8)]
    text = "清掃は次の表のとおり行う。\n" + "\n".join([header, *rows, *short]) + "\n以上のとおり記録する。"
    chunks = Chunker(embedder.count_tokens, 60, 10).chunk(_doc([Block(text, 3, ["清掃"])]), "k")
    for row in rows:
        holding = [c for c in chunks if row in c.text]
        assert len(holding) == 1 and embedder.count_tokens(row) > 60  # whole, though longer than a chunk
    table_chunks = [c for c in chunks if " | " in c.text]
    assert all(c.text.startswith(header) for c in table_chunks), [c.text[:40] for c in table_chunks]
    grouped = [c for c in table_chunks if "棚0" in c.text]
    assert len(grouped) == 1 and "棚1" in grouped[0].text  # short rows share a chunk
    assert all(c.page_start == 3 for c in chunks)
