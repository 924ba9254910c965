"""LoRA training of the configured chat model on short-answer examples (peft + transformers, CPU or GPU).

The shipped model is a GGUF file: transformers loads it dequantised (it marks the result "quantized with gguf" and
refuses to save it), so the weights are moved into a plain model of the same config first. Only the adapter is
trained and kept; serving stays the 4-bit GGUF with the adapter applied by llama.cpp (`tuning/gguf_adapter.py`).

A run stops at its time budget or its example count, whichever comes first, and leaves a checkpoint (adapter,
optimiser, position in the data) every `checkpoint_every` optimiser steps: an interrupted run resumes where its
last checkpoint was, on the same data order.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.answering.short_answer import messages as short_answer_messages
from assistant.core import faults
from assistant.core.errors import AssistantError, ModelLoadError
from assistant.core.model_files import resolve_gguf
from assistant.tuning.data import Example

log = logging.getLogger(__name__)
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
MAX_EXAMPLE_TOKENS = 768  # a longer example (a long Japanese window) is cut from the left of its passages


@dataclass
class TrainConfig:
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    learning_rate: float = 3e-4
    batch: int = 8  # examples per optimiser step (accumulated one by one: no padding on the CPU)
    max_minutes: float = 60.0
    max_examples: int = 0  # 0: no limit but time
    checkpoint_every: int = 10  # optimiser steps
    seed: int = 0
    threads: int = 2


@dataclass
class TrainResult:
    adapter_dir: Path
    examples_seen: int
    steps: int
    minutes: float
    mean_loss_last: float
    resumed_from: int
    device: str
    interrupted: bool = False  # stopped by Ctrl-C: kept like the time limit; the same command resumes


def load_base(model_ref: str, threads: int = 2):  # noqa: ANN201
    """(model, tokenizer) of the configured chat model in transformers, as plain trainable float weights."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(threads)
    path = Path(model_ref).expanduser()
    if path.is_dir() and (path / "config.json").is_file():  # a transformers folder
        return AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32), AutoTokenizer.from_pretrained(path)
    gguf = resolve_gguf(model_ref)
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    except (OSError, ValueError, RuntimeError) as e:
        raise ModelLoadError(f"transformers cannot load {gguf} for training: {e}") from e
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(loaded.state_dict())
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return plain, tokenizer


def base_config(model_ref: str) -> dict:
    """The transformers config of the base model (what the GGUF adapter writer needs), without loading weights."""
    from transformers import AutoConfig

    path = Path(model_ref).expanduser()
    if path.is_dir() and (path / "config.json").is_file():
        return AutoConfig.from_pretrained(path).to_dict()
    gguf = resolve_gguf(model_ref)
    return AutoConfig.from_pretrained(gguf.parent, gguf_file=gguf.name).to_dict()


def encode(tokenizer, example: Example, prompts: Path | None = None) -> tuple[list[int], int]:  # noqa: ANN001
    """(token ids, where the answer starts): the chat template's prompt, then the span and the end-of-turn token.
    The loss is taken on the answer only. An example over MAX_EXAMPLE_TOKENS loses its look-alike passages first,
    then is cut around its answer: never skipped, since the long ones are mostly answerable Japanese windows and
    skipping them taught a first model to answer "none" to Japanese questions."""
    passages = list(example.passages)
    for _ in range(12):
        ids, answer_at = _encode(tokenizer, example, passages, prompts)
        if len(ids) <= MAX_EXAMPLE_TOKENS:
            return ids, answer_at
        spare = [i for i, p in enumerate(passages) if example.answer not in p]
        if len(passages) > 1 and spare:
            passages.pop(spare[-1])
            continue
        text = passages[0] if len(passages) == 1 else next(p for p in passages if example.answer in p)
        at = text.find(example.answer) if example.answer in text else len(text) // 2
        keep = max(len(example.answer) + 20, int(len(text) * 0.7))
        a = max(0, min(at - (keep - len(example.answer)) // 2, len(text) - keep))
        passages = [text[a:a + keep]]
    return [], 0


def _encode(tokenizer, example: Example, passages: list[str], prompts: Path | None) -> tuple[list[int], int]:  # noqa: ANN001
    kwargs = {"prompts": prompts} if prompts else {}
    chat = [{"role": m.role, "content": m.content}
            for m in short_answer_messages(example.question, passages, example.lang, **kwargs)]
    prompt = tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer = tokenizer(example.answer, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    return ids + answer, len(ids)


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _save_checkpoint(model, optimizer, state: dict, out: Path) -> None:  # noqa: ANN001
    """Written beside, then swapped in: a crash mid-save leaves the previous checkpoint whole."""
    import torch

    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    (tmp / "progress.json").write_text(json.dumps(state), encoding="utf-8")
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def train(
    model_ref: str,
    examples: Sequence[Example],
    out_dir: Path,
    config: TrainConfig,
    progress: Callable[[int, int, float], None] | None = None,
    prompts: Path | None = None,
) -> TrainResult:
    """Train (or resume) a LoRA adapter in out_dir/adapter; out_dir/checkpoint holds the resumable state.
    `progress(examples_done, examples_planned, loss)` is called after every example."""
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model

    if not examples:
        raise AssistantError("no training examples: choose at least one data source (see `assistant tune --help`)")
    out_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = out_dir / "checkpoint"
    settings = asdict(config) | {"model": model_ref}
    order = list(range(len(examples)))  # the caller's order (sources.mixed interleaves the languages)
    planned = min(len(order), config.max_examples) if config.max_examples else len(order)

    base, tokenizer = load_base(model_ref, config.threads)
    device = _device()
    state = {"done": 0, "steps": 0, "settings": settings, "n_examples": len(examples), "losses": []}
    if (checkpoint / "progress.json").is_file():
        saved = json.loads((checkpoint / "progress.json").read_text(encoding="utf-8"))
        same = {k: v for k, v in saved["settings"].items() if k not in ("max_minutes", "max_examples")} == {
            k: v for k, v in settings.items() if k not in ("max_minutes", "max_examples")}
        if not same or saved["n_examples"] != len(examples):
            raise AssistantError(
                f"{checkpoint} was made with other settings or data; remove it (or choose another --out) to start "
                "again")
        model = PeftModel.from_pretrained(base, checkpoint, is_trainable=True)
        state = saved
    else:
        lora = LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                          target_modules=TARGETS, task_type="CAUSAL_LM")
        model = get_peft_model(base, lora)
    model.to(device)
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate)
    if (checkpoint / "optimizer.pt").is_file() and state["done"]:
        optimizer.load_state_dict(torch.load(checkpoint / "optimizer.pt", map_location=device))
    resumed_from = state["done"]
    started, pending, losses = time.monotonic(), 0, []
    budget = config.max_minutes * 60
    interrupted = False
    try:
        while state["done"] < planned and time.monotonic() - started < budget:
            example = examples[order[state["done"]]]
            state["done"] += 1
            ids, answer_at = encode(tokenizer, example, prompts)
            if ids:
                input_ids = torch.tensor([ids], device=device)
                labels = input_ids.clone()
                labels[0, :answer_at] = -100
                loss = model(input_ids=input_ids, labels=labels).loss
                (loss / config.batch).backward()
                losses.append(float(loss.detach()))
                pending += 1
            if pending == config.batch or (state["done"] == planned and pending):
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                pending = 0
                state["steps"] += 1
                recent = losses[-config.batch:]
                state["losses"] = (state["losses"] + [sum(recent) / max(1, len(recent))])[-50:]
                if state["steps"] % config.checkpoint_every == 0:
                    _save_checkpoint(model, optimizer, state, checkpoint)
                    faults.crash_point("tune.after_checkpoint")
            if progress:
                progress(state["done"], planned, losses[-1] if losses else float("nan"))
    except KeyboardInterrupt:  # Ctrl-C: what was learned since the last checkpoint is saved, not lost
        interrupted = True
    if pending:  # a partial batch at the time limit still counts
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        state["steps"] += 1
    _save_checkpoint(model, optimizer, state, checkpoint)
    adapter = out_dir / "adapter"
    shutil.rmtree(adapter, ignore_errors=True)
    model.save_pretrained(adapter)
    (adapter / "training.json").write_text(json.dumps(state, indent=1), encoding="utf-8")
    recent = state["losses"][-10:]
    return TrainResult(adapter, state["done"], state["steps"], (time.monotonic() - started) / 60,
                       sum(recent) / len(recent) if recent else float("nan"), resumed_from, device, interrupted)
