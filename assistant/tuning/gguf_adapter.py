"""A peft LoRA adapter written as a GGUF LoRA file, which llama.cpp applies to the 4-bit base at load
(`generation.lora_path`).

Written here with the `gguf` package instead of llama.cpp's `convert_lora_to_gguf.py`: that script ships only in
llama.cpp's source tree (llama-cpp-python's source distribution), which an installed product does not have. The
format is small: the base's architecture, `general.type = adapter`, `adapter.type = lora`, `adapter.lora.alpha`,
and for each adapted weight `<gguf name>.lora_a` (rank x in) and `<gguf name>.lora_b` (out x rank). LLaMA GGUF
files store the query and key projections with their rows permuted for llama.cpp's rotary embedding (the HF
converter does it; transformers undoes it on load), so the B matrices of q_proj and k_proj get the same
permutation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from assistant.core.errors import AssistantError

SUPPORTED = {"llama"}


def _permute(weights, n_head: int, n_head_kv: int | None):  # noqa: ANN001, ANN202
    """convert_hf_to_gguf.py's LlamaModel.permute: rotary halves interleaved per head, on the rows."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    shape = weights.shape
    return weights.reshape(n_head, 2, shape[0] // n_head // 2, *shape[1:]).swapaxes(1, 2).reshape(shape)


def write_gguf_adapter(adapter_dir: Path, out: Path, model_config: dict) -> Path:
    """Convert a peft adapter folder (adapter_model.safetensors + adapter_config.json) for a base whose
    transformers config is `model_config`."""
    import gguf
    from safetensors.torch import load_file

    arch = model_config.get("model_type", "")
    if arch not in SUPPORTED:
        raise AssistantError(f"writing a GGUF adapter for a '{arch}' model is not supported (only: llama)")
    cfg = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    tensors = load_file(str(adapter_dir / "adapter_model.safetensors"))
    n_head = model_config["num_attention_heads"]
    n_kv = model_config.get("num_key_value_heads", n_head)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, model_config["num_hidden_layers"])
    pairs: dict[str, dict[str, object]] = {}
    for key, value in tensors.items():
        m = re.match(r"(?:base_model\.model\.)?(.+)\.lora_([AB])\.weight$", key)
        if not m:
            raise AssistantError(f"unexpected tensor {key} in {adapter_dir}")
        pairs.setdefault(m.group(1), {})[m.group(2)] = value.float()
    tmp = out.with_name(out.name + ".tmp")
    writer = gguf.GGUFWriter(str(tmp), "llama")
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(cfg["lora_alpha"]))
    for module, ab in sorted(pairs.items()):
        base = names.get_name(module)
        if base is None or "A" not in ab or "B" not in ab:
            raise AssistantError(f"cannot place the adapter weights of {module} in the GGUF model")
        a, b = ab["A"], ab["B"]
        if module.endswith("q_proj"):
            b = _permute(b, n_head, n_head)
        elif module.endswith("k_proj"):
            b = _permute(b, n_head, n_kv)
        # float16, as llama.cpp's converter writes adapters by default: half the size, the same answers
        writer.add_tensor(f"{base}.weight.lora_a", a.numpy().astype("float16"))
        writer.add_tensor(f"{base}.weight.lora_b", b.contiguous().numpy().astype("float16"))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(out)
    return out
