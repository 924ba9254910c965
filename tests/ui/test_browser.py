"""The web app driven in a real headless Chromium (Debian's package; Playwright with executable_path): what staff
and admins do, in Japanese and English. Screenshots of every view go to tests/artifacts/screenshots/."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.pdf_factory import text_pdf
from tests.ui.conftest import LOGINS, ROOT

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


def manual_text(web) -> str:
    """Every chunk of the knowledge base without white space: what a shown quote must be part of."""
    with web.service.kb.acquire_kb() as kb:
        texts = [c["text"] for d in kb.documents() for c in kb.chunks_of(d.id)]
    return "".join("".join(t.split()).replace("|", "") for t in texts)  # DOCX/Markdown rows keep " | " there


def shown_claims(answer: str) -> list[str]:
    """What an answer shows as the manuals' text, as the browser renders it: quoted sentences, table rows (cells
    separated by tabs) and list items (the list's numbers are drawn by the browser, not in the text)."""
    claims = []
    for line in answer.splitlines()[1:]:  # the first line is the heading
        cells = [c for c in line.split("\t") if c.strip()]
        quotes = [a or b for a, b in re.findall(r"「([^」]+)」|\"(.+?)\" \[\d+\]", line)]
        if len(cells) >= 2:
            claims.append("".join(cells))
        elif quotes:
            claims += quotes
        elif line.strip():
            claims.append(re.sub(r"\s*\[\d+\]$", "", line))
    return claims


def assert_from_the_manuals(answer: str, manuals: str) -> None:
    for claim in shown_claims(answer):
        flat = "".join(claim.split()).replace("°C", "°C")
        assert flat in manuals, f"shown but not in the manuals: {claim!r}"


def test_a_staff_session_of_22_turns_in_japanese_and_english(browser, web):
    """The session of bench/data/staff_session.jsonl as a new user: follow-ups, three topic changes, a procedure, a
    table, questions the manuals do not cover; after each answer the page preview shows the first evidence's page,
    and every quoted sentence and table row is checked against the manuals' text. Then reload and reopen."""
    manuals = manual_text(web)
    session = [json.loads(x) for x in (ROOT / "bench" / "data" / "staff_session.jsonl").read_text().splitlines()]
    page = open_as(browser, web, "staff", "ja")
    page.wait_for_selector("#da-chat button:has-text('教えてください'), #da-chat button:has-text('？')")
    page.screenshot(path=SHOTS / "chat-empty-ja.png", full_page=True)
    transcript = []
    for step in session:
        answer = ask(page, step["question"])
        transcript.append(f"Q{step['turn']}: {step['question']}\nA: {answer}")
        where = f"turn {step['turn']}: {answer!r}"
        outcome = page.get_attribute("#da-answer-meta", "data-outcome")
        if step.get("unanswerable"):
            assert outcome == "not_found" and "記載がありません" in answer or "do not cover" in answer, where
            assert page.locator("#da-sources .da-cited").count() == 0, where  # nothing shown as a source
            assert page.locator("#da-near").count() == 1, where
            continue
        assert outcome in ("answered", "closest"), where
        for fact in step["facts"]:
            assert fact in answer, where
        assert_from_the_manuals(answer, manuals)
        picked = page.input_value("#da-preview-pick input")
        first = re.search(r"\[(\d+)\]", answer).group(1)  # the first cited evidence's source
        if step["file"].endswith(".pdf"):
            assert picked.startswith(f"[{first}] {step['file']}"), (picked, where)
            page.wait_for_selector("#da-preview img")
            wait_text(page, "#da-preview-note", "黄色")
        else:  # no pages to show: no page of an earlier answer either
            assert picked == "" and page.locator("#da-preview img").count() == 0, (picked, where)
        if step["turn"] in (4, 9, 14):
            page.screenshot(path=SHOTS / f"chat-turn{step['turn']}.png", full_page=True)
        if step["turn"] == 9:  # the procedure: a numbered list from step 1 to step 4
            items = page.locator("#da-chat .message-row").last.locator("ol li").all_inner_texts()
            assert len(items) == 4 and items[0].startswith("Connect to the internet"), items
    (SHOTS / "staff-session-transcript.txt").write_text("\n\n".join(transcript), encoding="utf-8")
    assert "| 点検項目 |" not in transcript[3] and "点検項目\t判定基準" in transcript[3]  # a table, rendered

    # Reload: the conversation is listed, reopens with all 44 messages, and a follow-up still leans on it.
    page.reload()
    page.wait_for_selector("#da-conversations label")
    assert "日帰り出張の日当はいくらですか？" in page.inner_text("#da-conversations")
    page.locator("#da-conversations label").first.click()
    page.wait_for_function("() => document.querySelectorAll('#da-chat .message-row').length >= 44")
    follow = ask(page, "How long is the VPN session before it disconnects?")
    assert "12 hours" in follow
    page.screenshot(path=SHOTS / "chat-reopened-ja.png", full_page=True)
    page.close()


def test_feedback_on_an_answer_keeps_its_comment_when_the_rating_changes(browser, web):
    page = open_as(browser, web, "staff", "en")
    ask(page, "How many wrong password attempts lock my account?")
    answer_id = page.get_attribute("#da-answer-meta", "data-answer-id")
    page.locator("#da-chat button[aria-label='Dislike']").last.click()
    wait_text(page, "#da-feedback-note", "not helpful")
    page.fill("#da-comment textarea", "cite the page with the lock-out table")
    page.click("#da-comment-save")
    wait_text(page, "#da-feedback-note", "Feedback recorded")
    page.locator("#da-chat button[aria-label='Like']").last.click()
    wait_text(page, "#da-feedback-note", "helpful")
    with sqlite3.connect(web.settings.paths.usage_db) as conn:
        row = conn.execute("SELECT feedback, feedback_comment FROM answers WHERE id = ?", (answer_id,)).fetchone()
    assert row == ("up", "cite the page with the lock-out table")
    page.screenshot(path=SHOTS / "chat-feedback-en.png", full_page=True)
    page.close()


def test_another_user_cannot_open_a_conversation(browser, web):
    # A user of its own: the demo "hr" login is locked for a while by the lock-out test of the same server.
    web.service.users.set("hana", ["all", "hr"], "staff")
    web.service.users.set_password("hana", "hana-secret-1")
    LOGINS["hana"] = "hana-secret-1"
    page = open_as(browser, web, "hana", "ja")
    ask(page, "賞与の支給日はいつですか？")
    hr_titles = page.inner_text("#da-conversations")
    page.close()
    staff = open_as(browser, web, "staff", "ja")
    assert "賞与" in hr_titles and "賞与" not in staff.inner_text("#da-conversations")
    for conv in web.service.conversations.list("hana"):
        with pytest.raises(Exception, match="no conversation"):
            web.service.conversations.get("staff", conv.id)
    staff.close()


def test_on_a_phone_the_header_fits_and_the_input_is_visible_with_example_questions(browser, web):
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="ja-JP")
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{web.url}/login?lang=ja")
    page.fill("#user", "staff")
    page.fill("#password", LOGINS["staff"])
    page.click("#login-submit")
    page.wait_for_selector("#da-question textarea")
    page.wait_for_selector("#da-chat button:has-text('教えてください'), #da-chat button:has-text('？')")
    box = page.locator("#da-question textarea").bounding_box()
    assert box["y"] + box["height"] <= 844, box  # visible without scrolling
    logout = page.locator("#da-logout").bounding_box()
    assert logout["height"] < 30, logout  # one line: 「ログアウト」 does not wrap
    examples = page.locator("#da-chat .examples button, #da-chat button.example").count()
    assert 3 <= examples <= 4, examples
    page.screenshot(path=SHOTS / "chat-390-ja.png")
    page.locator("#da-chat .examples button, #da-chat button.example").first.click()
    page.wait_for_selector("#da-answer-meta", state="attached")
    assert page.get_attribute("#da-answer-meta", "data-outcome") == "answered"  # an example never gets a hedge
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


@pytest.fixture(scope="module")
def web_gated(tmp_path_factory, embedder):
    """A deployment with the summary on, whose model writes a few words and then waits for the test (an event)."""
    from assistant.core.config import load_settings
    from assistant.services import Assistant
    from ingest.pipeline import Ingestor
    from tests.scripted_models import Gated
    from tests.ui.conftest import serve

    tmp = tmp_path_factory.mktemp("gated")
    settings = load_settings(ROOT / "config.toml", environ={})
    settings.paths.data_dir = tmp / "data"
    settings.qa.summary = True
    assert Ingestor(settings, lambda: embedder).run([ROOT / "samples" / "manuals"]).ok
    model = Gated("The VPN disconnects automatically", " after 12 hours [1].")
    service = Assistant(settings, model=model, embedder=embedder)
    for running in serve(service, settings):
        running.model = model  # type: ignore[attr-defined]
        yield running


def test_stop_ends_the_summary_keeps_the_evidence_and_frees_the_model(browser, web_gated):
    web, model = web_gated, web_gated.model
    page = open_as(browser, web, "staff", "en")
    page.fill("#da-question textarea", "After how many hours does the VPN disconnect automatically?")
    page.click("#da-send")
    assert model.started.wait(WAIT_MS / 1000)  # the model is writing the summary, and holds until released
    wait_text(page, "#da-chat", "12 hours")  # the evidence is already shown
    wait_text(page, "#da-status", "writing the summary")
    assert page.locator("#da-stop").is_visible() and page.locator("#da-question textarea").is_disabled()
    page.screenshot(path=SHOTS / "chat-writing-en.png", full_page=True)
    page.click("#da-stop")
    wait_text(page, "#da-status", "Stopped")
    assert model.cancelled.wait(WAIT_MS / 1000)  # the reader stopped: the model was let go
    last = page.locator("#da-chat .message-row").last.inner_text()
    assert "12 hours" in last and "Summary" not in last
    assert page.locator("#da-send").is_visible() and page.locator("#da-question textarea").is_enabled()
    page.screenshot(path=SHOTS / "chat-stopped-en.png", full_page=True)
    kept = web.service.conversations.list("staff")[0]
    assert "12 hours" in web.service.conversations.get("staff", kept.id).exchanges[-1].answer

    # The model is free again: the next answer gets its (checked) summary.
    model.started.clear()
    model.release.set()
    answer = ask(page, "After how many hours does the VPN disconnect automatically?")
    assert "Summary:" in answer and "The VPN disconnects automatically after 12 hours [1]." in answer
    page.close()
