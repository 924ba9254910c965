"""The model's introduction to a section: shown only when every sentence is backed by the statement it cites;
never asked for a language it does not write. Scripted models write what small models write."""

from __future__ import annotations

import pytest

from assistant.core.facts import unsupported
from assistant.drafting.records import Brief
from assistant.drafting.service import DraftingService
from assistant.kb.keywords import get_tokenizer
from assistant.llm import load_chat_model
from assistant.services import Assistant
from tests.drafting.test_drafting import BRIEF, WRITER, kb  # noqa: F401 - the module's knowledge base fixture
from tests.scripted_models import Recording, Scripted

IT_BRIEF = Brief(
    title="IT guide for new employees",
    purpose="accounts, passwords and the VPN",
    audience="new staff",
    language="en",
    outline_text="Locked account: wrong password attempts and unlocking",
)
WORDS = get_tokenizer().tokens


def _drafting(kb, embedder, tmp_path, model):  # noqa: F811
    settings = kb[0].model_copy(deep=True)
    assistant = Assistant(settings, embedder=embedder, model=model)
    drafting = DraftingService(settings, assistant.kb, model=lambda: model)
    drafting.store.__init__(tmp_path / "drafts.sqlite")
    return assistant, drafting


def _lead(section):
    return [s for b in section.blocks for s in b.statements if s.generated]


@pytest.mark.parametrize(
    ("script", "why"),
    [
        ("After 5 wrong password attempts, the account is locked for 60 minutes [1].", "wrong number"),
        ("Call the CEO at extension 9999 to unlock it [1].", "invented name and number"),
        ("The account locks. " * 40, "a loop cut at the token limit, without citations"),
        ("アカウントは30分間ロックされます [1]。", "the wrong language"),
        (
            "The account is locked for 30 minutes after 5 wrong password attempts within 15 minutes, and the help desk",
            "cut",
        ),
    ],
)
def test_what_small_models_write_wrong_never_reaches_the_draft(kb, embedder, tmp_path, script, why):  # noqa: F811
    assistant, drafting = _drafting(kb, embedder, tmp_path, Scripted(script))
    with assistant:
        draft = drafting.start(IT_BRIEF, WRITER)
        section = drafting.build(draft.id, 0, WRITER)
        assert section.status == "drafted" and "30 minutes" in " ".join(
            s.text for b in section.blocks for s in b.statements
        )
        assert _lead(section) == [], why


def test_a_backed_introduction_is_kept_with_its_citation(kb, embedder, tmp_path):  # noqa: F811
    script = "After 5 wrong password attempts within 15 minutes, the account is locked for 30 minutes [1]."
    assistant, drafting = _drafting(kb, embedder, tmp_path, Scripted(script))
    with assistant:
        draft = drafting.start(IT_BRIEF, WRITER)
        lead = _lead(drafting.build(draft.id, 0, WRITER))
        assert [s.text for s in lead] == [script.removesuffix(" [1].") + "."]
        assert lead[0].citation.file == "it-helpdesk-guide.pdf" and lead[0].citation.page == 2


def test_the_shipped_model_is_never_asked_for_japanese_and_its_english_is_checked(kb, embedder, tmp_path):  # noqa: F811
    real = load_chat_model(kb[0].generation)
    recording = Recording(real)
    assistant, drafting = _drafting(kb, embedder, tmp_path, recording)
    with assistant:
        ja = drafting.start(BRIEF.model_copy(update={"outline_text": "日当"}), WRITER)
        drafting.build_all(ja.id, WRITER)
        assert recording.sent == []  # generation.languages = ["en"] as shipped
        en = drafting.build_all(drafting.start(IT_BRIEF, WRITER).id, WRITER)
        assert len(recording.sent) == 1
        assert recording.sent[0][1].max_tokens == kb[0].generation.max_tokens  # the configuration users get
        for section in en.sections:
            sources = [" ".join(s.text for s in b.statements) for b in section.blocks]
            for statement in _lead(section):
                assert not unsupported(statement.text, sources, WORDS), statement.text
