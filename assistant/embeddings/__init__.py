"""Embedding backends chosen by config; each is imported only when chosen."""

from __future__ import annotations

from assistant.core.config import EmbeddingSettings
from assistant.embeddings.base import BaseEmbedder


def load_embedder(settings: EmbeddingSettings) -> BaseEmbedder:
    if settings.backend == "sentence-transformers":
        from assistant.embeddings.sentence_transformers import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(settings)
    if settings.backend == "usem3":
        from assistant.embeddings.usem3 import USEEmbedder

        return USEEmbedder(settings)
    if settings.backend == "e5":
        from assistant.embeddings.e5 import E5Embedder

        return E5Embedder(settings)
    raise ValueError(f"unknown embedding backend {settings.backend!r}")  # pydantic already restricts this


__all__ = ["BaseEmbedder", "load_embedder"]
