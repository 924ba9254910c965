"""The shipped adapter on the sample manuals, with the shipped config and the two settings a company switches on
to use it (README, "Short answer"): the real 4-bit model with models/short-answers-lora.gguf answers the questions
staff ask with the manual's own words, refuses the other case's number, and shows nothing for a question the
manuals do not answer."""

from __future__ import annotations

import pytest

from assistant.core.identity import Principal
from tests.conftest import ROOT, assert_streamed_is_recorded, shipped_settings


@pytest.fixture(scope="module")
def shipped(tmp_path_factory, embedder):
    from assistant.services import Assistant
    from ingest.pipeline import Ingestor

    settings = shipped_settings(tmp_path_factory.mktemp("shipped"))
    settings.generation.lora_path = str(ROOT / "models" / "short-answers-lora.gguf")
    settings.qa.short_answer = True
    assert Ingestor(settings, lambda: embedder).run([ROOT / "samples" / "manuals"]).counts["failed"] == 0
    assistant = Assistant(settings, embedder=embedder)
    yield assistant
    assistant.close()


def ask(assistant, question: str):  # noqa: ANN001, ANN201
    stream = assistant.qa.ask(question, principal=Principal.everything())
    assert_streamed_is_recorded("".join(stream), stream.answer)
    return stream.answer


@pytest.mark.parametrize("question, shown", [
    ("日帰り出張の日当はいくらですか？", {"1日2,000円", "2,000円"}),
    ("How long is an account locked after too many wrong passwords?", {"30 minutes"}),
    ("How many characters must a password have at least?", {"12 characters", "at least 12 characters"}),
    ("宿泊を伴う出張の日当はいくらですか？", {"1日3,000円", "3,000円", None}),  # never the day-trip rate
])
def test_the_shipped_adapter_answers_the_sample_questions(shipped, question, shown):
    answer = ask(shipped, question)
    assert "short-answers-lora.gguf" in answer.model
    if None in shown and answer.short_answer is None:
        return
    assert answer.short_answer is not None, answer.short_answer_check
    assert answer.short_answer.text in shown
    assert answer.text.startswith(("Answer: **", "回答：**"))


@pytest.mark.parametrize("question", ["How many weeks of parental leave does the company offer?",
                                      "育児休業は何か月取得できますか？"])
def test_no_short_answer_where_the_manuals_do_not_answer(shipped, question):
    answer = ask(shipped, question)
    assert answer.short_answer is None
