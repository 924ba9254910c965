"""The learning curve of `assistant tune`: right spans on the report halves against training examples seen.

    .venv/bin/python bench/tune_curve.py SNAPSHOT_DIR [SNAPSHOT_DIR ...] [--per-set 30] [--sets jsquad xquad]

Each SNAPSHOT_DIR is a copy of a run's `checkpoint/` folder (peft adapter + progress.json) taken while it trained;
each is written as a GGUF adapter and applied to the shipped 4-bit model, and the base model (0 examples) is the
first point. The questions are the report halves' windows (`assistant/tuning/data.py`), the same for every point;
a span counts as right when it is shown verbatim and its F1 against a gold span is >= 0.5.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import summary  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("snapshots", nargs="+", type=Path)
    ap.add_argument("--per-set", type=int, default=30)
    ap.add_argument("--sets", nargs="+", default=["jsquad", "xquad"])
    args = ap.parse_args()
    from assistant.core.config import load_settings
    from assistant.llm import load_chat_model
    from assistant.tuning.data import REPORT
    from assistant.tuning.gguf_adapter import write_gguf_adapter
    from assistant.tuning.lora import base_config
    from assistant.tuning.report import RIGHT_F1, answer_all, spread
    from assistant.tuning.sources import public_examples

    settings = load_settings(ROOT / "config.toml", environ={})
    examples = public_examples(settings.tune.dev_dir, args.sets)
    chosen = {name: [e for e in spread([e for e in examples if e.source == name and e.split == REPORT
                                        and e.answerable], args.per_set)] for name in args.sets}
    config = base_config(settings.generation.model)
    points = [(0, "")]
    tmp = Path(tempfile.mkdtemp())
    for snap in args.snapshots:
        seen = json.loads((snap / "progress.json").read_text())["done"]
        points.append((seen, str(write_gguf_adapter(snap, tmp / f"{snap.name}.gguf", config))))
    rows = []
    for seen, adapter in sorted(points):
        model = load_chat_model(settings.generation.model_copy(update={"lora_path": adapter}))
        row = {"examples seen": seen}
        for name, qs in chosen.items():
            scored = answer_all(model, qs)
            row[f"{name} verbatim"] = round(sum(bool(s.span) for s in scored) / len(scored), 3)
            row[f"{name} right"] = round(sum(s.f1 >= RIGHT_F1 for s in scored) / len(scored), 3)
        rows.append(row)
        print(row, flush=True)
        del model
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |\n|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(str(r[k]) for k in keys) + " |")
    summary.record(**{f"tune curve {k} at {rows[-1]['examples seen']}": v for k, v in rows[-1].items()
                      if k != "examples seen"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
