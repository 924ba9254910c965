"""Is this page's text real Japanese/English, or mojibake? Decided per page, before anything is indexed.

Two kinds of garbage come out of PDF text layers:
- junk code points: control codes, private use, unassigned, U+FFFD and pypdf's "(cid:N)" (a font without a Unicode
  map); `junk_share` counts them;
- real letters from the wrong scripts: a CID font read without its CMap gives the glyph numbers as code points, so
  Japanese kana come out as combining marks and Greek/Coptic (U+034A…U+03F2) and kanji as Cyrillic, Armenian,
  Arabic, Indic… ("͜͜Ͱ͖Ύ͏͔ͷͱΓ"). Each character is a valid letter, so the junk count misses it. What gives it away
  is that the letters belong to scripts a Japanese or English manual does not use AND switch script inside one
  word, which no real text does (a Greek or Russian page has the first property but not the second).
- Latin letters in a shifted encoding ("Wkh edgjh riilfh"): valid letters, but far too few vowels. English,
  German, French and the rest have 35-45% vowels among their letters, in prose, tables and indexes alike; a
  shifted or substituted alphabet has about 15-20%.

Written by hand: no library tells a script from a code point in the standard library, and the few ranges that
matter here are a short table (the Unicode Scripts.txt ranges they come from).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import regex

# (first code point, script class); a class runs until the next entry. "native": scripts our manuals are written in.
# Script classes by Unicode's own properties (the `regex` module's \p{Script=…} and \p{Block=…}), checked in order.
# IPA and phonetic letters are Latin by script but never in a ja/en manual: a CID font read without its map lands
# there, so they count as alien, as Greek and Cyrillic do.
_CLASSES = [
    ("pua", regex.compile(r"\p{Co}")),
    ("mark", regex.compile(r"\p{Script=Inherited}")),
    ("ipa", regex.compile(r"[\p{Block=IPA_Extensions}\p{Block=Spacing_Modifier_Letters}\p{Block=Phonetic_Extensions}"
                          r"\p{Block=Phonetic_Extensions_Supplement}]")),
    ("greek", regex.compile(r"\p{Script=Greek}")),
    ("cyrillic", regex.compile(r"\p{Script=Cyrillic}")),
    ("hangul", regex.compile(r"\p{Script=Hangul}")),
    ("native", regex.compile(r"[\p{Script=Latin}\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}"
                             r"\p{Script=Common}\p{Script=Bopomofo}\p{Cn}]")),
]
_CID = re.compile(r"\(cid:\d+\)")
_VOWELS = frozenset("aeiouAEIOU")
_ALIEN = {"ipa", "mark", "greek", "cyrillic", "other", "pua"}
_JUNK_CATEGORIES = {"Cc", "Cf", "Co", "Cn", "Cs"}


@functools.lru_cache(maxsize=65536)
def script_of(ch: str) -> str:
    """native (Latin of any extension, kana, kanji, punctuation) | ipa | mark | greek | cyrillic | hangul | pua |
    other (every other script)."""
    for name, pattern in _CLASSES:
        if pattern.match(ch):
            return name
    return "other"


@dataclass
class ScriptReport:
    letters: int
    junk_share: float  # unassigned, private use, controls, U+FFFD, (cid:N)
    alien_share: float  # letters from scripts a ja/en manual does not use
    switch_share: float  # adjacent letters inside one word from different script classes
    latin_letters: int  # ASCII letters
    latin_share: float  # share of the letters that are ASCII letters
    vowel_share: float  # share of the ASCII letters that are vowels

    def verdict(self, junk_ratio: float = 0.3) -> str | None:
        """Why the page is garbled, or None when it reads as real text."""
        if self.junk_share > junk_ratio:
            return f"{self.junk_share:.0%} unreadable characters (a font without a Unicode map)"
        if self.letters < 12:  # a page number, a date, a caption: too little to judge scripts by
            return None
        if self.alien_share >= 0.3 and self.switch_share >= 0.15:
            return (
                f"mojibake: {self.alien_share:.0%} of its letters are from scripts a Japanese or English manual does "
                f"not use, switching script inside words ({self.switch_share:.0%}); a CID font read without its map"
            )
        if self.latin_letters >= 100 and self.latin_share >= 0.6 and self.vowel_share < 0.22:
            return (
                f"mojibake: only {self.vowel_share:.0%} of its letters are vowels, where real text has 35-45% "
                "(a font with a wrong encoding)"
            )
        return None


def check_text(text: str) -> ScriptReport:
    text = _CID.sub("\ufffd", text)
    chars = [c for c in text if not c.isspace()]
    junk = sum(1 for c in chars if c == "\ufffd" or unicodedata.category(c) in _JUNK_CATEGORIES)
    letters = alien = pairs = switches = latin = vowels = 0
    previous: str | None = None
    for c in text:
        category = unicodedata.category(c)
        if category[0] not in "LM" and category not in ("Co", "Cn"):
            previous = None  # a space, digit or punctuation ends the word
            continue
        script = script_of(c)
        letters += 1
        latin += c.isascii()
        vowels += c in _VOWELS
        alien += script in _ALIEN
        if previous is not None:
            pairs += 1
            switches += script != previous
        previous = script
    return ScriptReport(
        letters=letters,
        junk_share=junk / len(chars) if chars else 0.0,
        alien_share=alien / letters if letters else 0.0,
        switch_share=switches / pairs if pairs else 0.0,
        latin_letters=latin,
        latin_share=latin / letters if letters else 0.0,
        vowel_share=vowels / latin if latin else 0.0,
    )


def garbled_reason(text: str, junk_ratio: float = 0.3) -> str | None:
    """None for readable text; otherwise why this page's text cannot be trusted."""
    return check_text(text).verdict(junk_ratio)
