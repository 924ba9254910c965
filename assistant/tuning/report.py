"""Before/after: the base model and the model with the adapter answer the same held-apart questions through the
same span check the product uses (`answering/short_answer.py`), and the confidence needed to show a span is chosen
on the calibration split (never on the report split it is then read on).

Per set: how often a span is shown and how often a shown span is right (character F1 >= 0.5 for Japanese, word F1
for English), EM and F1 over all answerable questions, and for unanswerable ones how often the model says none.
"""

from __future__ import annotations

import json
import re
import statistics
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

import assistant.analytics.metrics as metrics
from assistant.answering import short_answer as sa
from assistant.core.config import Settings
from assistant.tuning.data import CALIBRATE, REPORT, Example

RIGHT_F1 = 0.5  # a shown span counts as right at this F1 against a gold span (the measure)
TARGET_PRECISION = 0.9


_NUMBER = re.compile(r"\d[\d,.]*")


def is_right(span: str, answers: Sequence[str]) -> bool:
    """F1 >= 0.5 against a gold span, and every number of that gold in the span: character F1 alone scores
    「1日2,000円」 right for 「3,000円」 (0.67), the wrong allowance in bold, the failure this check exists for."""
    if not span or not answers:
        return False
    numbers = lambda t: [n.replace(",", "") for n in _NUMBER.findall(unicodedata.normalize("NFKC", t))]  # noqa: E731
    for gold in answers:
        if metrics.f1(span, [gold]) >= RIGHT_F1 and set(numbers(gold)) <= set(numbers(span)):
            return True
    return False


@dataclass
class Scored:
    """One question answered by one model: what was shown (a verbatim span of the right kind) and its score."""

    example: Example
    model_text: str
    span: str  # "" when nothing verbatim
    confidence: float
    said_none: bool
    f1: float
    em: float
    seconds: float


def answer_all(model, examples: Sequence[Example], prompts: Path | None = None) -> list[Scored]:  # noqa: ANN001
    out = []
    for e in examples:
        passages = [sa.Passage(i, p, 0, len(p)) for i, p in enumerate(e.passages, 1)]
        t0 = time.perf_counter()
        scored = model.complete_scored(sa.messages(e.question, e.passages, e.lang, **({"prompts": prompts}
                                                                                        if prompts else {})),
                                       sa.MAX_TOKENS)
        seconds = time.perf_counter() - t0
        span = sa.clean(scored.text)
        where = None if sa.is_none(scored.text) else sa.locate(span, passages, e.question)
        shown = ""
        if where is not None:
            source, a, b = where
            shown = e.passages[source - 1][a:b]
            if not sa.of_the_right_kind(e.question, shown):
                shown = ""
        f1 = metrics.f1(shown, e.answers) if is_right(shown, e.answers) else 0.0
        em = metrics.exact_match(shown, e.answers) if shown and e.answers else 0.0
        out.append(Scored(e, scored.text, shown, sa.confidence(scored.logprobs), sa.is_none(scored.text), f1, em,
                          seconds))
    return out


def calibrate(scored: Sequence[Scored], target: float = TARGET_PRECISION, least: int = 10) -> float:
    """The lowest confidence at which the shown spans of the calibration split are right `target` of the time
    (over at least `least` spans); 1.01 (show nothing) when no confidence reaches it."""
    shown = sorted((s for s in scored if s.span and s.example.answerable), key=lambda s: -s.confidence)
    best, right = 1.01, 0
    for i, s in enumerate(shown, 1):
        right += s.f1 >= RIGHT_F1
        if i >= least and right / i >= target:
            best = s.confidence
    return best


def summarise(scored: Sequence[Scored], threshold: float) -> dict[str, float | int | None]:
    answerable = [s for s in scored if s.example.answerable]
    unanswerable = [s for s in scored if not s.example.answerable]
    shown = [s for s in answerable if s.span and s.confidence >= threshold]
    return {
        "questions": len(answerable),
        "verbatim": _share([bool(s.span) for s in answerable]),
        "shown": _share([s in shown for s in answerable]),
        "shown right": _share([s.f1 >= RIGHT_F1 for s in shown]),
        "EM": _share([s.em for s in answerable]),
        "F1": _share([s.f1 for s in answerable]),
        "unanswerable": len(unanswerable),
        "says none (unanswerable)": _share([s.said_none for s in unanswerable]),
        "says none (answerable)": _share([s.said_none for s in answerable]),
        "p50 s": round(statistics.median([s.seconds for s in scored]), 2) if scored else None,
    }


def _share(values: Sequence[float | bool]) -> float | None:
    return round(sum(float(v) for v in values) / len(values), 3) if values else None


def spread(examples: Sequence[Example], n: int) -> list[Example]:
    if n <= 0 or n >= len(examples):
        return list(examples)
    step = len(examples) / n
    return [examples[int(i * step)] for i in range(n)]


def before_after(settings: Settings, examples: Sequence[Example], adapter: Path, per_set: int,
                 out_dir: Path) -> list[dict]:
    """Rows of the table: (set, model) with its threshold from the calibration split; also written as JSON."""
    from assistant.llm import load_chat_model

    sets = sorted({e.source for e in examples})
    chosen = {(name, split): spread([e for e in examples if e.source == name and e.split == split], per_set)
              for name in sets for split in (CALIBRATE, REPORT)}
    rows = []
    for label, lora in (("base", ""), ("adapter", str(adapter))):
        gen = settings.generation.model_copy(update={"lora_path": lora, "backend": "llamacpp"})
        model = load_chat_model(gen)
        for name in sets:
            calibration = answer_all(model, chosen[name, CALIBRATE], settings.paths.prompts_dir)
            threshold = calibrate(calibration)
            report = answer_all(model, chosen[name, REPORT], settings.paths.prompts_dir)
            rows.append({"set": name, "model": label, "threshold": round(threshold, 3)}
                        | summarise(report, threshold))
            _write_answers(out_dir / f"answers-{label}-{name}.jsonl", report)
        del model
    (out_dir / "report.json").write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")
    return rows


def _write_answers(path: Path, scored: Sequence[Scored]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for s in scored:
            row = asdict(s) | {"example": {"question": s.example.question, "answers": s.example.answers}}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def print_table(rows: Sequence[dict], console: Console) -> None:
    if not rows:
        return
    table = Table(title="short answers on the report halves (threshold chosen on the calibration split)")
    for key in rows[0]:
        table.add_column(key, justify="left" if key in ("set", "model") else "right")
    for r in rows:
        table.add_row(*("-" if v is None else str(v) for v in r.values()))
    console.print(table)
