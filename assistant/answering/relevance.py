"""Is the answer in the manuals at all? Two retrieval signals decide before any text is generated.

A small model does not reliably say "I don't know", so abstention is decided from retrieval:
- `dense`: cosine similarity of the closest passage to the question (the embedder's absolute score;
  fused scores are normalised per query and say nothing across queries);
- `coverage`: the idf-weighted share of the question's keyword terms that appear in the best source;
  a question about a topic the manuals never mention has words the index has never seen.
The question is answered when coverage + w * dense reaches a threshold; w and the threshold are calibrated
by bench/abstention.py (coverage separates in-scope from out-of-scope questions far better than the cosine
of this small embedder, which rates a Japanese question close to any Japanese passage).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.core.terms import weighted_share
from assistant.retrieval import Hit, Searcher


@dataclass(frozen=True)
class Relevance:
    dense: float
    coverage: float
    score: float
    answerable: bool

    def as_dict(self) -> dict[str, float | bool]:
        return {
            "dense": round(self.dense, 4),
            "coverage": round(self.coverage, 4),
            "score": round(self.score, 4),
            "answerable": self.answerable,
        }


def term_idf(searcher: Searcher, terms: Sequence[str]) -> dict[str, float]:
    """BM25-style idf per distinct term; a term absent from the index gets the highest idf possible."""
    terms = list(dict.fromkeys(terms))
    if not terms:
        return {}
    n = searcher.chunk_count
    df = searcher.document_frequencies(terms)
    return {t: math.log((n - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5) + 1.0) for t in terms}


def term_coverage(searcher: Searcher, question: str, hits: Sequence[Hit]) -> float:
    # Every word of the question counts here, question words included (いくら, "how"): a question about a topic the
    # manuals never mention is mostly words the index has never seen.
    idf = term_idf(searcher, searcher.tokenizer.tokens(question))
    best = 0.0
    for hit in hits:  # a section's headings say what its text is about (「4.1 起動」 over the start-up steps)
        words = searcher.tokenizer.tokens(" ".join([*hit.heading_path, hit.context or hit.text]))
        best = max(best, weighted_share(idf, words))
    return best


def assess(searcher: Searcher, question: str, hits: Sequence[Hit], dense_weight: float, threshold: float) -> Relevance:
    dense = max((h.dense_score for h in hits if h.dense_score is not None), default=0.0)
    coverage = term_coverage(searcher, question, hits)
    score = coverage + dense_weight * dense
    return Relevance(dense, coverage, score, bool(hits) and score >= threshold)
