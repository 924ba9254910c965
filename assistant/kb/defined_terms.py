"""Acronyms and the terms they stand for, as a document defines them: 「アドレス・ベース・レジストリ（ABR）」,
「ABR（アドレス・ベース・レジストリ）」, "Address Base Registry (ABR)", "LTV (Loan to Value)". Learned when a document
is ingested (kb/writer.py keeps them per document) and used to search for either form when the other is asked
(retrieval/searcher.Searcher.expand). Written by hand: the patterns are about how Japanese and English documents
introduce a short form, which no kept library extracts.
"""

from __future__ import annotations

import re
import unicodedata

_SHORT = r"[A-Z][A-Za-z0-9&]{1,9}"
_JA_TERM = r"[ァ-ヶー一-龥々・A-Za-z0-9]{2,30}"
_EN_TERM = r"[A-Za-z][A-Za-z\-]*(?:[ \-][A-Za-z][A-Za-z\-]*){1,7}"
_PATTERNS = [
    re.compile(rf"(?P<long>{_JA_TERM})\s*[(（]\s*(?P<short>{_SHORT})\s*[)）]"),  # 金融安定理事会(FSB)
    # LTV(Loan to value), ABR（アドレス・ベース・レジストリ）
    re.compile(rf"(?<![A-Za-z])(?P<short>{_SHORT})\s*[(（]\s*(?P<long>{_JA_TERM}|{_EN_TERM})\s*[)）]"),
    re.compile(rf"(?P<long>{_EN_TERM})\s*\(\s*(?P<short>{_SHORT})\s*\)"),  # Address Base Registry (ABR)
]


_MINOR = {"of", "and", "to", "the", "for", "in", "on", "a", "an", "&"}


def _spelled(short: str, words: list[str]) -> str:
    """The last words of `words` whose initials spell `short` ("the Address Base Registry" → "Address Base
    Registry" for ABR); "" when none do."""
    capitals = [c for c in short if c.isupper()]
    for k in range(len(capitals), len(words) + 1):
        tail = words[-k:]
        initials = [w[0].upper() for w in tail if w.lower() not in _MINOR]
        if initials[: len(capitals)] == capitals and tail[0].lower() not in _MINOR:
            return " ".join(tail)
    return ""


def find_definitions(text: str) -> set[tuple[str, str]]:
    """(short form, long form) pairs the text defines. A short form has at least two capitals; an English long
    form must start with the short form's first letter, so "ISO (2019)" or "cost (USD)" is no definition."""
    text = unicodedata.normalize("NFKC", text)
    out: set[tuple[str, str]] = set()
    for n, pattern in enumerate(_PATTERNS):
        for m in pattern.finditer(text):
            short, long = m.group("short"), m.group("long").strip(" ・-")
            if sum(c.isupper() for c in short) < 2 or len(long) < 2 or long.upper() == short.upper():
                continue
            if re.fullmatch(r"[A-Za-z\- ]+", long):
                words = [w for w in re.split(r"[ \-]", long) if w]
                if n == 2:  # "the Address Base Registry (ABR)": the words that spell it
                    long = _spelled(short, words)
                elif len(words) < 2 or words[0][0].upper() != short[0].upper():
                    long = ""  # "LTV (Loan to value)" starts with its first letter; "ISO (see below)" does not
                if not long:
                    continue
            elif not re.search(r"[ァ-ヶ一-龥]", long) or len(long) < 3:
                continue  # 「ISO (2019)」「規格(JIS)」: not a spelled-out form
            out.add((short, long))
    return out
