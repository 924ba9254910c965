"""The E-Manual bench set is built from the dev data as documented: five manuals, section gold that exists in the
index's terms, paraphrases paired with their originals. Skipped where ../shared/data/dev is absent."""

import pytest

from bench import emanual_corpus
from bench.retrieval import DEV, rank_of

EMANUAL = DEV / "emanual-qa"
pytestmark = pytest.mark.skipif(not EMANUAL.is_dir(), reason="../shared/data/dev/emanual-qa is absent")


def test_the_emanual_set_has_every_question_with_a_gold_section_of_its_manual():
    files, questions = emanual_corpus.load(EMANUAL)
    assert set(files) == set(emanual_corpus.MANUALS)
    assert len(questions) == 734  # 684 TV questions + 50 Galaxy S10 questions, all with a gold section
    headings = {
        f"{name}>{line.lstrip('#').strip()}" for name, text in files.items() for line in text.splitlines()
        if line.startswith("#")
    }  # fmt: skip
    assert all(q.gold and q.gold <= headings for q in questions)
    paired = [q for q in questions if q.original]
    assert len(paired) == 198 and all(q.kind == "paraphrased" for q in paired)
    assert not any("t5_para" in text or "<h2" in text for text in files.values())  # generated questions left out


def test_rankings_are_scored_on_distinct_units():
    gold = frozenset({"tv.md>Reset"})
    assert rank_of(gold, ["a>x", "a>x", "a>y", "tv.md>Reset"]) == 3
    assert rank_of(gold, ["a>x"]) is None
