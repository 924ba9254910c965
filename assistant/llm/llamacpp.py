"""llama.cpp backend (llama-cpp-python): a GGUF 4-bit model on the CPU, the default runtime.

Loaded directly rather than through LangChain's community wrappers: those override the file's
rope_freq_base with 10000 (wrong answers on SmolLM2, whose file says 100000) and default n_batch to 8
(prompts ~1.6x slower). Here rope settings and the chat template come from the GGUF metadata.

The system prompt's KV cache is kept across requests: every request keeps exactly the cached tokens of its
system message (evaluating them first, as a batch of their own, when they are not cached) and evaluates the
rest from there. Reusing any longer common prefix would be faster still, but it moves the batch boundaries
with the previous request, which changes the last bits of the logits, and with them the answer: the same
question must get the same answer whoever asked before.

On CPUs with AMX, llama.cpp (as llama-cpp-python 0.3.36 builds it with -march=native) moves Q4/Q8 weights
into AMX buffers whose kernels crash the process with SIGILL (`tilezero` in an OpenMP worker without a tile
configuration) on prompts of more than a few tokens. There the model is loaded without llama.cpp's extra CPU
buffer types, which takes the plain AVX-512 kernels: measured here, 231 prompt + 64 answer tokens in 2.1 s.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from assistant.core.config import GenerationSettings
from assistant.core.errors import ModelLoadError
from assistant.core.model_files import resolve_gguf
from assistant.llm.base import ChatMessage, ChatModel, GenerationParams, ScoredText
from assistant.llm.gate import ModelGate, QueueListener, gated_stream

log = logging.getLogger(__name__)
_LOADING = threading.Lock()


@cache
def cpu_has_amx() -> bool:
    import llama_cpp

    return "AMX_INT8 = 1" in llama_cpp.llama_print_system_info().decode("utf-8", "replace")


def _no_extra_buffer_types(defaults):  # noqa: ANN001, ANN202
    def adjusted():  # noqa: ANN202
        params = defaults()
        params.use_extra_bufts = False
        return params

    return adjusted


def apply_cpu_workaround() -> bool:
    """For a process that loads models through llama-cpp-python's own code (its OpenAI-compatible server): on an
    AMX CPU, every model it loads from now on skips the extra CPU buffer types. True when it applied."""
    if not cpu_has_amx():
        return False
    import llama_cpp.llama as llama_module

    llama_module.llama_cpp.llama_model_default_params = _no_extra_buffer_types(
        llama_module.llama_cpp.llama_model_default_params
    )
    return True


@contextmanager
def _without_extra_buffer_types() -> Iterator[None]:
    """llama-cpp-python exposes no argument for `use_extra_bufts`: its default parameters are adjusted while
    this one model loads (under a lock: the default is module state)."""
    import llama_cpp.llama as llama_module

    defaults = llama_module.llama_cpp.llama_model_default_params
    with _LOADING:
        llama_module.llama_cpp.llama_model_default_params = _no_extra_buffer_types(defaults)
        try:
            yield
        finally:
            llama_module.llama_cpp.llama_model_default_params = defaults


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
        amx = cpu_has_amx()
        if amx:
            log.info("AMX CPU: loading %s without llama.cpp's extra CPU buffer types (see module docstring)", path.name)
        try:
            # rope_freq_base=0 / rope_freq_scale=0: take the values stored in the GGUF file.
            with _without_extra_buffer_types() if amx else _LOADING:
                self.llm = Llama(
                    model_path=str(path),
                    n_ctx=settings.context_window,
                    n_threads=settings.threads,
                    n_batch=settings.n_batch,
                    rope_freq_base=0.0,
                    rope_freq_scale=0.0,
                    seed=settings.seed,
                    verbose=False,
                    **({"lora_path": str(self._lora(settings.lora_path))} if settings.lora_path else {}),
                )
        except (ValueError, RuntimeError) as e:
            raise ModelLoadError(f"cannot load the GGUF model {path}: {e}") from e
        self.model_path = Path(path)
        self.name = self.model_path.name + (f" + {Path(settings.lora_path).name}" if settings.lora_path else "")
        self.context_window = self.llm.n_ctx()
        # One llama.cpp context serves one request at a time; callers queue at this gate.
        self.gate = ModelGate(settings.queue_timeout_s, settings.abandon_after_s)
        self.seed = settings.seed
        self.formatter = self._chat_formatter()

    @staticmethod
    def _lora(ref: str) -> Path:
        path = Path(ref).expanduser()
        if not path.is_file():
            raise ModelLoadError(f"generation.lora_path: adapter file not found ({path}); make one with `assistant "
                                 "tune`, or set lora_path = \"\" to run the model without one")
        return path

    def _chat_formatter(self):  # noqa: ANN202
        """The GGUF's own chat template, as llama-cpp-python builds it; None when the file has none."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            return None
        model = self.llm._model
        eos, bos = model.token_eos(), model.token_bos()
        return Jinja2ChatFormatter(
            template=template,
            eos_token=model.token_get_text(eos) if eos != -1 else "",
            bos_token=model.token_get_text(bos) if bos != -1 else "",
            stop_token_ids=[eos],
        )

    def _tokens(self, messages: list[ChatMessage], generation_prompt: bool = True) -> tuple[list[int], list[str]]:
        self.formatter.add_generation_prompt = generation_prompt
        result = self.formatter(messages=[{"role": m.role, "content": m.content} for m in messages])
        stop = result.stop if isinstance(result.stop, list) else [result.stop] if result.stop else []
        tokens = self.llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)
        return tokens, stop

    def _keep_system_prefix(self, messages: list[ChatMessage], tokens: list[int]) -> None:
        """Leave exactly the system message's tokens in the KV cache (see the module docstring)."""
        prefix: list[int] = []
        if messages and messages[0].role == "system":
            prefix, _ = self._tokens(messages[:1], generation_prompt=False)
            if tokens[: len(prefix)] != prefix:
                prefix = []  # the template does not tokenize the system message on its own the same way
        cached = list(self.llm.input_ids[: self.llm.n_tokens])
        if prefix and cached[: len(prefix)] == prefix:
            self.llm.n_tokens = len(prefix)
        else:
            self.llm.reset()
            if prefix:
                self.llm.eval(prefix)

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def complete_scored(self, messages: list[ChatMessage], max_tokens: int) -> ScoredText:
        """Greedy decoding one token at a time, reading each chosen token's log-probability from the last logits
        (llama-cpp-python gives log-probabilities only with logits_all=True, which keeps logits for every prompt
        token: 2048 x 49k floats here, and a slower prompt)."""
        out: list[tuple[str, float]] = []
        for piece in gated_stream(self.gate, lambda cancel: self._greedy(messages, max_tokens, cancel, out), None,
                                  None):
            del piece
        return ScoredText("".join(p for p, _ in out), tuple(lp for _, lp in out))

    def _greedy(self, messages: list[ChatMessage], max_tokens: int, cancel: threading.Event,
                out: list[tuple[str, float]]) -> Iterator[str]:
        import llama_cpp
        import numpy as np

        if self.formatter is None:
            raise ModelLoadError(f"{self.name} has no chat template: short answers need one")
        tokens, _ = self._tokens(messages)
        self._keep_system_prefix(messages, tokens)
        llm = self.llm
        llm.eval(tokens[llm.n_tokens:])
        eos = llm.token_eos()
        pending = b""
        for _ in range(max_tokens):
            if cancel.is_set():
                return
            logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).astype(np.float64)
            token = int(logits.argmax())
            logprob = float(logits[token] - (logits.max() + np.log(np.exp(logits - logits.max()).sum())))
            if token == eos or llama_cpp.llama_vocab_is_eog(llm._model.vocab, token):
                return
            pending += llm.detokenize([token])
            try:
                text = pending.decode("utf-8")
            except UnicodeDecodeError:
                text = ""  # part of a multi-byte character: it comes with the next token
            if text:
                pending = b""
            out.append((text, logprob))
            yield text
            if "\n" in text:
                return
            llm.eval([token])

    def stream(
        self, messages: list[ChatMessage], params: GenerationParams, on_queue: QueueListener | None = None
    ) -> Iterator[str]:
        return gated_stream(
            self.gate, lambda cancel: self._produce(messages, params, cancel), on_queue, params.cancel
        )

    def _produce(self, messages: list[ChatMessage], params: GenerationParams, cancel: threading.Event) -> Iterator[str]:
        """Runs in the gate's worker thread, the only thread touching the llama.cpp context meanwhile. Each streamed
        chunk is one token; the last one says why generation ended (`params.report`)."""
        if self.formatter is not None:
            tokens, template_stop = self._tokens(messages)
            self._keep_system_prefix(messages, tokens)
            chunks = self.llm.create_completion(
                prompt=tokens,
                max_tokens=params.max_tokens,
                temperature=params.temperature,
                repeat_penalty=params.repeat_penalty,
                stop=list(params.stop) + template_stop or None,
                seed=self.seed,  # per request: the same prompt samples the same answer whatever ran before
                stream=True,
            )
            pick = lambda chunk: chunk["choices"][0]["text"]  # noqa: E731
        else:
            chunks = self.llm.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                max_tokens=params.max_tokens,
                temperature=params.temperature,
                repeat_penalty=params.repeat_penalty,
                stop=list(params.stop) or None,
                stream=True,
            )
            pick = lambda chunk: chunk["choices"][0]["delta"].get("content")  # noqa: E731
        report = params.report
        tokens = 0
        try:
            for chunk in chunks:
                if cancel.is_set():
                    if report is not None:
                        report.finish_reason = "cancelled"
                    return
                finish = chunk["choices"][0].get("finish_reason")
                if finish and report is not None:
                    report.finish_reason = finish
                piece = pick(chunk)
                if piece:
                    tokens += 1
                    yield piece
        finally:
            if report is not None:
                report.completion_tokens = tokens
            chunks.close()  # stops llama.cpp's generation loop where it is
