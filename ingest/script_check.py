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

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

# (first code point, script class); a class runs until the next entry. "native": scripts our manuals are written in.
_RANGES = [
    (0x0000, "native"),  # ASCII and Latin-1, Latin Extended A/B
    (0x0250, "ipa"),  # IPA extensions, spacing modifier letters
    (0x0300, "mark"),  # combining diacritical marks
    (0x0370, "greek"),  # Greek and Coptic
    (0x0400, "cyrillic"),
    (0x0530, "other"),  # Armenian, Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic…
    (0x0900, "other"),  # Indic scripts, Thai, Lao, Tibetan, Myanmar, Georgian
    (0x1100, "hangul"),  # Hangul Jamo
    (0x1200, "other"),  # Ethiopic, Cherokee, Canadian syllabics, Ogham, Runic, Khmer, Mongolian…
    (0x1D00, "ipa"),  # phonetic extensions
    (0x1E00, "native"),  # Latin Extended Additional
    (0x1F00, "greek"),  # Greek Extended
    (0x2000, "native"),  # punctuation, symbols, arrows, box drawing, enclosed numbers…
    (0x2C80, "other"),  # Coptic, Georgian supplement, Tifinagh, Ethiopic extended
    (0x2E80, "native"),  # CJK radicals, punctuation, kana, CJK ideographs, Yi… (the Japanese block)
    (0xA000, "other"),  # Yi, Lisu, Vai, Cyrillic/Latin extended B… (rare in manuals)
    (0xAC00, "hangul"),  # Hangul syllables
    (0xD7B0, "other"),
    (0xE000, "pua"),  # private use
    (0xF900, "native"),  # CJK compatibility ideographs, presentation forms, half/full width forms
    (0x10000, "other"),
    (0x20000, "native"),  # CJK extension B and beyond
]
_STARTS = [r[0] for r in _RANGES]
_CID = re.compile(r"\(cid:\d+\)")
_VOWELS = frozenset("aeiouAEIOU")
_ALIEN = {"ipa", "mark", "greek", "cyrillic", "other", "pua"}
_JUNK_CATEGORIES = {"Cc", "Cf", "Co", "Cn", "Cs"}


def script_of(ch: str) -> str:
    return _RANGES[bisect_right(_STARTS, ord(ch)) - 1][1]


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
