"""Fusing the dense and keyword rankings into one: reciprocal rank fusion or normalised-score (convex) fusion."""

from __future__ import annotations

from assistant.core.config import RetrievalSettings


def rrf_fuse(
    dense: list[tuple[int, float]], keyword: list[tuple[int, float]], wd: float, wk: float, rrf_k: int
) -> dict[int, dict[str, float]]:
    """Weighted reciprocal rank fusion: score = wd / (rrf_k + dense rank) + wk / (rrf_k + keyword rank)."""
    fused: dict[int, dict[str, float]] = {}
    for name, ranking, w in (("dense", dense, wd), ("keyword", keyword, wk)):
        for rank, (cid, s) in enumerate(ranking, start=1):
            entry = fused.setdefault(cid, {"score": 0.0})
            entry[f"{name}_score"] = s
            entry[f"{name}_rank"] = rank
            entry["score"] += w / (rrf_k + rank)
    return fused


def convex_fuse(
    dense: list[tuple[int, float]], keyword: list[tuple[int, float]], wd: float, wk: float
) -> dict[int, dict[str, float]]:
    """Score fusion: each ranker's scores min-max normalised over its candidates, then weighted and summed.

    Unlike RRF it keeps how far ahead a top hit is, so one confident ranker is not evened out by the
    other's near-ties; a document missing from a ranker gets 0 from it.
    """
    fused: dict[int, dict[str, float]] = {}
    total = (wd + wk) or 1.0
    for name, ranking, w in (("dense", dense, wd), ("keyword", keyword, wk)):
        if not ranking:
            continue
        scores = [s for _, s in ranking]
        lo, hi = min(scores), max(scores)
        span = (hi - lo) or 1.0
        for rank, (cid, s) in enumerate(ranking, start=1):
            entry = fused.setdefault(cid, {"score": 0.0})
            entry[f"{name}_score"] = s
            entry[f"{name}_rank"] = rank
            entry["score"] += (w / total) * ((s - lo) / span if hi > lo else 1.0)
    return fused


def fuse(settings: RetrievalSettings, dense, keyword, wd: float, wk: float):  # noqa: ANN001, ANN201
    if settings.fusion == "convex":
        return convex_fuse(dense, keyword, wd, wk)
    return rrf_fuse(dense, keyword, wd, wk, settings.rrf_k)
