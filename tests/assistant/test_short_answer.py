"""Short answers: whatever the model writes, only words cut from a cited source's sentence are shown.

The guard is proved with scripted models that write what small models write (a paraphrase, a number that is not
in the text, a span of a source it was not shown, nothing, the wrong language) and with the real shipped model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answering import short_answer as sa
from assistant.answering.service import QAService
from assistant.core.identity import Principal
from assistant.llm import load_chat_model
from tests.conftest import ROOT, assert_streamed_is_recorded, shipped_settings
from tests.scripted_models import Scripted

LOCK = "After 5 wrong password attempts within 15 minutes, the account is locked for 30\nminutes."
LENGTH = ("Passwords must be at least 12 characters long and contain three of the following four\nkinds of "
          "characters: upper-case letters, lower-case letters, digits and symbols.")
ALLOWANCE = "出張日当は、次のとおり定額で支給する。日帰り出張は1日2,000円、宿泊を伴う出張は1日3,000円とする。"


def passages(*texts: str) -> list[sa.Passage]:
    return [sa.Passage(i, t, 0, len(t)) for i, t in enumerate(texts, 1)]


def run(text: str, question: str, *texts: str, lang: str = "en") -> sa.ShortAnswerResult:
    return sa.find_short_answer(Scripted(text), question, passages(*texts), lang, sa.PROMPTS_DIR, 0.5)


def test_a_verbatim_span_is_cut_from_the_source_with_its_offsets():
    got = run("30 minutes", "How long is the account locked?", LENGTH, LOCK)
    assert got.shown is not None and got.shown.source == 2
    assert got.shown.text == "30 minutes"  # the wrapped line joined for display
    assert LOCK[got.shown.start:got.shown.end] == "30\nminutes"  # offsets into the source as it stands


@pytest.mark.parametrize("written, reason", [
    ("half an hour", "not_found"),  # a paraphrase
    ("45 minutes", "not_found"),  # a number that is not in the text
    ("1日2,000円", "not_found"),  # a span of a source the model was not shown
    ("30 minutes and then it unlocks automatically", "not_found"),  # more than the source says
    ("he account is locked for 30", "not_found"),  # not on word boundaries
])
def test_what_the_source_does_not_say_is_never_shown(written, reason):
    got = run(written, "How long is the account locked?", LENGTH, LOCK)
    assert got.shown is None and got.rejected == reason and not got.said_none


def test_an_empty_answer_or_none_shows_nothing_and_is_recorded_as_none():
    for written in ("", "none", " None.\nThe passages do not say."):
        got = run(written, "Who approves overtime?", LOCK)
        assert got.shown is None and got.said_none, written


def test_the_wrong_language_is_not_shown():
    got = run("2,000 yen a day", "日帰り出張の日当はいくらですか？", ALLOWANCE, lang="ja")
    assert got.shown is None and got.rejected == "not_found"


def test_a_span_without_the_kind_of_thing_asked_for_is_not_shown():
    got = run("upper-case letters", "How many characters must a password have?", LENGTH)
    assert got.shown is None and got.rejected == "wrong_kind"


def test_a_bare_number_gets_the_unit_that_follows_it_in_the_source():
    got = run("14", "How many days before a password expires does the system remind you?",
              "The system reminds you 14 days before the password expires.")
    assert got.shown is not None and got.shown.text == "14 days"
    got = run("30", "立替えた経費は何日以内に申請しなければなりませんか？",
              "支出した日から30日以内に申請しなければならない。", lang="ja")
    assert got.shown is not None and got.shown.text == "30日"
    got = run("12", "How many characters must a password have at least?",
              "Passwords must be at least 12 characters long.")
    assert got.shown is not None and got.shown.text == "12 characters"  # the unit the question names
    got = run("4321", "Which extension do I call?", "Call extension 4321 now.")
    assert got.shown is not None and got.shown.text == "4321"  # nothing follows: nothing added
    # a number whose unit the source does not give stays without one, and is not shown for a "how many days"
    got = run("12", "How many days is the reminder?", "Version 12 of the client is installed.")
    assert got.shown is None and got.rejected == "wrong_kind"


def test_the_question_repeated_is_no_answer():
    got = run("password attempts", "What happens after wrong password attempts?", LOCK)
    assert got.shown is None and got.rejected == "not_found"


def test_japanese_span_after_nfkc_and_white_space_normalisation():
    got = run("１日２，０００円", "日帰り出張の日当はいくらですか？", ALLOWANCE, lang="ja")
    assert got.shown is not None and got.shown.text == "1日2,000円"


def test_confidence_below_the_threshold_is_not_shown():
    class Unsure(Scripted):
        def complete_scored(self, messages, max_tokens):
            from assistant.llm.base import ScoredText

            return ScoredText("30 minutes", (-1.2, -0.9))

    got = sa.find_short_answer(Unsure(""), "How long is the account locked?", passages(LOCK), "en",
                               sa.PROMPTS_DIR, 0.5)
    assert got.shown is None and got.rejected == "unsure" and 0.3 < got.confidence < 0.4


PER_CASE = "日帰り出張は1日2,000円、宿泊を伴う出張は1日3,000円とする。"


@pytest.mark.parametrize("question, span, refused", [
    ("宿泊を伴う出張の日当はいくらですか？", "1日2,000円", True),  # the day-trip rate for the overnight question
    ("宿泊を伴う出張の日当はいくらですか？", "1日3,000円", False),
    ("日帰り出張の日当はいくらですか？", "1日3,000円", True),
    ("日帰り出張の日当はいくらですか？", "2,000円", False),
])
def test_a_number_from_another_case_of_the_sentence_is_refused(question, span, refused):
    from assistant.kb.keywords import get_tokenizer

    tokens = get_tokenizer("B").tokens
    at = PER_CASE.index(span)
    assert sa.another_case(question, PER_CASE, at, at + len(span), tokens) is refused
    got = sa.find_short_answer(Scripted(span), question, passages(PER_CASE), "ja", sa.PROMPTS_DIR, 0.5,
                               tokens=tokens)
    assert (got.shown is None) is refused and got.rejected == ("another_case" if refused else "")


def test_a_sentence_with_one_value_or_a_span_without_a_number_is_not_weighed():
    from assistant.kb.keywords import get_tokenizer

    tokens = get_tokenizer("B").tokens
    one = "Overnight trips are paid 3,000 yen a day, and receipts are not needed."
    at = one.index("3,000 yen")
    assert not sa.another_case("What is the allowance for a day trip?", one, at, at + 9, tokens)
    lock = "After 5 wrong password attempts within 15 minutes, the account is locked for 30 minutes."
    at = lock.index("30 minutes")
    assert not sa.another_case("How long is an account locked after wrong passwords?", lock, at, at + 10, tokens)
    words = "Day trips need the manager's approval, overnight trips the director's approval."
    at = words.index("the manager")
    assert not sa.another_case("Who approves overnight trips?", words, at, at + 11, tokens)


def test_window_is_whole_sentences_around_the_match():
    text = "First sentence here. " * 5 + "The lock lasts 30 minutes. " + "Another sentence follows. " * 20
    start = text.index("30 minutes")
    a, b = sa.window(text, start, start + 10, chars=120)
    piece = text[a:b]
    assert "30 minutes" in piece and len(piece) <= 120
    assert piece[0].isupper() and piece.endswith(".")


@pytest.fixture(scope="module")
def sample_service(tmp_path_factory, embedder):
    from assistant.services import Assistant
    from ingest.pipeline import Ingestor

    tmp = tmp_path_factory.mktemp("short")
    settings = shipped_settings(tmp)
    assert Ingestor(settings, lambda: embedder).run([ROOT / "samples" / "manuals"]).counts["failed"] == 0
    assistant = Assistant(settings, model=Scripted(""), embedder=embedder)
    yield settings, assistant
    assistant.close()


def ask_with(sample_service, model, question: str):
    settings, assistant = sample_service
    settings = settings.model_copy(deep=True)
    settings.qa.short_answer = True
    service = QAService(settings, assistant.kb, model)
    stream = service.ask(question, principal=Principal.everything())
    streamed = "".join(stream)
    assert_streamed_is_recorded(streamed, stream.answer)
    return stream.answer


def test_the_answer_shows_the_span_in_bold_on_top_and_records_it(sample_service):
    answer = ask_with(sample_service, Scripted("30 minutes"), "How long is an account locked after wrong passwords?")
    assert answer.short_answer is not None and answer.short_answer.text == "30 minutes"
    assert answer.text.startswith("Answer: **30 minutes** [")
    source = answer.sources[answer.short_answer.source - 1]
    assert source.file == "it-helpdesk-guide.pdf" and source.cited
    # that sentence is the highlighted evidence
    assert any("locked for 30" in e.text for e in answer.evidence)
    record = answer.to_dict()
    assert record["short_answer"]["text"] == "30 minutes" and record["short_answer_check"]["model_text"]


@pytest.mark.parametrize("written", ["half an hour", "45 minutes", "", "1日2,000円", "none"])
def test_the_service_shows_evidence_only_when_the_span_fails(sample_service, written):
    answer = ask_with(sample_service, Scripted(written), "How long is an account locked after wrong passwords?")
    assert answer.short_answer is None
    assert not answer.text.startswith("Answer:") and "30" in answer.text  # the evidence, as before


def test_the_service_refuses_the_other_case_rate_in_the_sample_manuals(sample_service):
    answer = ask_with(sample_service, Scripted("1日2,000円"), "宿泊を伴う出張の日当はいくらですか？")
    assert answer.short_answer is None and answer.short_answer_check["rejected"] == "another_case"
    answer = ask_with(sample_service, Scripted("1日3,000円"), "宿泊を伴う出張の日当はいくらですか？")
    assert answer.short_answer is not None and answer.short_answer.text == "1日3,000円"


def test_a_follow_up_is_read_with_the_words_it_carried(sample_service):
    """「宿泊を伴う場合は？」 after 「日帰り出張の日当は？」: the model is asked about 宿泊を伴う出張の日当, and the
    day-trip rate it may still copy is refused as the other case's number."""
    settings, assistant = sample_service
    settings = settings.model_copy(deep=True)
    settings.qa.short_answer = True

    class Reading(Scripted):
        asked: list[str] = []

        def complete_scored(self, messages, max_tokens):
            self.asked.append(messages[-1].content)
            return super().complete_scored(messages, max_tokens)

    first = QAService(settings, assistant.kb, Reading("1日2,000円")).ask(
        "日帰り出張の日当はいくらですか？", principal=Principal.everything()).result()
    assert first.short_answer is not None and first.short_answer.text == "1日2,000円"
    model = Reading("1日2,000円")
    follow = QAService(settings, assistant.kb, model).ask(
        "宿泊を伴う場合は？", principal=Principal.everything(), history=[first.turn()]).result()
    asked = model.asked[-1].rsplit("質問:", 1)[1]
    assert "宿泊を伴う場合は" in asked and "日当" in asked  # the question as it stands alone
    assert follow.short_answer is None and follow.short_answer_check["rejected"] == "another_case"


def test_a_busy_model_leaves_the_evidence_standing(sample_service):
    from assistant.core.errors import ModelBusy

    class Busy(Scripted):
        def complete_scored(self, messages, max_tokens):
            raise ModelBusy("the model is busy")

    answer = ask_with(sample_service, Busy(""), "How long is an account locked after wrong passwords?")
    assert answer.short_answer is None and answer.error is None and "30" in answer.text
    assert "busy" in answer.short_answer_check["error"]


def test_none_can_turn_answered_into_related_when_configured(sample_service):
    settings, assistant = sample_service
    settings = settings.model_copy(deep=True)
    settings.qa.short_answer, settings.qa.short_answer_none_abstains = True, True
    service = QAService(settings, assistant.kb, Scripted("none"))
    answer = service.ask("How long is an account locked after wrong passwords?",
                         principal=Principal.everything()).result()
    assert answer.label == "related" and not answer.evidence_confident


def test_the_real_model_scores_its_greedy_span(tmp_path: Path):
    settings = shipped_settings(tmp_path)
    settings.generation.lora_path = ""
    model = load_chat_model(settings.generation)
    msgs = sa.messages("How long is the account locked?", [LOCK], "en")
    scored = model.complete_scored(msgs, sa.MAX_TOKENS)
    from assistant.llm import GenerationParams

    plain = model.generate(msgs, GenerationParams(max_tokens=sa.MAX_TOKENS, temperature=0.0))
    assert scored.text.strip() == plain.split("\n")[0].strip()  # the same greedy words as the streaming path
    assert scored.logprobs and all(lp <= 0 for lp in scored.logprobs)
    assert 0 < sa.confidence(scored.logprobs) <= 1


def test_an_approved_short_answer_goes_from_the_usage_log_to_a_training_example(tmp_path, embedder):
    """The loop `assistant tune --feedback` closes: shown, logged with the passages read, rated up, exported,
    learned; with store_text = false the log keeps no words of it."""
    from assistant.analytics.feedback_export import questions_from_feedback, write_jsonl
    from assistant.analytics.usage import read_rows
    from assistant.services import Assistant
    from assistant.tuning.data import feedback_examples
    from ingest.pipeline import Ingestor

    for keep_text in (True, False):
        settings = shipped_settings(tmp_path / str(keep_text))
        settings.usage.enabled, settings.usage.store_text = True, keep_text
        settings.qa.short_answer = True
        assert Ingestor(settings, lambda: embedder).run([ROOT / "samples" / "manuals"]).counts["failed"] == 0
        with Assistant(settings, model=Scripted("30 minutes"), embedder=embedder) as assistant:
            answer = assistant.ask("How long is an account locked after wrong passwords?",
                                   principal=Principal.everything()).result()
            assert answer.short_answer is not None
            assistant.usage.flush()
            assistant.feedback(answer.id, "up")
        row = read_rows(settings.paths.usage_db)[0]
        logged = row["short_answer"]
        assert logged["shown"] and logged["confidence"] == 1.0
        if not keep_text:
            assert "text" not in logged and "passages" not in logged and "model_text" not in logged
            continue
        assert logged["text"] == "30 minutes" and any("locked for 30" in p for p in logged["passages"])
        assert logged["asked"] == answer.question  # not a follow-up: the question as typed
        export = tmp_path / "approved.jsonl"
        write_jsonl(questions_from_feedback(read_rows(settings.paths.usage_db), "up"), export)
        examples = list(feedback_examples(export))
        assert [(e.answer, e.source) for e in examples] == [("30 minutes", "feedback")]
        # an approved follow-up is learned with the question the model read, standing alone
        row = json.loads(export.read_text().splitlines()[0])
        row["question"], row["short_answer"]["asked"] = "And the lock?", "And the lock? account locked passwords"
        export.write_text(json.dumps(row) + "\n", encoding="utf-8")
        assert [e.question for e in feedback_examples(export)] == ["And the lock? account locked passwords"]

