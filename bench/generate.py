"""Generation benchmark: raw llama-cpp-python vs our llama.cpp backend, same GGUF, same ~1.5k-token prompt,
and the end-to-end `ask` path (retrieval + prompt + generation + citation check) on the sample manuals.

    .venv/bin/python bench/generate.py [--runs 3] [--max-tokens 64] [--requantize q4_0]

Reports medians of time to first token (TTFT), prompt tokens/s (prompt tokens / TTFT), generation
tokens/s and peak RSS, for a cold prompt (new context) and a warm one (same system prompt and context,
another question: llama.cpp reuses the KV cache of the common prefix). Both sides run alternately in
one process on one loaded model each, so the ratio is measured side by side.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import summary  # noqa: E402


def build_context(target_tokens: int, count_tokens) -> str:  # noqa: ANN001
    """Numbered passages from the bundled manuals' text, up to about target_tokens."""
    text = " ".join(
        p.read_text(encoding="utf-8")
        for p in sorted((ROOT / "samples" / "source").glob("*.md"))
        if "lang: en" in p.read_text(encoding="utf-8")
    )
    words = text.split()
    out: list[str] = []
    step = 60
    for i in range(0, len(words), step):
        out.append(f"[{len(out) + 1}] " + " ".join(words[i : i + step]))
        if count_tokens("\n".join(out)) >= target_tokens:
            break
    return "\n".join(out)


def timed_stream(pieces) -> tuple[float, float, int]:  # noqa: ANN001
    t0 = time.perf_counter()
    first = None
    n = 0
    for _ in pieces:
        if first is None:
            first = time.perf_counter()
        n += 1
    end = time.perf_counter()
    first = first or end
    return first - t0, end - first, n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--context-tokens", type=int, default=1500)
    ap.add_argument("--requantize", default="", help="also load the model re-quantised to this type (e.g. q4_0)")
    args = ap.parse_args()

    from llama_cpp import Llama

    from assistant.core.config import Settings
    from assistant.llm import ChatMessage, GenerationParams, load_chat_model
    from assistant.llm.llamacpp import apply_cpu_workaround

    # The raw engine gets the same AMX workaround as ours (without it, it crashes on AMX CPUs): like for like.
    apply_cpu_workaround()
    settings = Settings()
    tmp = tempfile.TemporaryDirectory()
    settings.paths.data_dir = Path(tmp.name) / "data"
    g = settings.generation
    g.requantize = args.requantize
    ours = load_chat_model(g, settings.paths.data_dir / "models")
    raw = Llama(
        model_path=str(ours.model_path),
        n_ctx=g.context_window,
        n_threads=g.threads,
        n_batch=g.n_batch,
        seed=g.seed,
        verbose=False,
    )
    context = build_context(args.context_tokens, ours.count_tokens)
    system = "Answer from the numbered sources only and cite them like [1].\n\nSources:\n" + context
    questions = ["How many wrong password attempts lock an account?", "What is the help desk extension?"]
    prompt_tokens = ours.count_tokens(system) + ours.count_tokens(questions[0])

    def run_raw(q: str):  # noqa: ANN202
        stream = raw.create_chat_completion(
            messages=[{"role": "system", "content": system}, {"role": "user", "content": q}],
            max_tokens=args.max_tokens,
            temperature=0,
            stream=True,
        )
        return (c for c in stream if c["choices"][0]["delta"].get("content"))

    def run_ours(q: str):  # noqa: ANN202
        msgs = [ChatMessage("system", system), ChatMessage("user", q)]
        return ours.stream(msgs, GenerationParams(max_tokens=args.max_tokens, temperature=0))

    for fn, model in ((run_raw, raw), (run_ours, ours.llm)):  # warm-up, untimed: the first run pays page-ins
        model.reset()
        timed_stream(fn(questions[0]))
    results: dict[str, dict[str, list[float]]] = {}
    for _ in range(args.runs):
        for name, fn, model in (
            ("raw llama-cpp-python", run_raw, raw),
            ("ours (llamacpp backend)", run_ours, ours.llm),
        ):
            model.reset()  # cold: no cached prefix
            for phase, q in (("cold", questions[0]), ("warm prefix", questions[1])):
                ttft, gen_s, n = timed_stream(fn(q))
                r = results.setdefault(f"{name} | {phase}", {"ttft": [], "pps": [], "gps": []})
                r["ttft"].append(ttft)
                r["pps"].append(prompt_tokens / ttft if ttft else 0.0)
                r["gps"].append((n - 1) / gen_s if gen_s > 0 and n > 1 else 0.0)

    print(f"prompt: ~{prompt_tokens} tokens; {args.max_tokens} max new tokens; {args.runs} runs; model {ours.name}")
    print("| pipeline | prompt | TTFT s (median) | prompt tok/s | generation tok/s |")
    print("|---|---|---|---|---|")
    for key, r in results.items():
        print(
            f"| {key} | {statistics.median(r['ttft']):.2f} | {statistics.median(r['pps']):.0f} | "
            f"{statistics.median(r['gps']):.1f} |"
        )
    raw_cold = statistics.median(results["raw llama-cpp-python | cold"]["ttft"])
    ours_cold = statistics.median(results["ours (llamacpp backend) | cold"]["ttft"])
    print(
        f"\nours / raw cold TTFT: {ours_cold / raw_cold:.3f}; "
        f"peak RSS (both models loaded): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    e2e = end_to_end(settings, ours, args)
    summary.record(
        ours_over_raw_ttft=round(ours_cold / raw_cold, 3),
        raw_cold_ttft_s=round(raw_cold, 2),
        ours_cold_ttft_s=round(ours_cold, 2),
        end_to_end_first_text_s=round(e2e, 2) if e2e else None,
        model=ours.name,
    )
    return 0


def end_to_end(settings, model, args) -> float | None:  # noqa: ANN001
    """The `ask` path as a user meets it: sample manuals ingested, sources filling ~context_tokens."""
    from assistant.core.identity import Principal
    from assistant.embeddings import load_embedder
    from assistant.services import Assistant
    from ingest.pipeline import Ingestor

    settings.qa.sources = 8
    settings.retrieval.context_tokens = args.context_tokens
    settings.generation.max_tokens = args.max_tokens
    settings.generation.temperature = 0.0
    embedder = load_embedder(settings.embedding)
    Ingestor(settings, lambda: embedder).run([ROOT / "samples" / "manuals"])
    settings.usage.enabled = False  # benchmark questions are not staff usage
    service = Assistant(settings, model=model, embedder=embedder)
    questions = [
        "How many days before a password expires does the system remind you?",
        "After how many hours does the VPN disconnect automatically?",
        "What time should a new employee arrive on the first day?",
    ]
    rows: dict[str, dict[str, list[float]]] = {}
    for _ in range(args.runs):
        for i, q in enumerate(questions):
            if i == 0:
                model.llm.reset()  # cold: nothing cached
            phase = "cold" if i == 0 else "system prompt cached"
            a = service.ask(q, principal=Principal.everything()).result()
            t = a.timings
            if "first_token_s" not in t:
                print(f"  not generated ({a.outcome}): {q}")
                continue
            r = rows.setdefault(phase, {"ttft": [], "first_text": [], "prompt": [], "retrieval": [], "gps": []})
            r["ttft"].append(t["first_token_s"])
            r["first_text"].append(t["first_text_s"])
            r["prompt"].append(a.prompt_tokens)
            r["retrieval"].append(t["retrieval_s"])
            r["gps"].append(a.completion_tokens / t["generation_s"] if t["generation_s"] else 0.0)
    print("\nEnd-to-end `ask` (QAService on the sample manuals; sources up to the context budget)")
    print("| phase | prompt tokens | retrieval ms | first token s (p50) | first checked text s (p50) | gen tok/s |")
    print("|---|---|---|---|---|---|")
    for phase, r in rows.items():
        med = statistics.median
        print(
            f"| {phase} | {med(r['prompt']):.0f} | {med(r['retrieval']) * 1000:.0f} | {med(r['ttft']):.2f} | "
            f"{med(r['first_text']):.2f} | {med(r['gps']):.1f} |"
        )
    cold = rows.get("cold")
    return statistics.median(cold["first_text"]) if cold else None


if __name__ == "__main__":
    sys.exit(main())
