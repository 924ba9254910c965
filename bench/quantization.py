"""Is a Q4_0 re-quantisation of the shipped Q4_1 model worth its quality change? Speed and quality side by side.

    .venv/bin/python bench/quantization.py [--runs 3] [--show]

For each variant (the shipped file, and the same file re-quantised by assistant/llm/requantize.py):
- speed: cold time to first token and prompt tokens/s on a ~1.5k-token prompt, generation tokens/s;
- quality: perplexity on the English sample manuals' text, and the answers of the real Q&A service on the
  answerable questions of samples/questions.jsonl: share containing the expected fact, share citing the gold file.
--show prints every answer (used to pick the questions the tests ask).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import summary  # noqa: E402
from bench.generate import build_context, timed_stream  # noqa: E402


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).lower()


def has_fact(fact: str, text: str) -> bool:
    """The expected fact as a whole: "2,000円" is not found inside "12,000円"."""
    return re.search(r"(?<![0-9.,])" + re.escape(norm(fact)) + r"(?![0-9])", norm(text)) is not None


def perplexity(llm, text: str, max_tokens: int = 1024) -> float:  # noqa: ANN001
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=False)[:max_tokens]
    llm.reset()
    llm.eval(tokens)
    logits = np.asarray(llm.scores[: len(tokens)], dtype=np.float64)
    logits -= logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    nll = -np.mean([logp[i, tokens[i + 1]] for i in range(len(tokens) - 1)])
    return math.exp(nll)


def speed(model, runs: int, context_tokens: int) -> dict[str, float]:  # noqa: ANN001
    from assistant.llm import ChatMessage, GenerationParams

    context = build_context(context_tokens, model.count_tokens)
    system = "Answer from the numbered sources only and cite them like [1].\n\nSources:\n" + context
    q = "How many wrong password attempts lock an account?"
    n_prompt = model.count_tokens(system) + model.count_tokens(q)
    model.generate([ChatMessage("user", "Say yes.")], GenerationParams(4, 0.0))  # warm-up, not timed
    ttfts, gps = [], []
    for _ in range(runs):
        model.llm.reset()
        ttft, gen_s, n = timed_stream(
            model.stream([ChatMessage("system", system), ChatMessage("user", q)], GenerationParams(64, 0.0))
        )
        ttfts.append(ttft)
        gps.append((n - 1) / gen_s if gen_s > 0 and n > 1 else 0.0)
    t = statistics.median(ttfts)
    return {"prompt_tokens": n_prompt, "ttft_s": t, "prompt_tps": n_prompt / t, "gen_tps": statistics.median(gps)}


def answers(service, questions: list[dict], show: bool) -> dict[str, float]:  # noqa: ANN001
    from assistant.core.identity import Principal

    facts = cites = 0
    for q in questions:
        a = service.ask(q["question"], principal=Principal.everything()).result()
        fact = has_fact(q["answer"], a.text)
        cite = any(s.file == q["file"] for s in a.cited_sources)
        facts += fact
        cites += cite
        if show:
            flag = ("F" if fact else "-") + ("C" if cite else "-")
            print(f"  {flag} {a.outcome:8} {q['id']} {q['question'][:40]} => {a.text[:150]!r}", flush=True)
    return {"fact": facts / len(questions), "gold_cited": cites / len(questions)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--context-tokens", type=int, default=1500)
    ap.add_argument("--show", action="store_true")
    ap.add_argument("--max-tokens", type=int, default=128, help="answer length cap (the facts asked for are short)")
    args = ap.parse_args()
    from assistant.llm.llamacpp import apply_cpu_workaround

    apply_cpu_workaround()  # the perplexity model is loaded by raw llama-cpp-python: same AMX workaround

    from llama_cpp import Llama

    from assistant.core.config import Settings
    from assistant.core.model_files import resolve_gguf
    from assistant.embeddings import load_embedder
    from assistant.llm import load_chat_model
    from assistant.llm.requantize import requantized
    from assistant.services import Assistant
    from ingest.pipeline import Ingestor

    questions = [
        q
        for q in map(json.loads, (ROOT / "samples" / "questions.jsonl").read_text(encoding="utf-8").splitlines())
        if not q.get("unanswerable")
    ]
    english = "\n\n".join(
        p.read_text(encoding="utf-8").split("---", 2)[-1]
        for p in sorted((ROOT / "samples" / "source").glob("*.md"))
        if "lang: en" in p.read_text(encoding="utf-8")
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        s = Settings()
        s.paths.data_dir = Path(tmp) / "data"
        s.generation.max_tokens = args.max_tokens
        embedder = load_embedder(s.embedding)
        Ingestor(s, lambda: embedder).run([ROOT / "samples" / "manuals"])
        s.usage.enabled = False  # benchmark questions are not staff usage
        shipped = resolve_gguf(s.generation.model)
        t = time.perf_counter()
        q4_0 = requantized(shipped, "q4_0", Path(tmp) / "models", s.generation.threads)
        convert_s = time.perf_counter() - t
        for label, requant in (("Q4_1 (shipped)", ""), ("Q4_0 (re-quantised)", "q4_0")):
            s.generation.requantize = requant
            model = load_chat_model(s.generation, Path(tmp) / "models")
            print(f"{label}: {model.name}", flush=True)
            row = {"variant": label, "size_mb": (q4_0 if requant else shipped).stat().st_size / 2**20}
            row |= speed(model, args.runs, args.context_tokens)
            ppl_model = Llama(
                model_path=str(q4_0 if requant else shipped), n_ctx=2048, n_threads=2, logits_all=True, verbose=False
            )
            row["perplexity"] = perplexity(ppl_model, english)
            del ppl_model
            service = Assistant(s, model=model, embedder=embedder)
            row |= answers(service, questions, args.show)
            service.close()
            rows.append(row)
    print(f"\nre-quantisation took {convert_s:.2f} s; {len(questions)} answerable sample questions\n")
    print(
        "| variant | file MiB | prompt tokens | cold TTFT s | prompt tok/s | gen tok/s | perplexity (en manuals) "
        "| answers with the fact | answers citing the gold file |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['variant']} | {r['size_mb']:.0f} | {r['prompt_tokens']} | {r['ttft_s']:.2f} | "
            f"{r['prompt_tps']:.0f} | {r['gen_tps']:.1f} | {r['perplexity']:.2f} | {r['fact']:.3f} | "
            f"{r['gold_cited']:.3f} |"
        )
    a, b = rows
    print(f"\nQ4_0 / Q4_1: TTFT {b['ttft_s'] / a['ttft_s']:.2f}x, perplexity {b['perplexity'] / a['perplexity']:.3f}x")
    summary.record(
        q4_0_over_q4_1_ttft=round(b["ttft_s"] / a["ttft_s"], 3),
        q4_0_over_q4_1_perplexity=round(b["perplexity"] / a["perplexity"], 3),
        facts_q4_1=round(a["fact"], 3),
        facts_q4_0=round(b["fact"], 3),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
