"""Rated answers from the usage log as a question file for the next `assistant eval`.

Staff's ratings are the cheapest gold a proof of concept gets: an answer rated up gives its question, the
answer as reference and the pages it cited as gold; an answer rated down is a question the assistant got
wrong, exported for a writer to fill in the right file/page or mark unanswerable (`review: true`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.core.errors import AssistantError
from assistant.core.files import write_text_atomic


def questions_from_feedback(rows: list[dict[str, Any]], rating: str | None = None) -> list[dict[str, Any]]:
    """One question object per rated row (the newest rating of a question wins), in the JSONL eval format."""
    rated = [r for r in rows if r.get("feedback") and (rating is None or r["feedback"] == rating)]
    if rated and all(r.get("question") is None for r in rated):
        raise AssistantError(
            "the usage log holds no question text ([usage] store_text = false), so there is nothing to export"
        )
    latest: dict[str, dict[str, Any]] = {}
    for r in sorted(rated, key=lambda r: r.get("feedback_at") or r["created"]):
        if r.get("question"):
            latest[r["question"].strip()] = r
    return [_question(r) for r in latest.values()]


def _question(r: dict[str, Any]) -> dict[str, Any]:
    q: dict[str, Any] = {"id": f"fb-{r['id']}", "question": r["question"], "feedback": r["feedback"]}
    if r.get("feedback_comment"):
        q["comment"] = r["feedback_comment"]
    cited = [s for s in r.get("sources") or [] if s.get("cited")]
    if r["feedback"] == "up" and r["outcome"] == "not_found":
        q["unanswerable"] = True  # "not in the manuals" was confirmed as right
    elif r["feedback"] == "up" and cited:
        q["file"], q["page"] = cited[0]["file"], cited[0].get("page")
        if r.get("answer"):
            q["answer"] = r["answer"]
        short = r.get("short_answer") or {}
        if short.get("shown") and short.get("text") and short.get("passages"):
            # what `assistant tune --feedback` learns from: the approved span and the passages it was read in
            q["short_answer"] = {"text": short["text"], "source": short.get("source")}
            if short.get("asked") and short["asked"] != r["question"]:
                q["short_answer"]["asked"] = short["asked"]  # a follow-up as the model read it, standing alone
            q["passages"] = short["passages"]
    else:
        q["review"] = True  # a writer sets file/page/answer or unanswerable before the next evaluation
        if r.get("answer"):
            q["previous_answer"] = r["answer"]
        q["previous_sources"] = [f"{s['file']} p.{s['page']}" if s.get("page") else s["file"] for s in cited]
    return q


def write_jsonl(questions: list[dict[str, Any]], out: Path) -> None:
    write_text_atomic(out, "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions))
