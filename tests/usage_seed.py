"""Answers as the Q&A service records them, for tests of the usage log, the report and the feedback export."""

from __future__ import annotations

from datetime import datetime

from assistant.citations import CitationReport
from assistant.qa import Answer, Source
from assistant.usage import UsageLog

QUESTION = "How many days before a password expires does the system remind you?"


def make_answer(
    question: str = QUESTION,
    *,
    outcome: str = "answered",
    created: datetime | None = None,
    user: str = "staff",
    total_s: float = 7.0,
    prompt_tokens: int = 900,
    completion_tokens: int = 12,
    file: str = "it-helpdesk-guide.pdf",
    page: int = 2,
) -> Answer:
    a = Answer(question=question, user=user, query=question, text="14 days before it expires [1].", outcome=outcome)
    if created is not None:
        a.created = created.isoformat(timespec="seconds")
    cited = outcome in ("answered", "quoted")
    a.sources = [
        Source(1, file, f"/m/{file}", None, page, page, "2.1 Password rules", "Passwords expire…", 0.9, "c1", 1, cited)
    ]
    a.citations = CitationReport(cited=[1] if cited else [])
    a.prompt_tokens, a.completion_tokens = prompt_tokens, completion_tokens
    a.timings = {
        "retrieval_s": 0.01,
        "first_token_s": total_s - 0.5,
        "first_text_s": total_s - 0.1,
        "generation_s": 0.4,
        "total_s": total_s,
    }
    a.model, a.backend = "SmolLM2-135M-Instruct.Q4_1.gguf", "llamacpp"
    return a


def seed(log: UsageLog, answers: list[Answer], feedback: dict[int, tuple[str, str | None]] | None = None) -> None:
    """Record the answers, then rate those named by index: {index: (up|down, comment)}."""
    for a in answers:
        log.record(a)
    for i, (rating, comment) in (feedback or {}).items():
        log.feedback(answers[i].id, rating, comment)
    log.flush()
