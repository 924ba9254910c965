"""Each format loads with its pages, headings and (Japanese) text intact."""

from pathlib import Path

import pytest
from conftest import SAMPLES, SHARED_DEV

from assistant.core.errors import DocumentError
from ingest.loaders import LoadOptions, load_file


def _text(doc) -> str:
    return "\n".join(b.text for b in doc.blocks)


def test_english_pdf_pages_headings_and_no_running_header():
    doc = load_file(SAMPLES / "it-helpdesk-guide.pdf", LoadOptions())
    assert doc.format == "pdf" and doc.paginated and doc.pages >= 3
    assert doc.title == "IT Help Desk Guide"
    text = _text(doc)
    assert "IT Help Desk Guide (Rev. 3.2)" not in text  # the running header
    assert "Page 1 of" not in text
    lock = next(b for b in doc.blocks if "5 wrong password attempts" in b.text)
    assert lock.heading_path[-2:] == ["2. Accounts and Passwords", "2.2 Locked account"]
    assert lock.page == 2


def test_japanese_pdf_text_layer_and_articles_as_headings():
    doc = load_file(SAMPLES / "expense-travel-policy.pdf", LoadOptions())
    daily = next(b for b in doc.blocks if "日帰り出張は1日2,000円" in b.text)
    assert daily.heading_path[-1] == "第10条 日当"
    assert daily.heading_path[-2] == "第3章 国内出張"
    # Wrapped lines inside a sentence are joined (no line break in the middle of a word).
    assert "30日以内に経費精算システム「KEIHI」で申請しなければならない。" in _text(doc)


def test_docx_headings_tables_and_metadata():
    doc = load_file(SAMPLES / "onboarding-handbook.docx", LoadOptions())
    assert doc.format == "docx" and doc.title == "New Employee Onboarding Handbook"
    row = next(b for b in doc.blocks if "Laptop and account set-up" in b.text)
    assert "11:30 | Laptop and account set-up | IT room, Building B, 2nd floor" in row.text
    assert row.heading_path == ["New Employee Onboarding Handbook", "Your First Day"]


def test_docx_list_paragraphs_stay_list_items():
    doc = load_file(SAMPLES / "onboarding-handbook.docx", LoadOptions())
    text = _text(doc)
    assert "• Information security basics (e-learning, 60 minutes)" in text
    assert "• Compliance and anti-bribery" in text


def test_markdown_headings_and_japanese():
    doc = load_file(SAMPLES / "remote-work-faq.md", LoadOptions())
    block = next(b for b in doc.blocks if "月額3,000円" in b.text)
    assert block.heading_path == ["在宅勤務 よくある質問(FAQ)", "費用", "在宅勤務手当はありますか?"]
    assert "**" not in _text(doc) and "#" not in _text(doc)


def test_html_drops_scripts_and_navigation(tmp_path: Path):
    page = tmp_path / "policy.html"
    page.write_text(
        "<html><head><meta charset='utf-8'><title>Visitor Policy</title><script>var x = 'secret';</script></head>"
        "<body><nav>Home | About</nav><h1>Visitors</h1><p>Visitors sign in at <b>reception</b>.</p>"
        "<h2>Badges</h2><ul><li>Wear the badge visibly.</li><li>Return it when leaving.</li></ul>"
        "<table><tr><th>Area</th><th>Escort</th></tr><tr><td>Factory</td><td>Required</td></tr></table>"
        "<h2>来訪者</h2><p>受付で記帳してください。</p></body></html>",
        encoding="utf-8",
    )
    doc = load_file(page, LoadOptions())
    text = _text(doc)
    assert doc.title == "Visitor Policy"
    assert "secret" not in text and "Home | About" not in text
    assert "Visitors sign in at reception." in text
    assert "Factory | Required" in text
    assert next(b for b in doc.blocks if "Return it" in b.text).heading_path == ["Visitors", "Badges"]
    assert next(b for b in doc.blocks if "記帳" in b.text).heading_path == ["Visitors", "来訪者"]


def test_text_in_shift_jis_with_form_feed_pages(tmp_path: Path):
    f = tmp_path / "memo.txt"
    f.write_bytes("第1章 総則\n社内規程の概要です。\f第2章 申請\n申請は三日前までに行う。".encode("cp932"))
    doc = load_file(f, LoadOptions())
    assert doc.metadata["encoding"] == "cp932"
    assert doc.pages == 2
    block = next(b for b in doc.blocks if "三日前" in b.text)
    assert block.page == 2 and block.heading_path == ["第2章 申請"]


def test_unsupported_and_empty_inputs_raise_clear_errors(tmp_path: Path):
    with pytest.raises(DocumentError, match="unsupported file type '.xls'"):
        load_file(tmp_path / "a.xls", LoadOptions())
    empty = tmp_path / "empty.md"
    empty.write_text("   \n")
    with pytest.raises(DocumentError, match="no text"):
        load_file(empty, LoadOptions())
    fake = tmp_path / "fake.docx"
    fake.write_text("not a zip")
    with pytest.raises(DocumentError, match="not a valid DOCX"):
        load_file(fake, LoadOptions())


@pytest.mark.skipif(not (SHARED_DEV / "pdf-samples").is_dir(), reason="../shared/data/dev is not present")
def test_real_docx_files_with_tables_page_breaks_and_only_images():
    folder = SHARED_DEV / "pdf-samples" / "python-docx-test-files"
    breaks = load_file(folder / "par-rendered-page-breaks.docx", LoadOptions())
    assert breaks.pages > 1 and breaks.paginated
    assert max(b.page for b in breaks.blocks) > 1
    with pytest.raises(DocumentError, match="only 1 image|only .* image"):
        load_file(folder / "having-images.docx", LoadOptions())
    cells = load_file(folder / "tbl-cell-access.docx", LoadOptions())
    assert any(" | " in b.text for b in cells.blocks)


def test_markdown_drops_raw_html_keeps_its_text_and_list_markers(tmp_path):
    from ingest.loaders.base import LoadOptions
    from ingest.loaders.markdown import load_markdown

    md = tmp_path / "hostile.md"
    md.write_text(
        "# Badges\n\nShow your badge <img src=x onerror=alert(1)> at the gate.\n\n"
        "<div onclick=\"steal()\">Visitors sign in at reception.<script>alert(2)</script></div>\n\n"
        "1. Take a badge.\n2. Wear it visibly.\n\n- Red: contractors\n- Blue: auditors\n",
        encoding="utf-8",
    )
    doc = load_markdown(md, LoadOptions())
    text = "\n".join(b.text for b in doc.blocks)
    assert "onerror" not in text and "<img" not in text and "alert(" not in text and "steal" not in text
    assert "Show your badge  at the gate." in text or "Show your badge at the gate." in text
    assert "Visitors sign in at reception." in text
    assert "1. Take a badge.\n2. Wear it visibly." in text and "- Red: contractors" in text


def test_marked_headings_are_siblings_and_a_run_of_bullets_is_a_list(tmp_path: Path):
    """「■ 設問E」 follows 「■ 設問D」 instead of nesting under it (the path grew through whole documents), and
    「● 清潔な作業着の着用」「● 手洗いの励行」 one after another are items under their heading, not headings."""
    from pdf_factory import text_pdf

    page = ("4 カット\n■ 設問D\n包丁は毎日消毒する。\n■ 設問E\nまな板は用途ごとに分ける。\n【管理ポイント】\n"
            "● 清潔な作業着の着用\n● 手洗いの励行\n5 加工\n加工品は10°C以下で保管する。")
    for path in (tmp_path / "notes.txt", text_pdf(tmp_path / "notes.pdf", [page], japanese=True)):
        if path.suffix == ".txt":
            path.write_text(page, encoding="utf-8")
        doc = load_file(path, LoadOptions())
        board = next(b for b in doc.blocks if "まな板" in b.text)
        assert board.heading_path == ["4 カット", "■ 設問E"], path
        items = next(b for b in doc.blocks if "手洗いの励行" in b.text)
        assert items.heading_path == ["4 カット", "■ 設問E", "【管理ポイント】"], path  # 【】 first came under ■
        assert "● 清潔な作業着の着用" in items.text and "● 手洗いの励行" in items.text
        stored = next(b for b in doc.blocks if "10°C以下" in b.text)
        assert stored.heading_path == ["5 加工"], path  # a numbered heading closes the marked ones
