"""Answers as the usage log records them, for tests of the usage log, the report and the feedback export."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from assistant.analytics.usage import UsageLog, UsageRecord, UsedSource

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
) -> UsageRecord:
    cited = outcome in ("answered", "quoted")
    return UsageRecord(
        id=uuid.uuid4().hex[:12],
        created=(created or datetime.now(UTC)).isoformat(timespec="seconds"),
        kind="answer",
        user=user,
        question=question,
        query=question,
        language="en",
        outcome=outcome,
        abstained=not cited,
        text="14 days before it expires [1].",
        sources=[UsedSource(1, file, page, 0.9, cited, "Passwords expire…")],
        cited=[1] if cited else [],
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        timings={
            "retrieval_s": 0.01,
            "first_token_s": total_s - 0.5,
            "first_text_s": total_s - 0.1,
            "generation_s": 0.4,
            "total_s": total_s,
        },
        model="SmolLM2-135M-Instruct.Q4_1.gguf",
        backend="llamacpp",
    )


def seed(log: UsageLog, answers: list[UsageRecord], feedback: dict[int, tuple[str, str | None]] | None = None) -> None:
    """Record the answers, then rate those named by index: {index: (up|down, comment)}."""
    for a in answers:
        log.record(a)
    for i, (rating, comment) in (feedback or {}).items():
        log.feedback(answers[i].id, rating, comment)
    log.flush()
