"""The proof-of-concept report: what the usage log says about a period, priced with the cost model.

`build_report` returns plain data (JSON-ready); `assistant/report_html.py` draws it, the CLI writes both, and the
web UI can show the same data. Costs are estimates from config [cost]:
- machine cost of the period = price per hour x paid hours a day x days; per answered question = that / answers;
- busy cost = seconds spent answering x price per second: what an answer costs when the machine is kept busy;
- hosted reference = this period's tokens at the reference API's prices, for comparison.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from assistant.analytics import metrics as m
from assistant.core.config import CostSettings, Settings

ANSWERED = ("answered", "quoted")  # outcomes that show the manuals' answer
OUTCOMES = ("answered", "quoted", "partly", "closest", "declined", "not_found", "no_documents", "cancelled")
LATENCIES = ("retrieval_s", "first_token_s", "first_text_s", "generation_s", "total_s")


def usage_report(settings: Settings, since: datetime | None = None, until: datetime | None = None) -> dict[str, Any]:
    """The report of a period from the configured usage log and saved evaluations (what the CLI and UI call)."""
    from assistant.analytics.evaluation import latest_summaries
    from assistant.analytics.usage import read_rows

    rows = read_rows(settings.paths.usage_db, since, until)
    evaluations = latest_summaries(settings.paths.data_dir / "eval")
    return build_report(rows, settings.cost, since=since, until=until, evaluations=evaluations)


def build_report(
    rows: list[dict[str, Any]],
    cost: CostSettings,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    evaluations: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything the report shows; `rows` are usage-log rows of the period (UsageLog.rows)."""
    start, end = _period(rows, since, until)
    outcomes = Counter(r["outcome"] for r in rows)
    answered = sum(outcomes[o] for o in ANSWERED)
    feedback = Counter(r["feedback"] for r in rows if r.get("feedback"))
    prompt_tokens = sum(r["prompt_tokens"] or 0 for r in rows)
    completion_tokens = sum(r["completion_tokens"] or 0 for r in rows)
    return {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "period": {"start": start.isoformat(timespec="seconds"), "end": end.isoformat(timespec="seconds")},
        "questions": len(rows),
        "users": len({r["user"] for r in rows if r.get("user")}),
        "outcomes": {o: outcomes.get(o, 0) for o in OUTCOMES},
        "answered": answered,
        "answered_share": answered / len(rows) if rows else None,
        "feedback": {
            "up": feedback.get("up", 0),
            "down": feedback.get("down", 0),
            "none": len(rows) - sum(feedback.values()),
            "up_share": feedback["up"] / sum(feedback.values()) if feedback else None,
            "comments": _comments(rows),
        },
        "latency_s": {key: _spread([r[key] for r in rows if r.get(key) is not None]) for key in LATENCIES},
        "tokens": {
            "prompt": prompt_tokens,
            "completion": completion_tokens,
            "prompt_per_question": prompt_tokens / len(rows) if rows else None,
            "completion_per_question": completion_tokens / len(rows) if rows else None,
        },
        "cost": _cost(rows, cost, start, end, answered, prompt_tokens, completion_tokens),
        "daily": _daily(rows, start, end),
        "top_documents": Counter(s["file"] for r in rows for s in r["sources"] or [] if s.get("cited")).most_common(10),
        "models": sorted({f"{r['backend']}: {r['model']}" for r in rows if r.get("model")}),
        "evaluations": [_evaluation(e) for e in evaluations or []],
    }


def _spread(values: list[float]) -> dict[str, Any]:
    return {"p50": m.percentile(values, 50), "p95": m.percentile(values, 95), "n": len(values)}


def _period(rows: list[dict[str, Any]], since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """The period measured: from `since`, or from the day of the first recorded question when the log begins later
    (a 30-day report of a pilot started yesterday prices two days of machine time, not 30, against their answers),
    to `until` or now."""
    first = _aware(datetime.fromisoformat(rows[0]["created"])) if rows else None
    if first is not None:  # the machine is paid by the day: the first day of use counts whole
        first = first.replace(hour=0, minute=0, second=0, microsecond=0)
    start = _aware(since) if since else (first or datetime.now(UTC))
    if first is not None and first > start:
        start = first
    end = _aware(until) if until else datetime.now(UTC)
    return start, max(end, start)


def _aware(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _cost(
    rows: list[dict[str, Any]],
    cost: CostSettings,
    start: datetime,
    end: datetime,
    answered: int,
    prompt_tokens: int,
    completion_tokens: int,
) -> dict[str, Any]:
    days = (end - start).total_seconds() / 86400
    machine = cost.machine_per_hour * cost.hours_per_day * days
    busy_hours = sum(r["total_s"] or 0.0 for r in rows) / 3600
    per_answer = [r["total_s"] for r in rows if r["outcome"] in ANSWERED and r.get("total_s")]
    out: dict[str, Any] = {
        "currency": cost.currency,
        "machine": cost.machine,
        "machine_per_hour": cost.machine_per_hour,
        "hours_per_day": cost.hours_per_day,
        "days": days,
        "machine_cost": machine,
        "machine_cost_per_answer": machine / answered if answered else None,
        "busy_hours": busy_hours,
        "busy_cost_per_answer": cost.machine_per_hour * m.mean(per_answer) / 3600 if per_answer else None,
        # one request at a time (the model serves requests in turn), so capacity = 3600 / mean seconds per answer
        "answers_per_hour_capacity": 3600 / m.mean(per_answer) if per_answer else None,
        "hosted": None,
    }
    if cost.hosted_input_per_1k is not None and cost.hosted_output_per_1k is not None:
        hosted = prompt_tokens / 1000 * cost.hosted_input_per_1k + completion_tokens / 1000 * cost.hosted_output_per_1k
        out["hosted"] = {
            "name": cost.hosted_name,
            "input_per_1k": cost.hosted_input_per_1k,
            "output_per_1k": cost.hosted_output_per_1k,
            "cost": hosted,
            "cost_per_answer": hosted / answered if answered else None,
        }
    return out


def _daily(rows: list[dict[str, Any]], start: datetime, end: datetime) -> list[dict[str, Any]]:
    """One entry per calendar day (UTC) of the period, empty days included, so a chart's gaps are real."""
    by_day: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_day.setdefault(r["created"][:10], []).append(r)
    last = (end - timedelta(microseconds=1)).date() if end > start else start.date()  # the end is exclusive
    days, day = [], start.date()
    while day <= last and len(days) < 3660:
        key = day.isoformat()
        todays = by_day.get(key, [])
        totals = [r["total_s"] for r in todays if r.get("total_s") is not None]
        days.append(
            {
                "day": key,
                **{o: sum(1 for r in todays if r["outcome"] == o) for o in OUTCOMES},
                "up": sum(1 for r in todays if r.get("feedback") == "up"),
                "down": sum(1 for r in todays if r.get("feedback") == "down"),
                "total_p50_s": m.percentile(totals, 50),
                "total_p95_s": m.percentile(totals, 95),
            }
        )
        day += timedelta(days=1)
    return days


def _comments(rows: list[dict[str, Any]], limit: int = 10) -> list[dict[str, Any]]:
    """The newest feedback comments, with the question when the log keeps text."""
    rated = [r for r in rows if r.get("feedback_comment")]
    rated.sort(key=lambda r: r.get("feedback_at") or "", reverse=True)
    return [
        {
            "at": r.get("feedback_at"),
            "rating": r["feedback"],
            "question": r.get("question"),
            "comment": r["feedback_comment"],
        }
        for r in rated[:limit]
    ]


def _evaluation(record: dict[str, Any]) -> dict[str, Any]:
    """A saved eval summary reduced to the figures a review looks at."""
    s = record.get("summary", {})
    value = lambda key: (s.get(key) or {}).get("value")  # noqa: E731
    return {
        "file": record.get("file"),
        "options": ", ".join(f"{k} {v}" for k, v in (record.get("options") or {}).items() if v and k != "k"),
        "finished": record.get("finished"),
        "model": record.get("model"),
        "questions": s.get("questions"),
        "recall@5": value("recall@5"),
        "mrr@10": value("mrr@10"),
        "exact_match": value("exact_match"),
        "f1": value("f1"),
        "contains_answer": value("contains_answer"),
        "citation_precision": value("citation_precision"),
        "abstention_precision": (s.get("abstention") or {}).get("precision"),
        "abstention_recall": (s.get("abstention") or {}).get("recall"),
        "total_p50_s": (s.get("latency_s") or {}).get("total_p50"),
    }
