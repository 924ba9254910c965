"""The checkable facts of a sentence: numbers, amounts, dates, durations, extensions, error codes, product names,
katakana and capitalised terms. A generated sentence may be shown only when every one of them occurs in a source
it cites: small models copy a sentence's words faithfully and change its number ("24 hours" for "12 hours").

Text is compared after NFKC (full-width digits and letters become ASCII), with thousands separators removed and
kanji numerals (三千, 十二, 2万) written as digits, so 「3,000円」, 「３０００円」 and 「三千円」 are the same fact.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from assistant.core.sentences import sentence_spans

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "两": 2}
_SMALL = {"十": 10, "百": 100, "千": 1000}
_LARGE = {"万": 10_000, "億": 100_000_000}
_KANJI_NUMBER = re.compile(r"[0-9〇零一二三四五六七八九十百千万億]+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
NUMBER = re.compile(r"\d+(?:\.\d+)?")
CODE = re.compile(r"\b[A-Za-z]+[-_]?\d[\w-]*\b|\b\d+[A-Za-z]+\w*\b")  # E-691, v2, 4G, 2FA
KATAKANA = re.compile(r"[ァ-ヺー]{3,}")
CAPITALISED = re.compile(r"\b[A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9]*\b|\b[A-Z][a-z]{2,}\b")
CITATION = re.compile(r"\[\d+\]")
# Numbers written as words, and "none": "a two-thirds majority [1]" where the source says three-fifths, or "the
# number of treaties that protected rights" where it says none did, must be checked like digits.
NUMBER_WORDS = re.compile(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand"
    r"|million|billion|half|halves|thirds?|quarters?|fifths?|twice|double|triple|none)\b",
    re.I,
)
# Words that bound a number ("within 15 minutes", "at least 3 days", "3営業日前まで"). A small model swaps them
# ("after 15 minutes") while keeping the number, so a bounded number must keep its bound.
_BOUNDS_BEFORE = re.compile(
    r"(?:\b(within|after|before|by|until|up to|at least|at most|more than|less than|over|under|no later than|"
    r"every|per|from|since)\s+)$"
)
_BOUNDS_AFTER = re.compile(r"^[^\d\s]{0,4}?(以上|以下|未満|以内|超|前まで|前|後|まで|から|ごと|毎)")
LIST_NUMBER = re.compile(r"^\s*\d{1,3}\s*[.)．]\s+")  # "8. " opening a list item is not a fact
# Capitalised words that are grammar, not facts: sentence openers and the like.
COMMON = frozenset(
    "The This That These Those There Here It Its If When Where What Which Who How Why Yes No Not You Your We Our "
    "They Their He She His Her A An And Or But For To In On At By Of As Is Are Be Please Note Also Then After "
    "Before Each Every All Any Some One Two First Second Third Finally Source Sources Manual Manuals See Use Call "
    "Ask Open Click Go Contact Do Does Did Can Could Should Must May Will Would".split()
)


def _kanji_to_int(token: str) -> int | None:
    """三千五百 -> 3500, 十二 -> 12, 2万 -> 20000; None when the token is not a number written that way."""
    if token.isdigit():
        return None
    total, section, digit = 0, 0, None
    for ch in token:
        if ch.isdigit():
            digit = (digit or 0) * 10 + int(ch)
        elif ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _SMALL:
            section += (digit if digit is not None else 1) * _SMALL[ch]
            digit = None
        elif ch in _LARGE:
            total += (section + (digit or 0) or 1) * _LARGE[ch]
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def normalise(text: str) -> str:
    """NFKC, lower case, no thousands separators, kanji numerals as digits."""
    text = unicodedata.normalize("NFKC", text)
    text = _THOUSANDS.sub("", text)

    def kanji(m: re.Match[str]) -> str:
        value = _kanji_to_int(m.group(0))
        return str(value) if value is not None and any(c not in "一" for c in m.group(0)) else m.group(0)

    text = _KANJI_NUMBER.sub(kanji, text)
    return text.lower()


def facts_in(sentence: str) -> set[str]:
    """The facts a reader would take from the sentence, normalised (citation markers are not facts)."""
    raw = LIST_NUMBER.sub("", CITATION.sub(" ", unicodedata.normalize("NFKC", sentence)))
    flat = normalise(raw)
    found = set(NUMBER.findall(flat))
    found |= {c.lower() for c in CODE.findall(raw)}
    found |= set(KATAKANA.findall(raw))
    found |= {w.lower() for w in CAPITALISED.findall(raw) if w not in COMMON}
    found |= {w.lower() for w in NUMBER_WORDS.findall(raw)}
    return found


def unsupported(
    sentence: str, sources: list[str], words: Callable[[str], list[str]] | None = None
) -> list[str]:
    """The facts of `sentence` that its sources do not back (empty: every fact is backed).

    A name or term must occur in a source. A number must occur there in the same context: in a source sentence that
    also holds at least half of the sentence's other words when `words` is given, so "the lock lasts 180 days" is
    not backed by "passwords expire every 180 days".
    """
    facts = facts_in(sentence)
    if not facts:
        return []
    flat = [normalise(s) for s in sources]
    windows = _windows(sources, words) if words is not None else [(n, set()) for n in flat]
    content: set[str] = set()
    if words is not None:
        content = {w for w in words(CITATION.sub(" ", sentence)) if not NUMBER.fullmatch(normalise(w))}
    need = (len(content) + 1) // 2
    missing = []
    for fact in sorted(facts):
        if NUMBER.fullmatch(fact):
            bounds = _bounds(fact, normalise(CITATION.sub(" ", sentence)))
            ok = any(
                _has_number(fact, text) and len(content & wset) >= need and bounds <= _bounds(fact, text)
                for text, wset in windows
            )
        else:
            ok = any(fact in s for s in flat)
        if not ok:
            missing.append(fact)
    return missing


def holds_fact(fact: str, flat: str, sentence: str) -> bool:
    """Whether normalised text `flat` holds `fact` of `sentence`: a number with the bounds it has there ("within",
    「以上」), any other fact as it stands."""
    if NUMBER.fullmatch(fact):
        return _has_number(fact, flat) and _bounds(fact, normalise(CITATION.sub(" ", sentence))) <= _bounds(fact, flat)
    return fact in flat


# Units written after a number. Japanese: a closed list, longest first, variants written one way. English: the next
# word, unless it is a function word ("3 or more", "4321 for help").
_JA_UNITS = (
    "営業日", "時間", "週間", "か月", "ヶ月", "カ月", "箇月", "ケ月", "分間", "秒間", "日間", "年間", "文字",
    "パーセント", "円", "日", "時", "分", "秒", "週", "月", "年", "回", "人", "名", "件", "台", "枚", "個", "本",
    "桁", "割", "歳", "階", "号", "条", "章", "点", "度", "%", "°c", "°",
)
_JA_SAME = {"ヶ月": "か月", "カ月": "か月", "箇月": "か月", "ケ月": "か月", "分間": "分", "秒間": "秒", "日間": "日",
            "年間": "年", "パーセント": "%"}
_QUANTITY = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)\s?(" + "|".join(re.escape(u) for u in _JA_UNITS) + r"|[a-z]{2,})"
)
_NOT_UNITS = frozenset(
    "and or to of the in on at for from with by as is are was be if per than then that this it its a an "
    "am pm st nd rd th".split()
)


def quantities(text: str) -> set[tuple[str, str]]:
    """(number, unit) pairs of `text`, normalised: 「30分間」 and "30 minutes" keep their unit, so a source sentence
    saying "30 seconds" does not back "30 minutes"."""
    found = set()
    for m in _QUANTITY.finditer(normalise(CITATION.sub(" ", text))):
        number, unit = m.group(1), m.group(2)
        if unit.isascii() and unit.isalpha():
            if unit in _NOT_UNITS:
                continue
            unit = unit[:-1] if len(unit) > 3 and unit.endswith("s") and not unit.endswith("ss") else unit
        found.add((str(_float(number)) if "." in number else number, _JA_SAME.get(unit, unit)))
    return found


def _windows(sources: list[str], words: Callable[[str], list[str]]) -> list[tuple[str, set[str]]]:
    """Each source sentence: normalised text and its words."""
    return [(normalise(src[a:b]), set(words(src[a:b]))) for src in sources for a, b in sentence_spans(src)]


def _bounds(number: str, text: str) -> set[str]:
    """The bounding words around each occurrence of `number` in (normalised) `text`."""
    found = set()
    for m in NUMBER.finditer(text):
        if m.group(0) != number and _float(m.group(0)) != _float(number):
            continue
        if before := _BOUNDS_BEFORE.search(text[max(0, m.start() - 24) : m.start()]):
            found.add(before.group(1))
        if after := _BOUNDS_AFTER.search(text[m.end() : m.end() + 8]):
            found |= {"前", "まで"} if after.group(1) == "前まで" else {after.group(1)}
    return found


def _has_number(fact: str, text: str) -> bool:
    numbers = set(NUMBER.findall(text))
    return fact in numbers or _same_number(fact, numbers)


def _same_number(fact: str, numbers: set[str]) -> bool:
    """12.0 and 12 are the same number."""
    try:
        value = float(fact)
    except ValueError:
        return False
    return any(_float(n) == value for n in numbers)


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
