"""Re-quantise a GGUF file to another 4-bit type with llama.cpp's own quantiser, once, into a cache folder.

Q4_0 has repacked AVX2 kernels in llama.cpp that process prompts markedly faster than Q4_1 on x86 CPUs;
the shipped file is Q4_1. Converting Q4_1 to Q4_0 quantises twice, so the gain is measured against the
quality change in bench/quantization.py before it is made a default.
"""

from __future__ import annotations

import ctypes
import os
from contextlib import contextmanager
from pathlib import Path

from assistant.core.errors import ModelLoadError

TYPES = {"q4_0": "LLAMA_FTYPE_MOSTLY_Q4_0", "q4_1": "LLAMA_FTYPE_MOSTLY_Q4_1", "q4_k_m": "LLAMA_FTYPE_MOSTLY_Q4_K_M"}


@contextmanager
def _quiet_stderr():
    """llama.cpp prints one line per tensor straight to file descriptor 2."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def requantized(source: Path, qtype: str, cache_dir: Path, threads: int = 2) -> Path:
    """The cached re-quantised copy of `source`, made on first use. The cache name carries the source's size
    and modification time, so a replaced model file is converted again rather than served stale."""
    if qtype not in TYPES:
        raise ModelLoadError(f"generation.requantize = '{qtype}': choose one of {', '.join(TYPES)} or ''")
    import llama_cpp

    st = source.stat()
    target = cache_dir / f"{source.stem}.{st.st_size}-{int(st.st_mtime)}.{qtype.upper()}.gguf"
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, TYPES[qtype])
    params.allow_requantize = True
    params.nthread = threads
    partial = target.with_suffix(f".{os.getpid()}.part")
    try:
        with _quiet_stderr():
            rc = llama_cpp.llama_model_quantize(str(source).encode(), str(partial).encode(), ctypes.byref(params))
        if rc != 0 or not partial.is_file():
            raise ModelLoadError(f"re-quantising {source.name} to {qtype} failed (llama.cpp returned {rc})")
        os.replace(partial, target)  # atomic: a concurrent or interrupted run never leaves half a model
    finally:
        partial.unlink(missing_ok=True)
    return target
