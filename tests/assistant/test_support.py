"""The one-sentence support check: a generated sentence is shown only when one sentence of a source it cites holds
all its facts (numbers with units, names), most of its words, and is about the question. The three cases staff met
(a number from the wrong rule, an invented claim, an off-topic paragraph) are scripted outputs here."""

import pytest

from assistant.answering.citations import check_citations
from assistant.answering.support import SupportCheck
from assistant.core.facts import quantities
from assistant.core.terms import topic_weights
from assistant.kb.keywords import get_tokenizer

WORDS = get_tokenizer().tokens
LOCK = (
    "Account lock-out\nAfter 5 wrong password attempts within 15 minutes, the account is locked for 30 minutes. "
    "Call the IT Help Desk at extension 4321 to unlock it sooner."
)
VPN = (
    "VPN error 809\nError 809 means the VPN client SecureLink cannot reach the gateway. Check that you are connected "
    "to the internet, then restart SecureLink. If the error stays, call extension 4321."
)
PASSWORDS = "Passwords\nPasswords expire every 180 days. A new password must have at least 12 characters."
IDF = {w: 2.0 for w in WORDS(LOCK + VPN + PASSWORDS)} | {"password": 0.8, "account": 1.2}


def check(sentence: str, question: str, sources=(LOCK, VPN, PASSWORDS), evidence=()):
    weights = topic_weights(question, WORDS, IDF)
    support = SupportCheck(list(sources), WORDS, weights, list(evidence))
    return check_citations(sentence, len(sources), words=WORDS, withhold_unsupported=True,
                           source_texts=list(sources), source_words=[set(WORDS(s)) for s in sources],
                           support=support)


LOCK_Q = "How long is an account locked after too many wrong passwords?"


def test_case_1_a_number_from_another_rule_is_withheld():
    out, report = check("The answer is: 180 days [3].", LOCK_Q, evidence=[(1, 17, 120)])
    assert "180" not in out
    assert report.withheld == ["The answer is: 180 days [3]."]


def test_the_right_number_from_the_evidence_sentence_is_shown():
    out, report = check("The account is locked for 30 minutes [1].", LOCK_Q, evidence=[(1, 17, 120)])
    assert out == "The account is locked for 30 minutes [1]."
    assert report.supports and report.supports[0].source == 1


def test_a_number_with_another_unit_is_withheld():
    out, report = check("The account is locked for 30 seconds [1].", LOCK_Q, evidence=[(1, 17, 120)])
    assert out == "" and "30 second" in report.reasons[0]


def test_facts_spread_over_two_sentences_of_one_source_are_withheld():
    # 5 attempts is in the first sentence, extension 4321 in the second: no one sentence says both.
    out, report = check("After 5 wrong attempts, call extension 4321 [1].", LOCK_Q, evidence=[(1, 17, 120)])
    assert out == "" and report.withheld


def test_case_2_an_invented_claim_is_withheld():
    q = "What if it fails with error 809?"
    shown, _ = check("Error 809 means SecureLink cannot reach the gateway [2].", q)
    assert shown.startswith("Error 809 means")
    out, report = check("SecureLink lets you access your company's network from anywhere on the planet [2].", q)
    assert out == "" and "words" in report.reasons[0]


def test_case_3_a_sentence_from_an_unrelated_passage_is_withheld():
    physics = "Gases\nAn ideal gas obeys the law pV = nRT at low pressure. 71% of the population does not go online."
    out, report = check("71% of the population does not go online [1].",
                        "What is the boiling point of water at high altitude?", sources=(physics,))
    assert out == "" and "not about the question" in report.reasons[0]


def test_an_uncited_sentence_that_says_something_is_withheld():
    out, report = check("The lock lasts half an hour.", LOCK_Q, evidence=[(1, 17, 120)])
    assert out == "" and report.withheld


def test_japanese_amount_and_unit():
    src = "第10条 日当\n日帰り出張の日当は1日2,000円とする。宿泊を伴う出張の日当は1日3,000円とする。"
    q = "日帰り出張の日当はいくらですか？"
    ok, _ = check("日帰り出張の日当は1日2,000円です[1]。", q, sources=(src,), evidence=[(1, 7, 26)])
    assert ok == "日帰り出張の日当は1日2,000円です[1]。"
    bad, report = check("日帰り出張の日当は1日3,000円です[1]。", q, sources=(src,), evidence=[(1, 7, 26)])
    assert bad == "" and report.withheld


def test_one_splitter_an_abbreviation_does_not_end_a_sentence():
    src = "Contacts\nFor a lost badge call Mr. Sato at extension 4321."
    out, report = check("Call Mr. Sato at extension 4321 [1].", "Who do I call about a lost badge?", sources=(src,))
    assert out == "Call Mr. Sato at extension 4321 [1]." and not report.withheld


@pytest.mark.parametrize(("text", "pairs"), [
    ("locked for 30 minutes", {("30", "minute")}),
    ("30分間ロックされます", {("30", "分")}),
    ("1日2,000円", {("1", "日"), ("2000", "円")}),
    ("3 or more, ext. 4321 for help", set()),
    ("15℃未満", {("15", "°c")}),
])
def test_quantities(text, pairs):
    assert quantities(text) == pairs


def test_numbers_written_as_words_are_facts_too():
    """Found by reading shown summaries (bench/summaries.py): 'a two-thirds majority' from a source that says an
    absolute or three-fifths majority was shown."""
    src = ("Constitution\nThe Victorian Constitution can be amended by the Parliament of Victoria, except for certain "
           "provisions that require an absolute majority in both houses or a three-fifths majority.")
    q = "What group can amend the Victorian constitution?"
    bad, report = check("The constitution can be amended by the Parliament of Victoria, except provisions that "
                        "require a two-thirds majority [1].", q, sources=(src,), evidence=[(1, 13, 200)])
    assert bad == "" and "two" in report.reasons[0]
    ok, _ = check("The Victorian Constitution can be amended by the Parliament of Victoria [1].", q, sources=(src,),
                  evidence=[(1, 13, 200)])
    assert ok.startswith("The Victorian Constitution")
