"""llama-cpp-python's OpenAI-compatible server, started with this project's CPU workaround (see llamacpp.py): the
second machine of a deployment that serves the GGUF model to `generation.backend = "openai"`.

    python -m assistant.llm.llamacpp_server --model model.gguf --host 0.0.0.0 --port 8000 [its other options]
"""

from __future__ import annotations

import runpy

from assistant.llm.llamacpp import apply_cpu_workaround

if __name__ == "__main__":
    apply_cpu_workaround()
    runpy.run_module("llama_cpp.server", run_name="__main__")
