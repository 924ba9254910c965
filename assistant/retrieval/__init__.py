"""Hybrid retrieval over the knowledge base: dense (FAISS) + keyword (BM25), fused, filtered by the principal."""

from assistant.retrieval.searcher import MODES, Hit, Searcher, build_searcher

__all__ = ["MODES", "Hit", "Searcher", "build_searcher"]
