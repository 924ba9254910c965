"""Chat model runtimes behind one small interface; each backend is imported only when configured."""

from __future__ import annotations

from pathlib import Path

from assistant.core.config import GenerationSettings
from assistant.llm.base import ChatMessage, ChatModel, GenerationParams


def load_chat_model(settings: GenerationSettings, cache_dir: Path | None = None) -> ChatModel:
    """`cache_dir` holds derived model files (re-quantised GGUF); settings.paths.data_dir / 'models' in the app."""
    if settings.backend == "llamacpp":
        from assistant.llm.llamacpp import LlamaCppChatModel

        return LlamaCppChatModel(settings, cache_dir)
    if settings.backend == "transformers":
        from assistant.llm.transformers_4bit import Transformers4BitChatModel

        return Transformers4BitChatModel(settings)
    if settings.backend == "openai":
        from assistant.llm.openai_compat import OpenAICompatChatModel

        return OpenAICompatChatModel(settings)
    raise ValueError(f"unknown generation backend {settings.backend!r}")  # pydantic already restricts this


__all__ = ["ChatMessage", "ChatModel", "GenerationParams", "load_chat_model"]
