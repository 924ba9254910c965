"""transformers + bitsandbytes 4-bit (NF4) backend for machines with a CUDA GPU.

On the CPU bitsandbytes NF4 was slower and answered worse than llama.cpp in a trial (../shared/MODELS.md),
so this backend refuses to start without CUDA instead of silently running a slow path.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from assistant.core.config import GenerationSettings
from assistant.core.errors import ModelLoadError
from assistant.llm.base import ChatMessage, ChatModel, GenerationParams
from assistant.llm.gate import ModelGate, QueueListener, gated_stream


def require_cuda() -> None:
    import torch

    if not torch.cuda.is_available():
        raise ModelLoadError(
            "generation.backend = 'transformers' loads the model in 4-bit (NF4) with bitsandbytes, which needs a "
            "CUDA GPU, and none was found. On a CPU machine use backend = 'llamacpp' with a GGUF file."
        )


class Transformers4BitChatModel(ChatModel):
    def __init__(self, settings: GenerationSettings):
        require_cuda()
        try:
            import bitsandbytes  # noqa: F401 - imported to fail early with a clear message
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig
        except ImportError as e:
            raise ModelLoadError(
                f"the transformers backend needs bitsandbytes and accelerate: pip install -e '.[gpu]' ({e})"
            ) from e
        path = settings.model
        quant = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_compute_dtype=torch.bfloat16,
            bnb_4bit_use_double_quant=True,
        )
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            self.model = AutoModelForCausalLM.from_pretrained(
                path, quantization_config=quant, device_map="cuda", local_files_only=True
            )
        except OSError as e:
            raise ModelLoadError(f"generation.model = '{path}': not a local model folder ({e})") from e
        self._serve(str(path), settings)

    @classmethod
    def from_loaded(cls, tokenizer, model, settings: GenerationSettings) -> Transformers4BitChatModel:  # noqa: ANN001
        """Serve a transformers model already in memory (loaded some other way) the same way: the tests drive
        the streaming and the gate on the CPU with it, where 4-bit loading cannot run."""
        self = cls.__new__(cls)
        self.tokenizer, self.model = tokenizer, model
        self._serve(getattr(model, "name_or_path", "") or type(model).__name__, settings)
        return self

    def _serve(self, name: str, settings: GenerationSettings) -> None:
        self.name = name
        self.context_window = min(settings.context_window, getattr(self.model.config, "max_position_embeddings", 4096))
        self.gate = ModelGate(settings.queue_timeout_s, settings.abandon_after_s)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def stream(
        self, messages: list[ChatMessage], params: GenerationParams, on_queue: QueueListener | None = None
    ) -> Iterator[str]:
        return gated_stream(
            self.gate, lambda cancel: self._produce(messages, params, cancel), on_queue, params.cancel
        )

    def _produce(self, messages: list[ChatMessage], params: GenerationParams, cancel: threading.Event) -> Iterator[str]:
        """Runs in the gate's worker thread; `generate` runs in one more thread and stops at the next token once
        `cancel` is set. The model is let go only after that thread has ended."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        class _Cancelled(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):  # noqa: ANN001, ANN003, ANN204
                return torch.full((input_ids.shape[0],), cancel.is_set(), dtype=torch.bool, device=input_ids.device)

        inputs = self.tokenizer.apply_chat_template(
            [{"role": m.role, "content": m.content} for m in messages],
            add_generation_prompt=True,
            return_tensors="pt",
            return_dict=True,
        ).to(self.model.device)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        kwargs = dict(
            **inputs,
            streamer=streamer,
            max_new_tokens=params.max_tokens,
            do_sample=params.temperature > 0,
            temperature=params.temperature if params.temperature > 0 else None,
            repetition_penalty=params.repeat_penalty,
            stop_strings=list(params.stop) or None,
            tokenizer=self.tokenizer,
            stopping_criteria=StoppingCriteriaList([_Cancelled()]),
        )
        failure: list[BaseException] = []
        report = params.report
        prompt_length = inputs["input_ids"].shape[-1]

        def generate() -> None:
            try:
                out = self.model.generate(**kwargs)
                if report is not None:  # the runtime's own count and stop reason, never a re-count of the text
                    report.completion_tokens = int(out.shape[-1] - prompt_length)
                    report.finish_reason = (
                        "cancelled" if cancel.is_set() else
                        "length" if report.completion_tokens >= params.max_tokens else "stop"
                    )
            except BaseException as e:  # re-raised in the reader's thread
                failure.append(e)
                streamer.end()

        worker = threading.Thread(target=generate, name="transformers-generate", daemon=True)
        worker.start()
        try:
            for piece in streamer:
                if cancel.is_set():
                    return
                if piece:
                    yield piece
            if failure:
                raise failure[0]
        finally:
            cancel.set()
            worker.join()
