"""PDF pages as a reader sees them (issue 24): a real PDF made here, read by the real loader. A ruled table keeps
its rows and its header row over a page break, a wrapped cell stays one cell, two columns of prose are read column
by column, the running header and page numbers are not text, and an acronym's definition is learned."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.kb.defined_terms import find_definitions
from ingest.loaders import LoadOptions, load_file
from ingest.loaders.pdf_layout import _merge_columns, _merge_rows
from tests.pdf_factory import report_pdf


@pytest.fixture(scope="module")
def doc(tmp_path_factory):
    return load_file(report_pdf(tmp_path_factory.mktemp("layout") / "report.pdf"), LoadOptions())


def _text(doc, page: int) -> str:
    return "\n".join(b.text for b in doc.blocks if b.page == page)


def test_a_ruled_table_is_rows_of_cells_with_its_header_again_after_a_page_break(doc):
    first, second = _text(doc, 1), _text(doc, 2)
    assert "区分 | 支給額 | 支給日\n日帰り出張 | 1日2,500円 | 翌月25日" in first
    # The rows on the next page are under the same header, and a cell wrapped over two lines is one cell.
    assert second.startswith("区分 | 支給額 | 支給日\n海外出張(アジア) | 1日6,000円 | 帰国後の翌月25日"), second
    assert "表の金額はすべて税込である。" in second and " | " not in second.split("\n")[-1]


def test_two_columns_of_prose_are_read_column_by_column(doc):
    text = _text(doc, 3)
    assert "申請には勤務場所と連絡先を記載する。承認は勤怠システムで確認できる。" in text  # the left column, whole
    assert "紙の資料が必要な場合は、総務部に写しの作成を依頼し、使用後は総務部へ返却する。" in text
    assert text.index("緊急時は電話で申請してもよい。") < text.index("在宅勤務中の機密文書")
    assert " | " not in text


def test_running_header_and_page_numbers_are_not_text(doc):
    text = "\n".join(b.text for b in doc.blocks)
    assert "業務改善報告書" not in text and "- 2 -" not in text
    assert "総務部 業務改善報告書 2026年度版" in doc.metadata["removed_headers_footers"]


def test_the_acronym_definition_is_in_the_text_and_learned():
    assert ("ABR", "アドレス・ベース・レジストリ") in find_definitions("アドレス・ベース・レジストリ（ABR）の整備")
    assert ("ABR", "Address Base Registry") in find_definitions("We build the Address Base Registry (ABR) now.")
    assert ("LTV", "Loan to Value") in find_definitions("LTV（Loan to Value）は")
    assert find_definitions("ISO (2019) と 規格(JIS)、費用 (USD)") == set()


def test_the_table_finders_extra_columns_and_wrapped_rows_are_folded():
    # pdfplumber leaves empty columns beside a merged cell, and splits a cell that wraps where no rule is drawn.
    assert _merge_columns([["(1)", "", "国の政策"], ["(2)", "", "予算"]]) == [["(1)", "国の政策"], ["(2)", "予算"]]
    assert _merge_columns([["項目", "", "期限"], ["", "国の政策", "令和4年春"]]) == [
        ["項目", "期限"], ["国の政策", "令和4年春"]]
    rows = [["", "項目", "期限"], ["(1)", "国の政策", "令和4年春"], ["", "策定", ""]]
    assert _merge_rows(rows) == [["", "項目", "期限"], ["(1)", "国の政策策定", "令和4年春"]]


def test_without_the_table_finder_only_the_cell_gaps_make_rows(tmp_path: Path):
    doc = load_file(report_pdf(tmp_path / "report.pdf"), LoadOptions(pdf_tables=False))
    text = "\n".join(b.text for b in doc.blocks)
    assert "日帰り出張 | 1日2,500円 | 翌月25日" in text  # the wide gaps between cells of many lines make rows
    # On p.2 the wrapped cell breaks the run of gapped lines: a lone gapped line is not made a row that pairs its
    # pieces (a chart's 「2007年   40万人」 would read as one fact); the ruled table is what keeps these rows.
    assert "海外出張(アジア) | 1日6,000円" not in text


def test_a_footnote_names_the_term_its_mark_follows(doc):
    """「スマート精算¹」 and, at the page's foot, 「¹経費の申請から…社内システム。」: the note is found by its term and
    is a paragraph of its own, not the end of the text above it."""
    text = _text(doc, 5)
    assert "経費の精算はスマート精算1で行い" in text.replace("\n", ""), text
    note = "\n1（スマート精算）経費の申請から承認、振込までを一つの画面で行う社内システム。"
    assert note in text.replace("(", "（").replace(")", "）"), text
