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
