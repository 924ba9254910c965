"""Distillation: a bigger teacher model (the company's GPU server, any OpenAI-compatible endpoint) answers
questions over the company's own manuals, and the student learns the teacher's spans.

The teacher reads exactly what the student will read at answer time: the evidence the real pipeline finds for the
question, as `short_answer.passages_of` cuts it. Only answers that pass the same verbatim check as a shown short
answer are kept (a teacher's paraphrase is no span to copy); "none" is kept as none. Every fifth question is kept
apart to calibrate on, never trained on.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from assistant.answering import short_answer as sa
from assistant.core.config import Settings
from assistant.core.errors import AssistantError
from assistant.core.language import language_of
from assistant.core.sentences import unwrap
from assistant.tuning.data import CALIBRATE, TRAIN, Example


def read_questions(path: Path) -> list[str]:
    """JSON lines with a "question" field (an `assistant eval` or `feedback-export` file), or one question a line."""
    try:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except OSError as e:
        raise AssistantError(f"cannot read the questions for distillation: {e}") from e
    out = []
    for n, line in enumerate(lines, 1):
        if line.startswith("{"):
            try:
                question = json.loads(line).get("question", "")
            except ValueError as e:
                raise AssistantError(f"{path}:{n}: not JSON ({e})") from e
            if question:
                out.append(question.strip())
        else:
            out.append(line)
    if not out:
        raise AssistantError(f"{path}: no questions")
    return out


def distil_examples(settings: Settings, questions: Path, teacher_url: str, teacher_model: str,
                    console: Console | None = None, embedder=None) -> list[Example]:  # noqa: ANN001
    """The teacher's verified answers as examples (`embedder`: an already loaded one, else the configured)."""
    from assistant.core.identity import Principal
    from assistant.llm import load_chat_model
    from assistant.services import Assistant

    url = teacher_url or settings.generation.server_url
    if not url:
        raise AssistantError("distillation needs a teacher: give its OpenAI-compatible server with --teacher-url")
    gen = settings.generation.model_copy(update={"backend": "openai", "server_url": url,
                                                 "model": teacher_model or settings.generation.model})
    teacher = load_chat_model(gen)
    quiet = settings.model_copy(deep=True)
    quiet.qa.short_answer = False  # the evidence alone: the teacher gives the span
    quiet.generation.languages = []
    quiet.usage.enabled = False
    service = Assistant(quiet, model=teacher, embedder=embedder)  # the teacher is the only model loaded
    out: list[Example] = []
    kept = skipped = 0
    try:
        for i, question in enumerate(read_questions(questions)):
            answer = service.ask(question, principal=Principal.everything()).result()
            texts_of = [s.passage for s in answer.sources]
            passages = sa.passages_of(answer.evidence, lambda n, texts_of=texts_of: texts_of[n - 1],
                                      budget=sa.READ_BUDGET.get(language_of(question)))
            if not passages:
                skipped += 1
                continue
            texts = [p.text[p.start:p.end] for p in passages]
            lang = language_of(question)
            said = teacher.complete_scored(sa.messages(question, texts, lang, settings.paths.prompts_dir),
                                           sa.MAX_TOKENS).text
            split = CALIBRATE if i % 5 == 4 else TRAIN
            if sa.is_none(said):
                out.append(Example(question, texts, sa.NONE, [], lang, "distilled", split))
            elif (where := sa.locate(sa.clean(said), passages, question)) is not None:
                source, a, b = where
                span = unwrap(next(p.text for p in passages if p.source == source)[a:b])
                out.append(Example(question, texts, span, [span], lang, "distilled", split))
            else:
                skipped += 1
                continue
            kept += 1
    finally:
        service.close()
    if console is not None:
        console.print(f"distillation: {kept} teacher answers kept, {skipped} skipped (no evidence, or not a span "
                      "of the passages)")
    return out
