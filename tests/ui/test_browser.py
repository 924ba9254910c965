"""The web app driven in a real headless Chromium (Debian's package; Playwright with executable_path): what staff
and admins do, in Japanese and English. Screenshots of every view go to tests/artifacts/screenshots/."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.pdf_factory import text_pdf
from tests.ui.conftest import LOGINS

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
WAIT_MS = 300_000  # an upper bound for a step on a loaded machine, never a pass/fail decision by itself


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it where it can)")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def wait_text(page, selector: str, text: str) -> None:
    """Wait until the element's visible text holds `text` (Gradio re-renders tables and JSON wholesale)."""
    page.wait_for_function(
        "([s, t]) => { const e = document.querySelector(s); return !!e && e.innerText.includes(t); }",
        arg=[selector, text],
    )


def open_as(browser, web, user: str, lang: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="ja-JP" if lang == "ja" else "en-US")
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{web.url}/login?lang={lang}")
    page.screenshot(path=SHOTS / f"login-{lang}.png")
    page.fill("#user", user)
    page.fill("#password", LOGINS[user])
    page.click("#login-submit")
    page.wait_for_selector("#da-question textarea")
    page.wait_for_selector(f"#da-user:has-text('{user}')")  # the page has loaded who this is (and the tabs)
    return page


def ask(page, question: str) -> str:
    """Ask and wait until the answer is complete (the sources panel names a new answer), then its text."""
    meta = page.locator("#da-answer-meta")
    before = meta.get_attribute("data-answer-id") if meta.count() else None
    page.fill("#da-question textarea", question)
    page.click("#da-send")
    page.wait_for_function(
        "([before]) => { const m = document.querySelector('#da-answer-meta');"
        " return m && m.dataset.answerId !== before; }",
        arg=[before],
    )
    return page.locator("#da-chat .message-row").last.inner_text()


def test_staff_asks_in_japanese_sees_the_evidence_its_page_and_gives_feedback(browser, web):
    page = open_as(browser, web, "staff", "ja")
    assert page.locator("#da-tab-admin-button, button[role=tab]:has-text('文書管理')").count() == 0
    answer = ask(page, "日帰り出張の日当はいくらですか？")
    assert "マニュアルの記載" in answer and "2,000円" in answer and "[1]" in answer
    page.wait_for_selector("#da-sources mark:has-text('2,000円')")
    assert "expense-travel-policy.pdf" in page.inner_text("#da-sources")
    page.wait_for_selector("#da-preview img")  # the cited page, rendered, with the evidence highlighted
    page.wait_for_selector("#da-preview-note:has-text('黄色')")
    page.screenshot(path=SHOTS / "chat-ja.png", full_page=True)

    follow = ask(page, "海外出張の場合は？")
    assert "50米ドル" in follow

    page.click("#da-feedback")
    page.fill("#da-comment textarea", "海外の日当も分かって助かりました")
    page.click("#da-up")
    page.wait_for_selector("#da-feedback-note:has-text('記録しました')")
    with sqlite3.connect(web.settings.paths.usage_db) as conn:
        query = "SELECT feedback, feedback_comment FROM answers WHERE question = ?"
        rows = conn.execute(query, ("海外出張の場合は？",)).fetchall()
    assert ("up", "海外の日当も分かって助かりました") in rows

    page.click("#da-new")
    page.wait_for_function("() => document.querySelectorAll('#da-chat .message-row').length === 0")
    page.close()


def test_staff_cannot_open_the_admin_views(browser, web):
    page = open_as(browser, web, "staff", "en")
    tabs = page.get_by_role("tab").all_inner_texts()
    assert not any(name in tabs for name in ("Documents", "Usage", "Drafting")), tabs
    page.screenshot(path=SHOTS / "chat-en-staff.png", full_page=True)
    page.close()


def test_admin_uploads_a_pdf_sees_the_result_and_staff_can_ask_about_it(browser, web, tmp_path, monkeypatch):
    import threading

    from ui import library

    # Hold the ingestion after its last file (an event, not a delay) so the progress bar can be seen for sure.
    held, release = threading.Event(), threading.Event()
    file_done = library._Callbacks.file_done

    def holding(self, outcome):  # noqa: ANN001, ANN202
        file_done(self, outcome)
        held.set()
        assert release.wait(WAIT_MS / 1000)

    monkeypatch.setattr(library._Callbacks, "file_done", holding)
    pdf = text_pdf(
        tmp_path / "fire-drill-2026.pdf",
        ["Fire drill procedure. The autumn fire drill takes place on 14 October at 10:00. "
         "Everyone gathers at assembly point B in the north car park."],
    )
    admin = open_as(browser, web, "admin", "en")
    admin.get_by_role("tab", name="Documents").click()
    admin.set_input_files("#da-upload input[type=file]", str(pdf))
    admin.fill("#da-tags textarea, #da-tags input", "safety")
    admin.wait_for_selector("#da-upload :text('fire-drill-2026')")
    admin.click("#da-ingest")
    assert held.wait(WAIT_MS / 1000)
    admin.wait_for_selector("text=Ingesting fire-drill-2026.pdf")  # the progress bar, naming the file done
    admin.screenshot(path=SHOTS / "admin-progress-en.png", full_page=True)
    release.set()
    wait_text(admin, "#da-results", "ingested")
    assert "fire-drill-2026.pdf" in admin.inner_text("#da-results")
    wait_text(admin, "#da-documents", "fire-drill-2026.pdf")
    admin.screenshot(path=SHOTS / "admin-en.png", full_page=True)
    admin.click("#da-check")
    wait_text(admin, "#da-status-json", "problems")
    admin.close()

    staff = open_as(browser, web, "staff", "en")
    answer = ask(staff, "Where do we gather during the fire drill?")
    assert "assembly point B" in answer
    assert "fire-drill-2026.pdf" in staff.inner_text("#da-sources")
    staff.screenshot(path=SHOTS / "chat-en.png", full_page=True)
    staff.close()


@pytest.mark.parametrize("lang, tab, show", [("ja", "利用状況", "表示"), ("en", "Usage", "Show")])
def test_the_usage_page_shows_the_report_with_its_charts(browser, web, lang, tab, show):
    page = open_as(browser, web, "admin", lang)
    page.get_by_role("tab", name=tab).click()
    page.get_by_role("button", name=show, exact=True).click()
    report = page.locator("#da-report")
    report.locator("svg").first.wait_for()
    assert report.locator("svg").count() >= 2
    # The whole report is in the page's own scroll: no frame, no inner scroll bar.
    assert page.locator("#da-usage iframe").count() == 0
    assert page.evaluate("() => { const e = document.querySelector('#da-report');"
                         " return e.scrollHeight <= e.clientHeight + 1; }")
    text = report.inner_text()
    assert "e-0" not in text and ("$" in text)
    if lang == "ja":
        assert "hosted" not in text and "skipped" not in text, text
    page.screenshot(path=SHOTS / f"usage-{lang}.png", full_page=True)
    page.get_by_role("tab", name="文書管理" if lang == "ja" else "Documents").click()
    page.screenshot(path=SHOTS / f"admin-{lang}.png", full_page=True)
    page.close()


def test_writer_drafts_a_manual_edits_a_section_and_downloads_the_docx(browser, web, tmp_path):
    import docx

    page = open_as(browser, web, "writer", "ja")
    tabs = page.get_by_role("tab").all_inner_texts()
    assert "マニュアル作成" in tabs and "文書管理" not in tabs, tabs
    page.get_by_role("tab", name="マニュアル作成").click()
    page.fill("#da-draft-title textarea", "新入社員向け 出張と経費精算の手引き")
    page.fill("#da-draft-purpose textarea", "出張の申請から経費精算までの手順と規程")
    page.click("#da-draft-propose")
    page.wait_for_function("() => document.querySelector('#da-draft-outline textarea').value.includes('国内出張')")
    outline = page.input_value("#da-draft-outline textarea")
    page.fill("#da-draft-outline textarea", outline + "\n海外赴任者の住宅手当")  # the writer adds a section
    page.click("#da-draft-build")
    wait_text(page, "#da-draft-message", "完了")
    view = page.locator("#da-draft-view").inner_text()
    assert "日帰り出張は1日2,000円" in view and "expense-travel-policy.pdf p.2" in view
    assert "要入力" in view  # the added section: the manuals say nothing about it
    page.screenshot(path=SHOTS / "drafting-ja.png", full_page=True)

    # the writer edits the last section by hand; the review checks it against the page it cites
    sections = outline.count("\n") + 2
    page.fill("#da-draft-no input", str(sections))
    page.click("#da-draft-load")
    page.wait_for_function("() => document.querySelector('#da-draft-editor textarea').value.includes('要入力')")
    page.fill("#da-draft-editor textarea", "海外赴任者の住宅手当は月10万円です。[expense-travel-policy.pdf p.3]")
    page.click("#da-draft-save")
    wait_text(page, "#da-draft-view", "月10万円")
    page.click("#da-draft-review")
    wait_text(page, "#da-draft-review-out", "出典で確認できない記述")
    assert "月10万円" in page.locator("#da-draft-review-out").inner_text()

    with page.expect_download() as download:
        page.click("#da-draft-docx")
    saved = tmp_path / "draft.docx"
    download.value.save_as(saved)
    document = docx.Document(str(saved))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == "1. 総則" and headings[-2].endswith("海外赴任者の住宅手当"), headings
    assert any("日帰り出張は1日2,000円" in p.text for p in document.paragraphs)
    page.close()
