"""Procedures, lists and tables come whole: real PDF, DOCX and Markdown files go through the real ingestion and the
real question path (shipped configuration, no model needed: the evidence is the manuals' text). A lead-in brings
what it introduces, numbered steps start at step 1, table rows come as a Markdown table with their header row."""

from __future__ import annotations

import docx
import pytest

from assistant.core.layout import cells, is_lead_in, is_outline_heading, is_table_row, to_markdown
from assistant.core.sentences import sentence_spans
from tests.conftest import ask, evidence_service
from tests.pdf_factory import text_pdf

PRESS_JA = (
    "第3章 始業前点検\n"
    "毎日の作業開始前に、次の項目を点検し、点検表に記録する。異常がある場合は運転せず、班長に報告する。\n"
    "点検項目 判定基準\n"
    "作動油の量 油面計の上限と下限の間にあること\n"
    "作動油の温度 15℃以上、55℃以下であること\n"
    "非常停止ボタン 3か所とも押してスライドが停止すること\n"
    "両手操作ボタン 片手だけでは起動しないこと\n"
    "作動油の温度が15℃未満の場合は、暖機運転を10分間行ってから作業を始める。\n"
)
LAB_EN = (
    "# Laboratory Fume Hood\n\n"
    "## Starting the fume hood\n\n"
    "Before any work with solvents, start the hood as follows:\n\n"
    "1. Raise the sash to the marked working height of 40 cm.\n"
    "2. Switch on the blower with the green key switch.\n"
    "3. Wait until the airflow monitor shows at least 0.5 m/s.\n"
    "4. Record the airflow reading in the hood log.\n\n"
    "## Filter replacement\n\n"
    "| Filter | Interval | Who |\n"
    "| --- | --- | --- |\n"
    "| Pre-filter | every 3 months | lab technician |\n"
    "| Carbon filter | every 12 months | facilities team |\n"
    "| HEPA filter | every 24 months | facilities team |\n"
)


@pytest.fixture(scope="module")
def service(tmp_path_factory, embedder):
    tmp = tmp_path_factory.mktemp("blocks")
    corpus = tmp / "manuals"
    corpus.mkdir()
    text_pdf(corpus / "press-check.pdf", [PRESS_JA], japanese=True)
    (corpus / "fume-hood.md").write_text(LAB_EN, encoding="utf-8")
    d = docx.Document()
    d.add_heading("Visitor badges", 1)
    d.add_paragraph("Badges are issued at reception. Badge colours are as follows:")
    table = d.add_table(rows=4, cols=2)
    for row, (a, b) in zip(table.rows, [("Colour", "Who"), ("Red", "Contractors"), ("Blue", "Auditors"),
                                       ("Green", "Guests on a tour")], strict=True):
        row.cells[0].text, row.cells[1].text = a, b
    d.add_paragraph("Return the badge at reception when you leave.")
    d.save(corpus / "visitors.docx")
    with evidence_service(tmp, corpus, embedder) as service:
        yield service


def test_a_japanese_pdf_lead_in_comes_with_its_table_and_header_row(service):
    answer = ask(service, "始業前点検では何を確認しますか？")
    assert "次の項目を点検し" in answer.text
    assert "| 点検項目 | 判定基準 |" in answer.text  # the header row, as a Markdown table
    for item in ("作動油の量", "非常停止ボタン", "両手操作ボタン"):
        assert f"| {item} |" in answer.text, answer.text
    ev = next(e for e in answer.evidence if "点検項目" in e.text)
    assert answer.sources[ev.number - 1].passage[ev.start : ev.end] == ev.text  # offsets still highlight


def test_a_table_row_question_shows_the_row_under_its_header(service):
    answer = ask(service, "作動油の温度の判定基準は？")
    assert "| 点検項目 | 判定基準 |" in answer.text and "15°C以上、55°C以下" in answer.text, answer.text


def test_english_markdown_steps_come_from_step_1_as_a_numbered_list(service):
    answer = ask(service, "How do I start the fume hood?")
    text = answer.text
    for n in range(1, 5):
        assert f"\n{n}. " in text, text
    assert text.index("1. Raise") < text.index("4. Record")


def test_english_markdown_table_keeps_its_header(service):
    answer = ask(service, "How often is the carbon filter replaced?")
    assert "| Filter | Interval | Who |" in answer.text and "every 12 months" in answer.text, answer.text


def test_a_docx_lead_in_brings_its_table(service):
    answer = ask(service, "Which badge colour do auditors wear?")
    assert "| Colour | Who |" in answer.text and "| Blue | Auditors |" in answer.text, answer.text


@pytest.mark.parametrize(("line", "row"), [
    ("作動油の量 油面計の上限と下限の間にあること", True),
    ("Pre-filter | every 3 months | lab technician", True),
    ("毎日の作業開始前に、次の項目を点検し、点検表に記録する。", False),
    ("1. Raise the sash to the marked working height of 40 cm.", False),
    ("The hood must be on before any work with solvents", False),
    ("イ 特別簡易型", False),  # an outline heading: the space follows its marker
    ("(1) 総合評価方式のタイプについて", False),
    ("ア 簡易型 30点 20点", True),
    ("(4) | 共同システムの実用化 | 実用化を図る。広報も活用する。 | 令和6年春", True),
])
def test_table_rows(line, row):
    assert is_table_row(line) is row


def test_lead_ins_and_cells():
    assert is_lead_in("Badge colours are as follows:") and is_lead_in("宿泊費は、1泊あたり次の金額を上限とする。")
    assert not is_lead_in("次の日に申請する。") and not is_lead_in("The VPN disconnects after 12 hours.")
    assert cells("一般社員 12,000円 10,000円") == ["一般社員", "12,000円", "10,000円"]


def test_rows_are_sentences_of_their_own_and_markdown_keeps_the_layout():
    passage = ("宿泊費は次のとおりとする。\n区分 東京 その他\n一般社員 12,000円 10,000円\n"
               "上限を超える場合は承認を得る。")
    assert [passage[a:b] for a, b in sentence_spans(passage)] == [
        "宿泊費は次のとおりとする。", "区分 東京 その他", "一般社員 12,000円 10,000円",
        "上限を超える場合は承認を得る。"]
    assert to_markdown(passage) == ("宿泊費は次のとおりとする。\n\n| 区分 | 東京 | その他 |\n| --- | --- | --- |\n"
                                    "| 一般社員 | 12,000円 | 10,000円 |\n\n上限を超える場合は承認を得る。")


def test_outline_headings_stand_apart_from_the_text_they_head():
    """「ア 簡易型」「(イ) 特別簡易型」 head what follows: once read as two-cell table rows, they were shown as one-row
    tables and a passage ran across them."""
    assert all(map(is_outline_heading, ["ア 簡易型", "(イ) 特別簡易型", "（２）技術力の評価", "(1) 定義"]))
    assert not any(map(is_outline_heading, ["アイロン", "ア 簡易型では、業務実施方針を求める。", "(1)"]))
    passage = "資料を求める。\nイ 特別簡易型\n簡易型に準じて、業務実施方針を\n求めることを要さない場合に選択する。"
    assert [passage[a:b] for a, b in sentence_spans(passage)] == [
        "資料を求める。", "イ 特別簡易型", "簡易型に準じて、業務実施方針を\n求めることを要さない場合に選択する。"]
    assert to_markdown(passage[passage.index("イ"):]) == (
        "**イ 特別簡易型**\n\n簡易型に準じて、業務実施方針を求めることを要さない場合に選択する。")


@pytest.mark.parametrize(("line", "heading"), [
    ("3.2 審査の手順", True), ("■ 留意事項", True), ("● 行政規制", True), ("第2章 経費", True),
    ("21.8 | - | 32.6 | 39.9", False),  # a table row of numbers
    ("0 % 10 % 20 % 30 %", False),  # a chart's axis
    ("45.7 46.5", False),
    ("●事務所所在地 ●立地環境", False),  # bullet items on one line
    ("● 入荷時に箱、包装の破損・汚れなど状態を", False),  # a bullet sentence cut at a particle
])
def test_headings_are_titles_not_numbers_or_bullet_text(line, heading):
    """Numbers and bullet text once became section headings: sections cut in pieces, their words credited to
    every sentence under them."""
    from assistant.core.layout import looks_like_heading

    assert looks_like_heading(line) is heading
