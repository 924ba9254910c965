"""Evidence selection on hand-made passages: which sentences are shown, and with what context."""

from assistant.answering.evidence import find_evidence
from assistant.retrieval import Hit


def _hit(text: str, heading: list[str] | None = None) -> Hit:
    return Hit(1, "c1", 1, "/m.md", "m.md", None, False, 0, text, heading or [], 1, 1, context=text)


def _tokens(text: str) -> list[str]:
    return [w.strip(".,?!\"'").lower() for w in text.split() if w.strip(".,?!\"'")]


IDF = {w: 1.0 for w in "hyperbaric chambers oxygen treated carbon monoxide poisoning devices".split()}


def test_a_sentence_pointing_back_with_a_noun_phrase_is_shown_with_the_one_before():
    passage = (
        "The lobby has a cafe. Hyperbaric medicine uses special oxygen chambers to raise the pressure. "
        "Carbon monoxide poisoning is sometimes treated using these devices. The cafe opens at 8."
    )
    found = find_evidence("What is used to treat carbon monoxide poisoning?", [_hit(passage)], IDF, _tokens)
    quote = found.items[0].quote
    assert quote.startswith("Hyperbaric medicine uses special oxygen chambers")
    assert quote.endswith("treated using these devices.")
    assert passage[found.items[0].start : found.items[0].end] == found.items[0].text


def test_a_self_contained_sentence_is_shown_alone():
    passage = "The lobby has a cafe. Carbon monoxide poisoning is treated in hyperbaric chambers. The cafe opens at 8."
    found = find_evidence("Where is carbon monoxide poisoning treated?", [_hit(passage)], IDF, _tokens)
    assert [e.quote for e in found.items] == ["Carbon monoxide poisoning is treated in hyperbaric chambers."]


def test_a_sentence_opening_with_he_or_she_brings_the_one_naming_the_person():
    idf = {w: 1.0 for w in "oldest quarterback super bowl".split()}
    passage = "Peyton Manning led the Broncos. He is the oldest quarterback to play in a Super Bowl. Tickets sold out."
    found = find_evidence("Who is the oldest quarterback to play in a Super Bowl?", [_hit(passage)], idf, _tokens)
    assert "Peyton Manning" in found.items[0].quote


def test_a_yes_no_question_that_names_a_cost_asks_for_no_amount():
    from assistant.answering.answer_types import AMOUNT, has_type, question_type

    assert question_type("手直し費用を下請代金から減じることはできますか？") is None
    assert question_type("Can I claim the cost of a taxi?") is None
    assert question_type("出張の費用はいくらですか？") == AMOUNT
    assert question_type("宿泊費の上限額を教えてください。") == AMOUNT
    assert question_type("What is the cost of a taxi?") == AMOUNT
    assert has_type("預貯金は453兆円増加し", AMOUNT) and has_type("予算は1.2億円", AMOUNT)
