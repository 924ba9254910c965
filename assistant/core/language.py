"""Which language a text is in, as far as this product needs to know: Japanese or English."""

from __future__ import annotations

import re

_JA = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def contains_japanese(text: str) -> bool:
    return bool(_JA.search(text))


def language_of(text: str) -> str:
    """The answer language follows the question: any Japanese script makes it Japanese."""
    return "ja" if contains_japanese(text) else "en"
