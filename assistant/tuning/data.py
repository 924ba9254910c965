"""Training and report examples for short answers: a question, the numbered passages the model reads (as the
answering step shows them: the answering sentence with its neighbours, beside look-alike passages), and the span
to copy, or "none".

Sources, each chosen by its own flag of `assistant tune`:
- SQuAD-format QA sets (JSQuAD, JaQuAD, XQuAD, SQuAD 2.0 with its unanswerable questions), split by article: the
  first half of a file's articles trains (every fourth paragraph of it is kept apart to calibrate the confidence),
  the second half reports. Nothing of a report article is ever trained on.
- the company's approved answers (`assistant feedback-export` rows rated up);
- a teacher model's answers over the company's passages (distillation, `assistant.tuning.distil`).
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.answering.short_answer import NONE, window
from assistant.core.errors import AssistantError
from assistant.core.language import language_of
from assistant.core.sentences import sentence_spans, unwrap

TRAIN, CALIBRATE, REPORT = "train", "calibrate", "report"


@dataclass
class Example:
    question: str
    passages: list[str]
    answer: str  # the span to copy, or NONE
    answers: list[str] = field(default_factory=list)  # every gold span (scoring); empty: unanswerable
    lang: str = "en"
    source: str = ""  # the set it came from
    split: str = TRAIN

    @property
    def answerable(self) -> bool:
        return self.answer != NONE

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)


def split_of(article: int, articles: int, paragraph: int) -> str:
    if article >= articles // 2 and articles > 1:
        return REPORT
    return CALIBRATE if paragraph % 4 == 3 else TRAIN


def _bigrams(text: str) -> set[str]:
    text = unicodedata.normalize("NFKC", text).casefold()
    if language_of(text) == "en":
        words = re.findall(r"\w+", text)
        return {w for w in words if len(w) > 3}
    text = re.sub(r"\s+", "", text)
    return {text[i:i + 2] for i in range(len(text) - 1)}


def _overlap(question: str, text: str) -> float:
    q = _bigrams(question)
    return len(q & _bigrams(text)) / (len(q) or 1)


def _windows(context: str) -> list[tuple[int, int]]:
    """The passage cut into non-overlapping evidence-sized windows (the look-alikes a question is shown beside)."""
    out, pos = [], 0
    for a, b in sentence_spans(context):
        if a < pos:
            continue
        w = window(context, a, b)
        out.append(w)
        pos = w[1]
    return out


def _lookalikes(question: str, candidates: Iterable[str], answers: list[str], n: int) -> list[str]:
    """The n candidate windows most like the question, none holding an answer."""
    scored = [(_overlap(question, t), t) for t in candidates if not any(x and x in t for x in answers)]
    scored.sort(key=lambda s: -s[0])
    return [t for _, t in scored[:n]]


def _context(raw: str) -> str:
    return raw.split(" [SEP] ", 1)[1] if " [SEP] " in raw else raw  # JSQuAD: "title [SEP] text"


def read_squad(paths: Iterable[Path]) -> list[dict]:
    """The articles of one SQuAD-format set (JaQuAD comes in several files: one set, its articles in order)."""
    data: list[dict] = []
    for path in paths:
        try:
            data.extend(json.loads(path.read_text(encoding="utf-8"))["data"])
        except (OSError, ValueError, KeyError) as e:
            raise AssistantError(f"{path}: not a readable SQuAD-format file ({e})") from e
    return data


def squad_examples(data: list[dict], name: str, seed: int = 0, none_share: float = 0.2) -> Iterator[Example]:
    """Every question of a SQuAD-format set as an example; `none_share` of the answerable ones are also asked
    over look-alike passages alone (answer: none), so the model learns to say none where nothing answers."""
    rng = random.Random(f"{seed}:{name}")
    paragraph = 0
    for a, article in enumerate(data):
        contexts = [_context(p["context"]) for p in article["paragraphs"]]
        pool = [c[x:y] for c in contexts for x, y in _windows(c)]  # the article's windows: look-alikes
        for para, context in zip(article["paragraphs"], contexts, strict=True):
            raw = para["context"]
            prefix = len(raw) - len(context)
            split = split_of(a, len(data), paragraph)
            paragraph += 1
            for qa in para["qas"]:
                question = qa["question"].strip()
                lang = language_of(question + context[:200])
                golds = [x["text"] for x in qa.get("answers", []) if x.get("text")]
                if qa.get("is_impossible") or not golds:  # SQuAD 2.0: written to look answered by this paragraph
                    own = [context[x:y] for x, y in _windows(context)]
                    passages = _lookalikes(question, own, [], 1 + rng.randrange(2))
                    if passages:
                        yield Example(question, passages, NONE, [], lang, name, split)
                    continue
                first = qa["answers"][0]
                start = first.get("answer_start", -1) - prefix
                if context[start:start + len(first["text"])] != first["text"]:
                    start = context.find(first["text"])
                if start < 0:
                    continue
                a0, b0 = window(context, start, start + len(first["text"]))
                gold = context[a0:b0]
                if first["text"] not in gold:
                    continue
                others = _lookalikes(question, [t for t in pool if t not in gold and gold not in t], golds,
                                     rng.randrange(3))
                passages = others + [gold]
                rng.shuffle(passages)
                yield Example(question, passages, first["text"], golds, lang, name, split)
                if rng.random() < none_share:
                    alone = others[:1] or _lookalikes(question, [t for t in pool if t not in gold and gold not in t],
                                                      golds, 1)
                    if alone:
                        yield Example(question, alone, NONE, [], lang, name, split)


def feedback_examples(path: Path) -> Iterator[Example]:
    """Approved answers exported by `assistant feedback-export` (JSON lines): rows rated up that carry a short
    answer and the passages the model read teach that span (as the source writes it); other rows are skipped (a
    free-text answer is no span)."""
    from assistant.answering.short_answer import Passage, locate

    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as e:
            raise AssistantError(f"{path}:{line_no}: not JSON ({e})") from e
        if row.get("feedback") != "up":
            continue
        short = row.get("short_answer") or {}
        question = (short.get("asked") or row.get("question") or "").strip()  # a follow-up: as the model read it
        span = (short.get("text") or "").strip()
        passages = [p for p in row.get("passages") or [] if isinstance(p, str) and p]
        where = locate(span, [Passage(i, p, 0, len(p)) for i, p in enumerate(passages, 1)], question) if (
            question and span and passages) else None
        if where is None:
            continue
        source, a, b = where
        exact = unwrap(passages[source - 1][a:b])  # as the model reads it (short_answer.messages)
        yield Example(question, passages, exact, [exact], language_of(question), "feedback", TRAIN)


def read_jsonl(path: Path) -> list[Example]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append(Example(**json.loads(line)))
    return out


def write_jsonl(examples: Iterable[Example], path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for e in examples:
            f.write(e.to_json() + "\n")
            n += 1
    return n
