"""The embedder interface every backend implements: LangChain's `Embeddings` plus what the store needs."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.core.config import EmbeddingSettings
from assistant.core.model_files import package_root


def resolve_model_ref(ref: str) -> Path | str:
    """Turn a configured model reference into a local folder, or return a plain name for the local cache.

    'pkg:NAME' locates a model shipped inside an installed Python package (found through the import
    system, never a hard-coded site-packages path); an existing path is used as is.
    """
    if ref.startswith("pkg:"):
        root = package_root(ref[4:], "embedding.model")
        for cand in (root / "model", root):
            if (cand / "config.json").is_file() or (cand / "modules.json").is_file():
                return cand
        return root
    p = Path(ref).expanduser()
    if p.exists():
        return p
    return ref


class BaseEmbedder(Embeddings):
    """Batched, normalised float32 vectors with the model's query/passage roles applied.

    Subclasses implement `_encode(texts, is_query)` and `count_tokens`; `identity` is what the
    knowledge base records so it is never queried with a different model.
    """

    backend: str = ""

    def __init__(self, settings: EmbeddingSettings):
        self.settings = settings
        self.dim: int = 0
        self.max_tokens: int = settings.max_tokens or 256

    @property
    def identity(self) -> dict[str, object]:
        s = self.settings
        return {
            "backend": self.backend,
            "model": s.model,
            "dim": self.dim,
            "normalize": s.normalize,
            "passage_prefix": s.passage_prefix,
            "query_prefix": s.query_prefix,
        }

    @abstractmethod
    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray: ...

    @abstractmethod
    def count_tokens(self, text: str) -> int: ...

    def _finish(self, vecs: np.ndarray) -> np.ndarray:
        vecs = np.asarray(vecs, dtype=np.float32)
        if vecs.ndim == 1:
            vecs = vecs[None, :]
        if self.settings.normalize:
            norms = np.linalg.norm(vecs, axis=1, keepdims=True)
            vecs = vecs / np.maximum(norms, 1e-12)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        pre = self.settings.passage_prefix
        out = []
        bs = self.settings.batch_size
        for i in range(0, len(texts), bs):
            out.append(self._finish(self._encode([pre + t for t in texts[i : i + bs]], False)))
        return np.vstack(out)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        pre = self.settings.query_prefix
        return self._finish(self._encode([pre + t for t in texts], True))

    # LangChain interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0].tolist()
