"""Which examples a `tune` run reads: the public dev sets by name, the company's approved answers, a teacher's
answers; mixed so that both languages are taught from the first minute (a run may stop at its time budget)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path

from assistant.core.errors import AssistantError
from assistant.tuning.data import Example, read_squad, squad_examples

# name -> path under the dev-data folder (../shared/data/dev in development)
PUBLIC_SETS = {
    "jsquad": "jsquad/jsquad-valid-v1.3.json",
    "jaquad": "jaquad",  # four files, read in order
    "xquad": "xquad-en/xquad.en.json",
    "squad2": "squad2/squad2-dev-subset.json",
}


def public_examples(dev_dir: Path, names: Iterable[str], seed: int = 0) -> list[Example]:
    out: list[Example] = []
    for name in names:
        if name not in PUBLIC_SETS:
            raise AssistantError(f"unknown dev set {name!r}; the sets are: {', '.join(PUBLIC_SETS)}")
        path = dev_dir / PUBLIC_SETS[name]
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        if not files or not all(f.is_file() for f in files):
            raise AssistantError(f"dev set {name!r} not found at {path} (give its folder with --dev-dir)")
        out.extend(squad_examples(read_squad(files), name, seed))
    return out


def mixed(examples: list[Example], seed: int = 0) -> list[Example]:
    """Shuffled, then interleaved by language (ja, en, ja, en, … until one runs out), so a run cut short by its
    time budget has taught both languages."""
    rng = random.Random(seed)
    by_lang: dict[str, list[Example]] = {}
    for e in examples:
        by_lang.setdefault(e.lang, []).append(e)
    for group in by_lang.values():
        rng.shuffle(group)
    out: list[Example] = []
    groups = list(by_lang.values())
    i = 0
    while any(groups):
        for g in groups:
            if len(g) > i:
                out.append(g[i])
        i += 1
        if all(len(g) <= i for g in groups):
            break
    return out
