"""Which questions lean on the conversation, and what is searched for them when the model cannot rewrite them."""

import pytest

from assistant.answering.condensing import carry_key_terms, depends_on_history
from assistant.kb.keywords import get_tokenizer

WORDS = get_tokenizer().tokens


@pytest.mark.parametrize(
    ("question", "dependent"),
    [
        ("それは海外出張でも同じですか？", True),
        ("海外は？", True),  # too short to stand alone
        ("その場合の上限はいくらですか", True),
        ("What if it fails with error 809?", True),
        ("And abroad?", True),
        ("What about the night shift?", True),
        ("And how many attempts are allowed?", True),  # opens with a conjunction: continues the last question
        ("So who approves the request?", True),
        ("Andrew's team uses which printer?", False),  # a word that merely starts with "and"
        ("How do I reset my VPN password?", False),  # a new topic
        ("日帰り出張の日当はいくらですか？", False),
        ("How many wrong password attempts lock my account?", False),
        ("在宅勤務手当はいくら支給されますか？", False),
        # Found in use: a pointing word inside another word, or a particle, turned new topics into follow-ups.
        ("非常停止ボタンはそれぞれどこにありますか", False),  # それぞれ is not それ
        ("異常があれば誰に連絡しますか？", False),  # あれば is not あれ
        ("プレス機HP-200の始業前点検では何を確認しますか？", False),  # では inside a question
        ("Is there a parking fee for visitors?", False),
        ("Is it possible to work from home on Fridays?", False),
        ("What is the form that HR sends to new employees?", False),
        ("では、海外出張の場合は？", True),
        ("パートの場合は？", True),
        ("How do I reset it?", True),
        ("How long is an account locked after too many wrong passwords?", False),  # "too many" is not "as well"
        ("Can I bring a guest too?", True),
    ],
)
def test_only_demonstratives_ellipsis_and_very_short_questions_depend_on_the_conversation(question, dependent):
    assert depends_on_history(question) is dependent


def test_the_previous_questions_rarest_words_are_carried_not_its_whole_text():
    idf = {"日帰り": 3.0, "出張": 1.0, "日当": 2.5, "幾ら": 0.5}
    query = carry_key_terms("それは海外出張でも同じですか？", "日帰り出張の日当はいくらですか？", WORDS, lambda t: idf)
    assert query.startswith("それは海外出張でも同じですか？ ")
    carried = query.split(" ")[1:]
    assert carried[:2] == ["日帰り", "日当"] and "出張" not in carried  # the question already has 出張
    assert "日帰り出張の日当はいくらですか？" not in query


def test_question_words_of_the_previous_question_are_not_carried():
    """いくら / どこ are rare in manuals (high idf) but say nothing about the topic."""
    idf = {"幾ら": 9.0, "何処": 9.0, "日帰り": 3.0, "日当": 2.5, "出張": 1.0}
    query = carry_key_terms("海外は？", "日帰り出張の日当はいくらですか？", WORDS, lambda terms: idf)
    carried = query.removeprefix("海外は？").split()
    assert "幾ら" not in carried and carried[:2] == ["日帰り", "日当"]


def test_words_that_asked_for_the_answers_kind_are_not_carried_into_a_follow_up():
    previous = "How long is the account locked after too many wrong passwords?"
    idf = {"long": 9.0, "too": 8.0, "many": 7.0, "wrong": 5.0, "locked": 4.0, "password": 3.0, "account": 2.0}
    query = carry_key_terms("And how many attempts are allowed?", previous, WORDS, lambda terms: idf)
    carried = query.removeprefix("And how many attempts are allowed?").split()
    assert {"long", "too"}.isdisjoint(carried) and {"wrong", "locked", "password"} <= set(carried)


def test_a_question_in_another_language_than_the_last_turn_starts_a_new_topic():
    from assistant.answering.condensing import condense
    from assistant.answering.records import Turn
    from assistant.core.config import Settings

    history = [Turn("非常停止ボタンはそれぞれどこにありますか", "操作盤の正面と機械の左右側面", "")]
    question = "What if it fails with error 809?"  # leans on "it", but not on a Japanese turn
    assert condense(question, history, Settings(), WORDS) == question


@pytest.mark.parametrize("written", [
    'You can call the "FedEx" extension, which is a secure way to unlock your account.',  # seen: an answer
    "Which extension does the FedEx desk use to unlock a locked account?",  # a name from nowhere
])
def test_a_rewrite_that_answers_or_invents_a_name_is_not_searched(written):
    from assistant.answering.condensing import rewrite
    from assistant.answering.records import Turn
    from assistant.core.config import Settings
    from tests.scripted_models import Scripted

    history = [Turn("How long is an account locked after too many wrong passwords?",
                    "After 5 wrong password attempts within 15 minutes, the account is locked for 30 minutes.")]
    question = "Which extension do I call to get it unlocked?"
    assert rewrite(question, history, Settings(), Scripted(written), WORDS) is None
    kept = "Which extension do I call to get my locked account unlocked after wrong password attempts?"
    assert rewrite(question, history, Settings(), Scripted(kept), WORDS) == kept
