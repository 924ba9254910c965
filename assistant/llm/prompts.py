"""Prompt files from prompts/: loaded by task and language, filled strictly (a missing value is an error)."""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from assistant.core.config import BUNDLED_PROMPTS
from assistant.core.errors import AssistantError
from assistant.core.language import language_of

# The bundled prompts; a deployment points settings.paths.prompts_dir elsewhere to customise them.
PROMPTS_DIR = BUNDLED_PROMPTS
LANGUAGES = ("en", "ja")
__all__ = ["language_of", "load_prompt", "render"]


@lru_cache(maxsize=32)
def load_prompt(task: str, lang: str, directory: Path = PROMPTS_DIR) -> str:
    if lang not in LANGUAGES:
        raise AssistantError(f"no prompts for language '{lang}' (have: {', '.join(LANGUAGES)})")
    path = directory / f"{task}.{lang}.md"
    if not path.is_file():
        raise AssistantError(f"prompt file missing: {path}")
    return path.read_text(encoding="utf-8").strip()


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def render(task: str, lang: str, directory: Path = PROMPTS_DIR, **values: str) -> str:
    """Fill a prompt; `directory` is settings.paths.prompts_dir (the bundled folder by default)."""
    template = load_prompt(task, lang, directory)
    needed = placeholders(template)
    if missing := needed - values.keys():
        raise AssistantError(f"prompt {task}.{lang} needs {', '.join(sorted(missing))}")
    if extra := values.keys() - needed:
        raise AssistantError(f"prompt {task}.{lang} has no placeholder for {', '.join(sorted(extra))}")
    return template.format(**values)
