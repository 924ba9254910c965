"""llama.cpp backend (llama-cpp-python): a GGUF 4-bit model on the CPU, the default runtime.

Loaded directly rather than through LangChain's community wrappers: those override the file's
rope_freq_base with 10000 (wrong answers on SmolLM2, whose file says 100000) and default n_batch to 8
(prompts ~1.6x slower). Here rope settings and the chat template come from the GGUF metadata.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from assistant.config import GenerationSettings
from assistant.errors import ModelLoadError
from assistant.llm.base import ChatMessage, ChatModel, GenerationParams
from assistant.models import resolve_gguf


class LlamaCppChatModel(ChatModel):
    def __init__(self, settings: GenerationSettings, cache_dir: Path | None = None):
        try:
            from llama_cpp import Llama
        except ImportError as e:
            raise ModelLoadError("generation.backend = 'llamacpp' needs the llama-cpp-python package") from e
        path = resolve_gguf(settings.model)
        if settings.requantize:
            from assistant.llm.requantize import requantized

            if cache_dir is None:
                raise ModelLoadError("generation.requantize needs a folder for the converted model")
            path = requantized(path, settings.requantize, cache_dir, settings.threads)
        try:
            # rope_freq_base=0 / rope_freq_scale=0: take the values stored in the GGUF file.
            self.llm = Llama(
                model_path=str(path),
                n_ctx=settings.context_window,
                n_threads=settings.threads,
                n_batch=settings.n_batch,
                rope_freq_base=0.0,
                rope_freq_scale=0.0,
                seed=settings.seed,
                verbose=False,
            )
        except (ValueError, RuntimeError) as e:
            raise ModelLoadError(f"cannot load the GGUF model {path}: {e}") from e
        self.model_path = Path(path)
        self.name = self.model_path.name
        self.context_window = self.llm.n_ctx()
        # One llama.cpp context serves one request at a time; callers queue on this lock.
        self.lock = threading.Lock()
        self.queue_timeout_s = settings.queue_timeout_s

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def stream(self, messages: list[ChatMessage], params: GenerationParams) -> Iterator[str]:
        with self.turn(self.lock, self.queue_timeout_s):
            chunks = self.llm.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                max_tokens=params.max_tokens,
                temperature=params.temperature,
                repeat_penalty=params.repeat_penalty,
                stop=list(params.stop) or None,
                stream=True,
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
