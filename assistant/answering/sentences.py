"""Sentence splitting for Japanese and English text (sources and answers): after . ! ? followed by white
space, after 。！？, and at line breaks. Pieces keep their trailing characters, so joining them restores the text."""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"(?<=[.!?])(?=\s)|(?<=[。！？\n])")


def split_sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text) if s]
