"""Prompt files: both languages exist for every task, with the same placeholders, filled strictly."""

import pytest

from assistant.core.errors import AssistantError
from assistant.llm.prompts import PROMPTS_DIR, language_of, load_prompt, placeholders, render


@pytest.mark.parametrize("task", sorted({p.name.split(".")[0] for p in PROMPTS_DIR.glob("*.*.md")}))
def test_every_task_has_both_languages_with_the_same_placeholders(task):
    assert placeholders(load_prompt(task, "en")) == placeholders(load_prompt(task, "ja"))


def test_language_follows_the_question():
    assert language_of("日当はいくらですか？") == "ja"
    assert language_of("How much is the daily allowance?") == "en"


def test_render_fills_and_refuses_missing_or_unknown_values():
    text = render("qa-question", "ja", context="[1] 日帰り出張は1日2,000円。", question="日当は？")
    assert "[1] 日帰り出張は1日2,000円。" in text and text.rstrip().endswith("日当は？")
    rules = render("qa", "ja", not_found=render("not-found", "ja"))
    assert "「マニュアルには記載がありません。」" in rules
    with pytest.raises(AssistantError, match="needs context, question"):
        render("qa-question", "en")
    with pytest.raises(AssistantError, match="no placeholder for user"):
        render("qa", "en", not_found="x", user="bob")
    with pytest.raises(AssistantError, match="no prompts for language 'fr'"):
        load_prompt("qa", "fr")
