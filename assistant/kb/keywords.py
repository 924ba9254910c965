"""Keyword tokens for BM25: Japanese by words (SudachiPy morphological analysis), English by words.

Japanese has no spaces, so a whitespace tokenizer sees a whole sentence as one "word" and a character
tokenizer matches unrelated words sharing a kanji. Sudachi splits into dictionary words and gives
their normalised form (「行なう」 and 「行う」 match). Particles, auxiliaries, punctuation and common
English function words carry no topic and are dropped. ASCII words are lower-cased and reduced by
the classic S-stemmer (plural -> singular) so "passwords" finds "password".

The keyword index also holds the character bigrams of Japanese text (`index_terms`): they match where
the dictionary splits a compound differently in the question and in the manual, and a question's words and
bigrams together ranked JSQuAD's gold paragraph first more often than words alone (bench/RESULTS.md).
Only the index and its queries use them; word counts elsewhere (coverage, idf) stay words.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

from assistant.core.language import contains_japanese

_ASCII_WORD = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
_DROP_POS = {"補助記号", "空白", "助詞", "助動詞"}
STOPWORDS = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been being it its this that "
    "these those there here what which who whom whose when where why how do does did can could should would "
    "will shall may might must i you he she we they me him her us them my your our their not no yes than then "
    "so such into about over under up down out off also any all each".split()
)


def s_stem(word: str) -> str:
    """Harman's S-stemmer: only plural endings, so it never mangles a product name or a code."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def match_stem(word: str) -> str:
    """A looser stem for matching a question to a sentence only: "locked" and "lock", "resetting" and "reset".
    The index keeps `s_stem` (plurals only), which never merges two different terms of a manual."""
    if word.isascii() and word.isalpha() and len(word) > 5:
        for suffix in ("ing", "ed"):
            if word.endswith(suffix):
                stem = word[: -len(suffix)]
                return stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else stem
    return word


class KeywordTokenizer:
    """Thread-safe: Sudachi tokenizers are not, so each thread gets its own, all made from one dictionary.

    The dictionary is loaded once per process: a dictionary per thread cost ~170 MB each, which a server with
    20 concurrent requests paid 20 times (3.7 GiB peak RSS in bench/load.py)."""

    def __init__(self, mode: str = "B"):
        self.mode_name = mode
        self._local = threading.local()

    def _sudachi(self):  # noqa: ANN202
        tok = getattr(self._local, "tok", None)
        if tok is None:
            from sudachipy import SplitMode

            tok = _dictionary().create(mode=getattr(SplitMode, self.mode_name))
            self._local.tok = tok
        return tok

    def tokens(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFKC", text)
        if not contains_japanese(text):
            return self._ascii(text)
        out: list[str] = []
        # Sudachi has an input size limit; feed it paragraph by paragraph.
        for part in re.split(r"\n+", text):
            if not part.strip():
                continue
            for m in self._sudachi().tokenize(part[:40_000]):
                if m.part_of_speech()[0] in _DROP_POS:
                    continue
                surface = m.surface().strip()
                if not surface:
                    continue
                if surface.isascii():
                    out.extend(self._ascii(surface))
                else:
                    out.append(m.normalized_form())
        return out

    def index_terms(self, text: str) -> list[str]:
        """What the keyword index stores and is queried with: the words, then the bigrams of Japanese runs."""
        words = self.tokens(text)
        if not contains_japanese(text):
            return words
        return words + bigrams(text)

    def query_terms(self, text: str) -> list[str]:
        """index_terms of a question, less the bigrams of its frame (「とは何ですか」「を教えてください」): a pair of
        kana (or 何 beside one) matches every FAQ's question in the documents, whatever its topic."""
        return [t for t in self.index_terms(text)
                if not (t.startswith(BIGRAM_PREFIX) and _FRAME_PAIR.fullmatch(t[len(BIGRAM_PREFIX):]))]

    @staticmethod
    def _ascii(text: str) -> list[str]:
        return [s_stem(w) for w in _ASCII_WORD.findall(text.lower()) if w not in STOPWORDS]


_RUN = re.compile(r"[^\W_]+")
BIGRAM_PREFIX = "bg"  # keeps a bigram apart from a two-character word in the same index
_FRAME_PAIR = re.compile(r"[\u3041-\u309f何]{2}")


def bigrams(text: str) -> list[str]:
    """Character bigrams of the non-ASCII runs of `text` (a one-character run is kept whole)."""
    out: list[str] = []
    for run in _RUN.findall(unicodedata.normalize("NFKC", text).lower()):
        if run.isascii():
            continue
        out.extend(BIGRAM_PREFIX + run[i : i + 2] for i in range(max(1, len(run) - 1)))
    return out


_DICTIONARY_LOCK = threading.Lock()
_DICTIONARY: list = []


def _dictionary():  # noqa: ANN202 - sudachipy.Dictionary, imported lazily
    """The one Sudachi dictionary of this process, loaded by the first thread that needs it."""
    with _DICTIONARY_LOCK:
        if not _DICTIONARY:
            from sudachipy import Dictionary

            _DICTIONARY.append(Dictionary(dict="core"))
        return _DICTIONARY[0]


@lru_cache(maxsize=4)
def get_tokenizer(mode: str = "B") -> KeywordTokenizer:
    return KeywordTokenizer(mode)
