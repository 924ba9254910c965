"""Citation checking on streamed text: invalid numbers go, variants are normalised, uncited sentences that
repeat a source get its number, and the streamed text is the final text whatever the piece boundaries."""

import pytest

from assistant.answering.citations import CitationChecker, check_citations
from assistant.kb.keywords import get_tokenizer

WORDS = get_tokenizer().tokens
SOURCES = [
    set(WORDS("After 5 wrong password attempts within 15 minutes, the account is locked for 30 minutes.")),
    set(WORDS("Use the VPN client SecureLink that is installed on every company laptop.")),
]


def stream(text: str, size: int, **kw) -> tuple[str, object]:
    checker = CitationChecker(2, **kw)
    out = "".join(checker.feed(text[i : i + size]) for i in range(0, len(text), size)) + checker.finish()
    return out, checker.report


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_invalid_numbers_are_removed_whatever_the_piece_size(size):
    out, report = stream("The client is SecureLink [2]. Lockout lasts 30 minutes [7]. See [1, 9].", size)
    assert out == "The client is SecureLink [2]. Lockout lasts 30 minutes. See [1]."
    assert report.cited == [2, 1] and report.removed == ["[7]", "[9]"]


def test_variants_are_written_canonically():
    out, report = check_citations("日当は3,000円です［１］。上限は【2】です。両方 [Source 1, 2]。", 2)
    assert out == "日当は3,000円です[1]。上限は[2]です。両方 [1][2]。"
    assert report.cited == [1, 2]


def test_a_citation_after_the_full_stop_stays_with_its_sentence():
    out, report = stream("It is SecureLink. [2] Next sentence.", 1)
    assert out == "It is SecureLink. [2] Next sentence."
    assert report.cited == [2]


def test_brackets_that_are_not_citations_pass_unchanged():
    text = "Open [Settings] then [this link](https://x.example) and type [y/n]. Unclosed [1"
    assert check_citations(text, 2)[0] == text


def test_uncited_sentence_gets_the_source_it_repeats():
    out, report = check_citations(
        "The account is locked for 30 minutes after 5 wrong attempts. Have a nice day.",
        2,
        source_words=SOURCES,
        words=WORDS,
        min_overlap=0.6,
    )
    assert out == "The account is locked for 30 minutes after 5 wrong attempts [1]. Have a nice day."
    assert report.attributed == [1] and report.cited == [1]


def test_unsupported_sentences_are_withheld_when_asked():
    out, report = check_citations(
        "The account is locked for 30 minutes. Paris is lovely in spring. Yes. It is [2].",
        2,
        source_words=SOURCES,
        words=WORDS,
        withhold_unsupported=True,
    )
    assert out == "The account is locked for 30 minutes [1]. Yes. It is [2]."
    assert report.withheld == ["Paris is lovely in spring."]


def test_recited_instructions_are_withheld():
    rules = "After each fact, cite its source number in square brackets, like [1] or [2]. Use only the sources."
    out, report = check_citations(
        "After each fact, cite its source number in square brackets, like [1] or [2]. Lockout is 30 minutes [1].",
        2,
        source_words=SOURCES,
        words=WORDS,
        withhold_unsupported=True,
        instructions=rules,
    )
    assert out.strip() == "Lockout is 30 minutes [1]."
    assert report.withheld[0].startswith("After each fact") and report.cited == [1]


def test_a_repeated_question_is_no_answer():
    out, report = check_citations(
        "質問: 日帰り出張の日当はいくら[1]？ 日帰り出張の日当は2,000円です[1]。",
        1,
        source_words=[set(WORDS("日帰り出張は1日2,000円とする。"))],
        words=WORDS,
        withhold_unsupported=True,
        question="質問: 日帰り出張の日当はいくらですか？",
    )
    assert out.strip() == "日帰り出張の日当は2,000円です[1]。"
    assert report.withheld == ["質問: 日帰り出張の日当はいくら[1]？"]


def test_no_attribution_for_the_not_found_phrase_or_unrelated_text():
    out, report = check_citations(
        "The manuals do not cover this. Paris is the capital of France.",
        2,
        source_words=SOURCES,
        words=WORDS,
        no_attribution=("The manuals do not cover this.",),
    )
    assert "[" not in out and report.cited == []


def test_an_answer_of_bare_list_markers_shows_nothing():
    out, _ = check_citations("- 1.\n- 3.\n2)", 1, source_words=[{"1", "3"}], words=WORDS, withhold_unsupported=True)
    assert out == ""
    out, _ = check_citations("1. The lock lasts 30 minutes [1].\n2.", 1, words=WORDS)
    assert out == "1. The lock lasts 30 minutes [1]."
