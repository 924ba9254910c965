"""Optional cross-encoder reranking of the fused candidates (off by default on CPU).

No cross-encoder ships offline on PyPI, so the model is a local folder (for example a downloaded
bge-reranker or mmarco cross-encoder) named by retrieval.reranker_model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.core.errors import ModelLoadError


class CrossEncoderReranker:
    def __init__(self, model_path: str, threads: int = 1):
        path = Path(model_path).expanduser()
        if not model_path or not path.is_dir():
            raise ModelLoadError(
                f"retrieval.rerank is on but retrieval.reranker_model = '{model_path}' is not a local folder; "
                "point it at a cross-encoder model folder or set rerank = false"
            )
        import torch
        from sentence_transformers import CrossEncoder

        torch.set_num_threads(threads)
        try:
            self.model = CrossEncoder(str(path), device="cpu", local_files_only=True)
        except Exception as e:  # noqa: BLE001 - many loader error types mean "not a usable model"
            raise ModelLoadError(f"cannot load the cross-encoder in {path}: {e}") from e

    def rerank(self, query: str, hits: list[Any]) -> list[Any]:
        scores = self.model.predict([(query, h.text) for h in hits], show_progress_bar=False)
        for h, s in zip(hits, scores, strict=True):
            h.rerank_score = float(s)
        return sorted(hits, key=lambda h: (-h.rerank_score, h.id))
