"""The PoC report from a seeded usage log: figures checked against hand-computed values, charts drawn."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from usage_seed import make_answer, seed

from assistant.analytics.report import build_report, usage_report
from assistant.analytics.report_html import money, render_evaluation, render_report
from assistant.analytics.usage import UsageLog
from assistant.core.config import CostSettings, Settings

DAY0 = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
COST = CostSettings(machine_per_hour=0.5, hours_per_day=24, hosted_input_per_1k=0.001, hosted_output_per_1k=0.002)


@pytest.fixture
def seeded(tmp_path):
    """5 answers over 3 days (none on the middle day), 3 rated."""
    settings = Settings()
    settings.paths.data_dir = tmp_path / "data"
    settings.cost = COST
    at = lambda d, h: DAY0 + timedelta(days=d, hours=h)  # noqa: E731
    answers = [
        make_answer("VPN server?", created=at(0, 9), total_s=7, prompt_tokens=900, completion_tokens=12),
        make_answer("Lockout time?", created=at(0, 10), total_s=9, prompt_tokens=1000, completion_tokens=20),
        make_answer("Capital of France?", created=at(0, 11), outcome="not_found", total_s=0.1, prompt_tokens=0,
                    completion_tokens=0),
        make_answer("日帰り出張の日当は？", created=at(2, 9), outcome="quoted", total_s=5, prompt_tokens=800,
                    completion_tokens=10, file="expense-travel-policy.pdf", user="hr"),
        make_answer("Parking?", created=at(2, 15), outcome="declined", total_s=6, prompt_tokens=700,
                    completion_tokens=30),
    ]  # fmt: skip
    log = UsageLog(settings.paths.usage_db, settings.usage)
    seed(log, answers, {0: ("up", None), 1: ("down", "cites the wrong page"), 2: ("up", "right, not in the manuals")})
    log.close()
    return settings


def test_report_figures_match_hand_computed_values(seeded):
    r = usage_report(seeded, DAY0, DAY0 + timedelta(days=3))
    assert r["questions"] == 5 and r["users"] == 2
    outcomes = {"answered": 2, "quoted": 1, "closest": 0, "declined": 1, "not_found": 1, "no_documents": 0}
    outcomes["cancelled"] = outcomes["partly"] = 0
    assert r["outcomes"] == outcomes
    assert r["answered"] == 3 and r["answered_share"] == pytest.approx(0.6)
    fb = r["feedback"]
    assert (fb["up"], fb["down"], fb["none"]) == (2, 1, 2) and fb["up_share"] == pytest.approx(2 / 3)
    assert {c["comment"] for c in fb["comments"]} == {"cites the wrong page", "right, not in the manuals"}
    # total_s sorted [0.1, 5, 6, 7, 9]: nearest-rank p50 = 3rd = 6, p95 = 5th = 9
    assert r["latency_s"]["total_s"] == {"p50": 6, "p95": 9, "n": 5}
    assert r["tokens"]["prompt"] == 3400 and r["tokens"]["completion"] == 72
    c = r["cost"]
    assert c["days"] == pytest.approx(3.0)
    assert c["machine_cost"] == pytest.approx(0.5 * 24 * 3)  # 36.0
    assert c["machine_cost_per_answer"] == pytest.approx(12.0)  # 36 / 3 answered
    # answered totals 7, 9, 5 s: mean 7 s at 0.5 per hour
    assert c["busy_cost_per_answer"] == pytest.approx(0.5 * 7 / 3600)
    assert c["answers_per_hour_capacity"] == pytest.approx(3600 / 7)
    # 3.4k prompt tokens at 0.001 + 0.072k completion tokens at 0.002 = 0.003544
    assert c["hosted"]["cost"] == pytest.approx(0.003544)
    assert c["hosted"]["cost_per_answer"] == pytest.approx(0.003544 / 3)
    assert [d["day"] for d in r["daily"]] == [(DAY0 + timedelta(days=i)).date().isoformat() for i in range(3)]
    assert [(d["answered"], d["quoted"], d["not_found"], d["declined"]) for d in r["daily"]] == [
        (2, 0, 1, 0),
        (0, 0, 0, 0),
        (0, 1, 0, 1),
    ]
    assert r["top_documents"] == [("it-helpdesk-guide.pdf", 2), ("expense-travel-policy.pdf", 1)]
    json.dumps(r)  # the report's data is JSON as it is


def test_period_bounds_select_rows(seeded):
    assert usage_report(seeded, DAY0 + timedelta(days=1))["questions"] == 2
    assert usage_report(seeded, DAY0, DAY0 + timedelta(hours=10))["questions"] == 1
    assert usage_report(seeded, DAY0 + timedelta(days=5))["questions"] == 0


def charts(html: str) -> list[str]:
    return re.findall(r'<figure class="chart" id="(chart-[a-z]+)">\s*<svg', html)


def test_report_renders_with_charts_in_english_and_japanese(seeded):
    r = usage_report(seeded, DAY0, DAY0 + timedelta(days=3))
    html = render_report(r, "en")
    assert charts(html) == ["chart-questions", "chart-latency", "chart-cost"]
    per_day = html[html.index('id="chart-questions"') : html.index('id="chart-latency"')]
    assert per_day.count('<g id="patch_') >= 4  # background + stacked bars of 3 days
    assert ">answered<" in per_day and ">not in the manuals<" in per_day  # the legend is text, not paths
    assert '<div class="big" id="questions">5</div>' in html
    assert "$12.00" in html and "a hosted LLM API" in html and "e-0" not in html
    assert "<script" not in html and 'src="http' not in html  # opens offline, prints
    ja = render_report(r, "ja")
    assert "質問数" in ja and ">記載なし<" in ja and "運用コスト" in ja


def test_an_empty_log_still_renders(tmp_path):
    settings = Settings()
    settings.paths.data_dir = tmp_path / "data"
    r = usage_report(settings)
    assert r["questions"] == 0 and r["answered_share"] is None and r["cost"]["machine_cost_per_answer"] is None
    assert len(charts(render_report(r))) == 3


def test_latest_evaluations_are_in_the_report(seeded):
    eval_dir = seeded.paths.data_dir / "eval"
    eval_dir.mkdir(parents=True)
    summary = {
        "questions": 40,
        "recall@5": {"value": 0.95, "ci95": [0.9, 1.0], "n": 24},
        "mrr@10": {"value": 0.81, "ci95": None, "n": 24},
        "f1": {"value": 0.2, "ci95": None, "n": 24},
        "abstention": {"precision": 0.9, "recall": 0.8, "abstained": 14, "unanswerable": 16},
        "latency_s": {"total_p50": 7.5, "total_p95": 12.0, "first_text_p50": 7.0, "first_text_p95": 11.0},
    }
    for name, when in (("old", "2026-01-01T00:00:00+00:00"), ("new", "2026-02-01T00:00:00+00:00")):
        record = {"file": f"/q/{name}.jsonl", "finished": when, "model": "m.gguf", "summary": summary}
        (eval_dir / f"{name}.summary.json").write_text(json.dumps(record), encoding="utf-8")
    r = usage_report(seeded)
    assert [e["file"] for e in r["evaluations"]] == ["/q/new.jsonl", "/q/old.jsonl"]
    assert r["evaluations"][0]["recall@5"] == 0.95 and r["evaluations"][0]["abstention_recall"] == 0.8
    html = render_report(r)
    assert "new.jsonl" in html and "0.950" in html and "0.90 / 0.80" in html
    ev = render_evaluation(summary, [1, 2, None, 1], [7.0, 8.0, 0.1, 6.0], {"file": "q.jsonl", "model": "m"})
    assert re.findall(r'id="(chart-[a-z]+)">\s*<svg', ev) == ["chart-recall", "chart-latency"]
    assert "recall@5" in ev and "0.900 – 1.000" in ev


def test_without_a_reference_price_there_is_no_comparison():
    r = build_report([], CostSettings(hosted_input_per_1k=None))
    assert r["cost"]["hosted"] is None
    assert "hosted LLM API" not in render_report(r)


def test_a_long_period_over_a_short_log_prices_only_the_time_measured(seeded):
    """A 30-day report of a pilot whose log began three days ago: 3 days of machine cost over the 3 answers, not
    30 days over them (found in use: 3.13 USD per answer)."""
    r = usage_report(seeded, DAY0 - timedelta(days=27), DAY0 + timedelta(days=3))
    assert r["cost"]["days"] == pytest.approx(3.0)  # from the day of the first question (DAY0 09:00)
    assert r["cost"]["machine_cost_per_answer"] == pytest.approx(0.5 * 24 * 3 / 3)


@pytest.mark.parametrize(("amount", "currency", "shown"), [
    (3.126, "USD", "$3.13"),
    (7.47e-05, "USD", "$0.000075"),
    (0.0123, "USD", "$0.012"),
    (1250.4, "JPY", "¥1,250"),
    (0.5, "JPY", "¥0.50"),
    (12345.678, "EUR", "€12,345.68"),
    (2.5, "CHF", "2.50 CHF"),
    (0, "USD", "$0"),
    (None, "USD", "–"),
])
def test_amounts_are_written_for_people(amount, currency, shown):
    assert money(amount, currency) == shown


def test_the_japanese_report_names_the_reference_in_japanese(seeded):
    ja = render_report(usage_report(seeded, DAY0, DAY0 + timedelta(days=3)), "ja")
    assert "クラウドのLLM API" in ja and "hosted" not in ja
