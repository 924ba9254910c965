"""Sentence boundaries: evidence is cut at them, so a wrong cut shows half a sentence (bench/evidence.py)."""

from assistant.core.sentences import sentence_spans, split_sentences


def _pieces(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def test_initials_and_abbreviations_do_not_end_a_sentence():
    text = "The office is headed by Nicholas E. Golovin. Forms, e.g. the travel form, are in Fig. 3. Call Mr. Sato."
    assert _pieces(text) == [
        "The office is headed by Nicholas E. Golovin.",
        "Forms, e.g. the travel form, are in Fig. 3.",
        "Call Mr. Sato.",
    ]
    assert len(split_sentences(text)) == 3


def test_ordinary_ends_still_split_in_both_languages():
    assert _pieces("It works. Restart the PC! Is it on? Yes.") == ["It works.", "Restart the PC!", "Is it on?", "Yes."]
    assert _pieces("日当は2,000円です。宿泊費は実費．以上") == ["日当は2,000円です。", "宿泊費は実費．", "以上"]


def test_a_sentence_ending_in_a_capital_letter_word_still_ends():
    assert _pieces("Connect to the VPN. Then open SAP. Done.") == ["Connect to the VPN.", "Then open SAP.", "Done."]


def test_a_table_row_is_one_sentence_even_when_its_cells_hold_sentences():
    passage = ("期限は次の表のとおり。\n項目 | 行動内容 | 期限\n"
               "(4) | 共同システムの実用化 | 実用化を図る。政府広報も活用する。 | 令和6年春\n以上。")
    pieces = [passage[a:b] for a, b in sentence_spans(passage)]
    assert pieces == ["期限は次の表のとおり。", "項目 | 行動内容 | 期限",
                      "(4) | 共同システムの実用化 | 実用化を図る。政府広報も活用する。 | 令和6年春", "以上。"]


def test_a_full_stop_inside_brackets_does_not_end_the_sentence():
    """「（以下「会社」という。）における…」: the bracket closes after 。 (on the next line too: a PDF wrapped)."""
    text = ("日本たばこ産業株式会社(以下「会社」という。\n)における事務は、この要領による。"
            "「禁止する。」と定める。次の文。")
    assert _pieces(text) == ["日本たばこ産業株式会社(以下「会社」という。\n)における事務は、この要領による。",
                             "「禁止する。」と定める。", "次の文。"]
    assert split_sentences("要領(以下「法」という。)による。次。") == ["要領(以下「法」という。)による。", "次。"]
