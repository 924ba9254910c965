"""Drafting on the real sample manuals with the real embedder: outline, grounded sections, review, export and
round trip through ingestion, rebuilding one section, interruption, and who may draft from what."""

from __future__ import annotations

import io
import re

import docx
import pytest

from assistant.core.errors import AccessDenied
from assistant.core.identity import Principal
from assistant.drafting.records import Brief
from assistant.drafting.review import find_terms
from assistant.drafting.service import DraftingService
from assistant.services import Assistant
from bench.drafting import flat as _flat
from bench.drafting import page_texts as _page_texts
from ingest.pipeline import Ingestor
from tests.cli_runner import run_cli
from tests.conftest import ROOT, build_sample_kb, shipped_settings

# An older FAQ that still gives last year's day-trip allowance: the review must find it against the policy.
OLD_FAQ = (
    "# 出張に関するよくある質問（旧版）\n\n## 日当\n\n日帰り出張の日当は1日2,500円です。領収書は必要ありません。\n"
)
HR_ONLY = (
    "# 給与テーブル 2026\n\n## 出張手当\n\n"
    "出張時の特別手当は1日8,000円とする。等級G7の年俸は620万円から740万円とする。\n"
)
WRITER = Principal.of("writer", ["all"], "writer")
BRIEF = Brief(
    title="新入社員向け 出張と経費精算の手引き", purpose="出張の申請から経費精算までの手順と規程", language="ja"
)


@pytest.fixture(scope="module")
def kb(tmp_path_factory, embedder):
    tmp = tmp_path_factory.mktemp("drafting")
    s = shipped_settings(tmp)
    corpus, hr = build_sample_kb(s, tmp, embedder, {"travel-faq-old.md": OLD_FAQ}, {"salary-table.md": HR_ONLY})
    return s, corpus, hr


@pytest.fixture
def service(kb, embedder, tmp_path):
    settings = kb[0].model_copy(deep=True)
    assistant = Assistant(settings, embedder=embedder)
    assistant._drafting = DraftingService(settings, assistant.kb, store=None)
    assistant._drafting.store.__init__(tmp_path / "drafts.sqlite")  # each test its own drafts
    yield assistant
    assistant.close()


def _statements(draft):
    return [(s, b) for section in draft.sections for b in section.blocks for s in b.statements]


def test_japanese_brief_gets_a_japanese_outline_and_every_statement_is_on_the_page_it_cites(service, kb):
    draft = service.drafting.start(BRIEF, WRITER)
    titles = [o.title for o in draft.outline]
    assert titles and all(re.search(r"[ぁ-んァ-ヶ一-龥]", t) for t in titles), titles
    assert "国内出張" in titles
    draft = service.drafting.build_all(draft.id, WRITER)
    assert all(s.status == "drafted" for s in draft.sections)
    statements = _statements(draft)
    assert len(statements) >= 20
    pages = {}
    for st, _ in statements:
        c = st.citation
        path = next(p for p in [*kb[1].iterdir(), *kb[2].iterdir()] if p.name == c.file)
        pages.setdefault(c.file, _page_texts(path))
        span = (
            [pages[c.file][p] for p in range(c.page, (c.page_end or c.page) + 1)] if c.page else [pages[c.file][None]]
        )
        parts = [part for part in st.text.split(" / ")]  # a table read as lines is shown joined by " / "
        assert all(_flat(part) in "".join(span) for part in parts), (st.text, c.marker)
    text = "\n".join(st.text for st, _ in statements)
    assert "日帰り出張は1日2,000円" in text  # the allowance is in the 国内出張 section, with its page
    day = next(st for st, _ in statements if "日帰り出張は1日2,000円" in st.text)
    assert day.citation.file == "expense-travel-policy.pdf" and day.citation.page == 2


def test_a_section_the_manuals_do_not_cover_is_marked_needs_input(service):
    brief = BRIEF.model_copy(update={"outline_text": "国内出張: 交通費、日当\n海外赴任者の住宅手当と帰任手続き"})
    draft = service.drafting.build_all(service.drafting.start(brief, WRITER).id, WRITER)
    covered, missing = draft.sections
    assert covered.status == "drafted"
    assert missing.status == "needs_input" and not missing.blocks
    assert "記載がありません" in missing.missing and "赴任" in missing.missing


def test_review_finds_the_planted_conflict_with_both_citations(service):
    draft = service.drafting.build_all(service.drafting.start(BRIEF, WRITER).id, WRITER)
    review = service.drafting.review(draft.id, WRITER)
    pairs = [{c.first.citation.file, c.second.citation.file} for c in review.conflicts]
    assert {"expense-travel-policy.pdf", "travel-faq-old.md"} in pairs, review.conflicts
    conflict = review.conflicts[pairs.index({"expense-travel-policy.pdf", "travel-faq-old.md"})]
    assert set(conflict.values) == {"2000円", "2500円"}
    policy = next(f for f in (conflict.first, conflict.second) if f.citation.file == "expense-travel-policy.pdf")
    assert policy.citation.page == 2
    # the same across existing manuals, without a draft (`assistant review`)
    across = service.drafting.conflicts(WRITER)
    assert any(
        {"expense-travel-policy.pdf", "travel-faq-old.md"} == {c.first.citation.file, c.second.citation.file}
        for c in across
    )
    # the policy's own two rates (2,000円 day trip, 3,000円 overnight) are not a conflict
    assert not any(c.first.citation.file == c.second.citation.file for c in across)


def test_hand_edited_sentences_are_checked_against_the_page_they_cite(service):
    draft = service.drafting.start(BRIEF.model_copy(update={"outline_text": "日当"}), WRITER)
    service.drafting.edit(
        draft.id,
        0,
        (
            "日帰り出張は1日2,000円である。[expense-travel-policy.pdf p.2]\n"
            "日帰り出張は1日5,000円である。[expense-travel-policy.pdf p.2]\n"
            "日当は月末にまとめて支払う。\n"
        ),
        WRITER,
    )
    unsourced = service.drafting.review(draft.id, WRITER).unsourced
    assert [u.sentence[:13] for u in unsourced] == ["日帰り出張は1日5,000", "日当は月末にまとめて支払う"]
    assert "5000" in unsourced[0].reason and "出典の記載がありません" == unsourced[1].reason


def test_rebuilding_one_section_leaves_the_others_byte_identical(service):
    from assistant.drafting.export import section_markdown

    draft = service.drafting.build_all(service.drafting.start(BRIEF, WRITER).id, WRITER)
    before = [section_markdown(s, i, "ja") for i, s in enumerate(draft.sections, 1)]
    stored = [s.model_dump_json() for s in draft.sections]
    service.drafting.build(draft.id, 2, WRITER)
    after = service.drafting.get(draft.id, WRITER)
    assert [section_markdown(s, i, "ja") for i, s in enumerate(after.sections, 1)] == before
    for i, s in enumerate(after.sections):
        if i != 2:
            assert s.model_dump_json() == stored[i]
    assert [h["action"] for h in service.drafting.store.history(draft.id)][-1] == "built"


def test_an_interrupted_run_keeps_its_finished_sections_and_goes_on(service):
    draft = service.drafting.start(BRIEF, WRITER)
    seen = []

    def stop_after_two(i, n, section):
        seen.append(section.title)
        if i == 2:
            raise KeyboardInterrupt  # what Ctrl-C raises between two sections

    with pytest.raises(KeyboardInterrupt):
        service.drafting.build_all(draft.id, WRITER, stop_after_two)
    kept = service.drafting.get(draft.id, WRITER)
    assert kept.finished == 2 and [s.status for s in kept.sections[2:]] == ["pending"] * (len(kept.sections) - 2)
    first_two = [s.model_dump_json() for s in kept.sections[:2]]
    done = service.drafting.build_all(draft.id, WRITER)
    assert done.finished == len(done.sections)
    assert [s.model_dump_json() for s in done.sections[:2]] == first_two  # not rebuilt


def test_a_writer_cannot_draft_from_documents_outside_their_groups(service):
    hr_doc = next(d for d in service.drafting.documents(Principal.everything()) if d.name == "salary-table.md")
    assert hr_doc.id not in {d.id for d in service.drafting.documents(WRITER)}
    with pytest.raises(AccessDenied):
        service.drafting.start(BRIEF.model_copy(update={"sources": [hr_doc.id]}), WRITER)
    with pytest.raises(AccessDenied):
        service.drafting.start(BRIEF.model_copy(update={"revise": hr_doc.id}), WRITER)
    # a brief that matches the HR document word for word still never cites it
    brief = Brief(title="出張時の特別手当と給与テーブル", outline_text="出張手当\n給与テーブル", language="ja")
    draft = service.drafting.build_all(service.drafting.start(brief, WRITER).id, WRITER)
    cited = {st.citation.file for st, _ in _statements(draft)} | {c.file for s in draft.sections for c in s.closest}
    assert "salary-table.md" not in cited
    # staff do not draft at all
    with pytest.raises(AccessDenied):
        service.drafting.start(BRIEF, Principal.of("staff", ["all"], "staff"))
    # and a writer cannot open another writer's draft
    other = service.drafting.start(BRIEF, Principal.of("writer2", ["all"], "writer"))
    with pytest.raises(AccessDenied):
        service.drafting.get(other.id, WRITER)


def test_docx_and_markdown_export_round_trip_through_ingestion(service, tmp_path, embedder):
    draft = service.drafting.build_all(service.drafting.start(BRIEF, WRITER).id, WRITER)
    out = tmp_path / "out"
    out.mkdir()
    (out / "guide.docx").write_bytes(service.drafting.export(draft.id, "docx", WRITER))
    (out / "guide.md").write_bytes(service.drafting.export(draft.id, "md", WRITER))
    document = docx.Document(io.BytesIO((out / "guide.docx").read_bytes()))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[: len(draft.sections)] == [f"{i}. {s.title}" for i, s in enumerate(draft.sections, 1)]
    assert any(t.rows for t in document.tables) or all(b.kind != "table" for s in draft.sections for b in s.blocks)

    settings = service.settings.model_copy(deep=True)
    settings.paths.data_dir = tmp_path / "roundtrip"
    result = Ingestor(settings, lambda: embedder).run([out])
    assert result.counts["failed"] == 0 and result.counts["ingested"] == 2
    from assistant.kb import KnowledgeBase

    kb = KnowledgeBase.open(settings.paths.kb_dir)
    for doc in kb.documents():
        paths = {tuple(c["heading_path"][:2]) for c in kb.chunks_of(doc.id)}
        tops = {p[1] for p in paths if len(p) > 1}
        for i, section in enumerate(draft.sections, 1):
            assert f"{i}. {section.title}" in tops, (doc.name, tops)
    kb.close()


def test_terms_written_two_ways_are_listed():
    notes = find_terms(
        [
            ("1. 申請", "経費精算システム「KEIHI」で申請する。"),
            ("2. 支払", "精算システムで承認された経費を支払う。"),
            ("3. 接続", "サーバーに接続する。"),
            ("4. 保守", "サーバを再起動する。"),
            ("5. Help", "Call the IT Help Desk."),
            ("6. Hours", "The Help Desk opens at 8:30."),
        ]
    )
    assert {n.terms for n in notes} == {
        ("経費精算システム", "精算システム"),
        ("サーバー", "サーバ"),
        ("IT Help Desk", "Help Desk"),
    }


def _config(kb, tmp_path):
    config = tmp_path / "config.toml"
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    config.write_text(re.sub(r"(?m)^data_dir = .*$", f'data_dir = "{kb[0].paths.data_dir}"', text), encoding="utf-8")
    return config


def test_a_crash_while_a_section_is_written_loses_only_that_section(kb, tmp_path):
    import signal
    import sqlite3

    from assistant.drafting.store import DraftStore

    config = _config(kb, tmp_path)
    args = (
        "draft",
        "--title",
        BRIEF.title,
        "--purpose",
        BRIEF.purpose,
        "--out",
        str(tmp_path / "g.md"),
        "-u",
        "writer",
    )
    r = run_cli(config, *args, env={"ASSISTANT_FAULTS__CRASH_AT": "drafts.mid_write"})
    assert r.returncode == -signal.SIGKILL, r.stderr
    store = DraftStore(kb[0].paths.drafts_db)
    with sqlite3.connect(kb[0].paths.drafts_db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    newest = store.list("writer")[0]
    draft = store.get(newest["id"])
    assert draft.outline and draft.finished == 0  # the section being written is lost, nothing else
    r = run_cli(
        config,
        "draft",
        "--resume",
        str(draft.id),
        "--title",
        BRIEF.title,
        "--out",
        str(tmp_path / "g.md"),
        "-u",
        "writer",
    )
    assert r.returncode == 0, r.stderr
    assert store.get(draft.id).finished == len(draft.outline)


def test_cli_draft_writes_the_manual_and_review_lists_the_conflict(kb, tmp_path):
    config = _config(kb, tmp_path)
    out = tmp_path / "guide.md"
    r = run_cli(config, "draft", "--title", BRIEF.title, "--purpose", BRIEF.purpose, "--out", str(out), "-u", "writer")
    assert r.returncode == 0, r.stderr
    assert "section 1 of" in r.stdout and "conflict" in r.stdout
    assert "日帰り出張は1日2,000円" in out.read_text(encoding="utf-8")
    r = run_cli(config, "review")
    assert r.returncode == 0, r.stderr
    assert "travel-faq-old.md" in r.stdout and "expense-travel-policy.pdf p.2" in r.stdout
    r = run_cli(config, "draft", "--title", "x", "--out", str(tmp_path / "x.pdf"), "-u", "staff")
    assert r.returncode == 2 and "writers and admins" in r.stderr


def test_steps_become_numbered_steps_and_rows_a_table():
    from assistant.drafting.export import section_markdown
    from assistant.drafting.records import Citation, Section
    from assistant.drafting.sections import _blocks

    cite = Citation(file="guide.pdf", doc_id=1, page=3, page_end=3, section="Start-up")
    text = (
        "Start the press as follows.\n1. Turn the main switch on.\n2. Wait 30 seconds.\n3. Press the pump button.\n\n"
        "Time | Activity | Place\n9:00 | Welcome | Reception\n10:00 | Safety tour | Gate 2"
    )
    blocks = _blocks(text, cite, "Start-up")
    assert [b.kind for b in blocks] == ["text", "steps", "table"]
    assert [s.text for s in blocks[1].statements] == [
        "Turn the main switch on.",
        "Wait 30 seconds.",
        "Press the pump button.",
    ]
    assert blocks[2].rows == [
        ["Time", "Activity", "Place"],
        ["9:00", "Welcome", "Reception"],
        ["10:00", "Safety tour", "Gate 2"],
    ]
    md = section_markdown(Section(title="Operation", status="drafted", blocks=blocks), 2, "en")
    assert "1. Turn the main switch on. [guide.pdf p.3]" in md and "| Time | Activity | Place |" in md
