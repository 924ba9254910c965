"""Scores for the evaluation command: retrieval recall@k and MRR, answer exact match and F1, citation
precision, abstention precision/recall, with bootstrap 95% confidence intervals for small sets.

F1 follows SQuAD: English by words (lower-case, punctuation and articles removed), Japanese by characters
after NFKC (Japanese has no spaces; character F1 is the usual JSQuAD measure).
"""

from __future__ import annotations

import math
import random
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence

from assistant.core.language import contains_japanese

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation) | set("、。，．・「」『』（）［］【】！？：；〜ー―…")
_CITATION = re.compile(r"\[\d+\]")


def normalize_answer(text: str) -> str:
    """SQuAD normalisation after NFKC; citation markers like [1] are not part of an answer."""
    text = _CITATION.sub(" ", unicodedata.normalize("NFKC", text)).lower()
    text = "".join(" " if c in _PUNCT else c for c in text)
    if not contains_japanese(text):
        text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def answer_units(text: str) -> list[str]:
    """Characters (no spaces) for Japanese, words for everything else."""
    norm = normalize_answer(text)
    return [c for c in norm if not c.isspace()] if contains_japanese(norm) else norm.split()


def exact_match(prediction: str, references: Sequence[str]) -> float:
    p = normalize_answer(prediction)
    return float(any(p == normalize_answer(r) for r in references))


def contains_answer(prediction: str, references: Sequence[str]) -> float:
    """1.0 when a normalised reference occurs in the normalised answer: a generated sentence that holds the
    gold span is right even though its exact match is 0 (SQuAD spans are a few words, answers are sentences)."""
    p = f" {normalize_answer(prediction)} "
    for ref in references:
        r = normalize_answer(ref)
        # Japanese text has no spaces around a Latin or numeric span ("識字率は83.8%"): compare without spaces.
        japanese = contains_japanese(r) or contains_japanese(p)
        if r and (r.replace(" ", "") in p.replace(" ", "") if japanese else f" {r} " in p):
            return 1.0
    return 0.0


def f1(prediction: str, references: Sequence[str]) -> float:
    """Best F1 over the references."""
    pred = answer_units(prediction)
    best = 0.0
    for ref in references:
        gold = answer_units(ref)
        common = sum((Counter(pred) & Counter(gold)).values())
        if not pred or not gold:
            best = max(best, float(pred == gold))
            continue
        if common:
            precision, recall = common / len(pred), common / len(gold)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def character_error_rate(read: str, truth: str) -> float:
    """OCR's character error rate: edit distance / length of the truth, after NFKC, with whitespace removed
    (OCR and PDF text wrap lines differently; the characters are what a search needs)."""
    a = "".join(unicodedata.normalize("NFKC", read).split())
    b = "".join(unicodedata.normalize("NFKC", truth).split())
    if not b:
        return float(bool(a))
    previous = list(range(len(a) + 1))
    for i, cb in enumerate(b, start=1):
        current = [i]
        for j, ca in enumerate(a, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1] / len(b)


def rank_of_gold(retrieved: Sequence[str], gold: set[str]) -> int | None:
    """1-based rank of the first retrieved key that is gold (keys: 'file#page' or passage ids)."""
    for i, key in enumerate(retrieved, start=1):
        if key in gold:
            return i
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> list[float]:
    return [float(r is not None and r <= k) for r in ranks]


def reciprocal_ranks(ranks: Sequence[int | None], k: int = 10) -> list[float]:
    return [1.0 / r if r is not None and r <= k else 0.0 for r in ranks]


def ndcg_at(ranks: Sequence[int | None], k: int = 10) -> list[float]:
    """nDCG@k with one relevant unit per question (the ideal DCG is 1): 1 / log2(rank + 1)."""
    return [1.0 / math.log2(r + 1) if r is not None and r <= k else 0.0 for r in ranks]


def citation_precision(cited: Sequence[str], gold: set[str]) -> float | None:
    """Share of cited keys that are gold; None when nothing was cited (not counted, reported separately)."""
    if not cited:
        return None
    return sum(1 for c in cited if c in gold) / len(cited)


def abstention_scores(abstained: Sequence[bool], unanswerable: Sequence[bool]) -> dict[str, float | None]:
    """Precision: abstentions that were right; recall: unanswerable questions abstained on."""
    tp = sum(1 for a, u in zip(abstained, unanswerable, strict=True) if a and u)
    n_abstained = sum(abstained)
    n_unanswerable = sum(unanswerable)
    return {
        "precision": tp / n_abstained if n_abstained else None,
        "recall": tp / n_unanswerable if n_unanswerable else None,
        "abstained": n_abstained,
        "unanswerable": n_unanswerable,
    }


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def bootstrap_ci(
    values: Sequence[float],
    stat: Callable[[Sequence[float]], float | None] = mean,
    n: int = 2000,
    seed: int = 0,
) -> tuple[float, float] | None:
    """Percentile 95% interval of `stat` over resamples; seeded, so a report is reproducible."""
    if len(values) < 2:
        return None
    rng = random.Random(seed)
    stats = sorted(s for _ in range(n) if (s := stat([rng.choice(values) for _ in values])) is not None)
    if not stats:
        return None
    return stats[int(0.025 * (len(stats) - 1))], stats[int(0.975 * (len(stats) - 1))]


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100), as used for latency p50/p95."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(q / 100 * len(ordered)))) - 1]
