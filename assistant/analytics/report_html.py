"""Draws a report (assistant/report.py) or an evaluation summary as one self-contained HTML page.

Charts are matplotlib SVG written into the page (no script, no network: the page opens on an offline machine
and prints). Text in the SVG stays text (`svg.fonttype = none`), so the browser draws Japanese labels with its
own fonts; matplotlib's bundled font has no Japanese glyphs.
"""

from __future__ import annotations

import io
import logging
import math
import warnings
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from assistant.analytics.report import OUTCOMES

COLORS = {
    "answered": "#2e7d32",
    "quoted": "#81c784",
    "partly": "#c5e1a5",
    "closest": "#fff176",
    "declined": "#ffb74d",
    "not_found": "#9e9e9e",
    "no_documents": "#e57373",
    "cancelled": "#cfd8dc",
    "up": "#2e7d32",
    "down": "#c62828",
    "p50": "#1565c0",
    "p95": "#90caf9",
}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Document assistant: usage and cost report",
        "eval_title": "Evaluation report",
        "period": "Period",
        "generated": "Generated",
        "questions": "Questions",
        "users": "Users",
        "answered_share": "Answered from the manuals",
        "answered": "answered",
        "quoted": "quoted from a manual",
        "partly": "part of the question answered",
        "closest": "closest passages (may not answer)",
        "declined": "model declined",
        "not_found": "not in the manuals",
        "no_documents": "no documents",
        "cancelled": "stopped by the reader",
        "feedback": "Feedback",
        "up": "helpful",
        "down": "not helpful",
        "none": "no rating",
        "latency": "Latency (seconds)",
        "retrieval_s": "retrieval",
        "first_token_s": "first token",
        "first_text_s": "first text shown",
        "generation_s": "generation",
        "total_s": "total",
        "tokens": "Tokens",
        "prompt": "prompt",
        "completion": "completion",
        "per_question": "per question",
        "cost": "Running cost",
        "machine_cost": "Machine cost of the period",
        "per_answer": "per answered question",
        "busy_cost": "Compute per answered question when the machine is kept busy",
        "capacity": "Answers per hour, one at a time",
        "hosted": "Same tokens on",
        "hosted_default": "a hosted LLM API",
        "questions_per_day": "Questions per day",
        "latency_per_day": "Answer time per day (p50 / p95, s)",
        "cost_chart": "Cost per answered question",
        "top_documents": "Most cited documents",
        "comments": "Recent feedback comments",
        "evaluations": "Latest evaluations",
        "models": "Models",
        "none_yet": "none yet",
        "metric": "metric",
        "value": "value",
        "ci": "95% interval",
        "recall_curve": "Share of questions with the gold source in the top k",
        "latency_hist": "Answer time (s), number of questions",
        "outcomes": "Outcomes",
        "estimate": "Estimates from the prices in config.toml [cost]",
        "machine_period": "machine (period)",
        "per_hour": "/h",
        "hours_a_day": "h/day",
        "machine_busy": "machine (busy)",
        "days": "days",
        "per_1k": "per 1,000 tokens",
    },
    "ja": {
        "title": "ドキュメントアシスタント 利用状況・コストレポート",
        "eval_title": "評価レポート",
        "period": "期間",
        "generated": "作成日時",
        "questions": "質問数",
        "users": "利用者数",
        "answered_share": "マニュアルから回答",
        "answered": "回答",
        "quoted": "マニュアルを引用",
        "partly": "質問の一部に回答",
        "closest": "関連する記載のみ",
        "declined": "モデルが回答せず",
        "not_found": "記載なし",
        "no_documents": "文書なし",
        "cancelled": "利用者が中断",
        "feedback": "フィードバック",
        "up": "役に立った",
        "down": "役に立たなかった",
        "none": "評価なし",
        "latency": "応答時間（秒）",
        "retrieval_s": "検索",
        "first_token_s": "最初のトークン",
        "first_text_s": "最初の表示",
        "generation_s": "生成",
        "total_s": "合計",
        "tokens": "トークン数",
        "prompt": "入力",
        "completion": "出力",
        "per_question": "1問あたり",
        "cost": "運用コスト",
        "machine_cost": "期間中のマシン費用",
        "per_answer": "回答1件あたり",
        "busy_cost": "マシンを常に稼働させた場合の回答1件あたりの計算費用",
        "capacity": "1時間あたりの回答数（逐次処理）",
        "hosted": "同じトークン数での",
        "hosted_default": "クラウドのLLM API",
        "questions_per_day": "日別の質問数",
        "latency_per_day": "日別の応答時間（p50 / p95、秒）",
        "cost_chart": "回答1件あたりの費用",
        "top_documents": "よく引用された文書",
        "comments": "最近のフィードバックコメント",
        "evaluations": "最新の評価結果",
        "models": "モデル",
        "none_yet": "まだありません",
        "metric": "指標",
        "value": "値",
        "ci": "95%信頼区間",
        "recall_curve": "上位k件に正解の出典がある質問の割合",
        "latency_hist": "応答時間（秒）と質問数",
        "outcomes": "結果の内訳",
        "estimate": "config.toml の [cost] の価格による試算",
        "machine_period": "マシン（期間）",
        "per_hour": "/時間",
        "hours_a_day": "時間/日",
        "machine_busy": "マシン（稼働時）",
        "days": "日",
        "per_1k": "1,000トークンあたり",
    },
}

_env = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"), autoescape=select_autoescape(["html"])
)


SYMBOLS = {"USD": "$", "JPY": "¥", "EUR": "€", "GBP": "£", "CNY": "CN¥"}
WHOLE_UNITS = {"JPY", "KRW"}  # currencies without cents: no decimals from 100 up


def money(amount: float | None, currency: str = "") -> str:
    """An amount as a person writes it: "$3.13", "¥1,250", "$0.000075" (never 7.47e-05): grouped thousands,
    cents from 1 up, two significant digits below 1 (an answer costs fractions of a cent)."""
    if amount is None:
        return "–"
    code = currency.upper()
    value = abs(amount)
    if value == 0:
        text = "0"
    elif value >= 100 and code in WHOLE_UNITS:
        text = f"{value:,.0f}"
    elif value >= 1:
        text = f"{value:,.2f}"
    elif value < 1e-6:
        text = "0.000001"
        return f"< {SYMBOLS.get(code, '')}{text}" + ("" if code in SYMBOLS or not code else f" {code}")
    else:
        digits = -math.floor(math.log10(value)) + 1
        text = f"{value:.{digits}f}"
    sign = "-" if amount < 0 else ""
    if code in SYMBOLS:
        return f"{sign}{SYMBOLS[code]}{text}"
    return f"{sign}{text} {code}".strip()


_env.filters["money"] = money


def render_report(report: dict[str, Any], lang: str = "en") -> str:
    t = LABELS[lang]
    hosted = report["cost"].get("hosted")
    if hosted and not hosted["name"]:
        report = {**report, "cost": {**report["cost"], "hosted": {**hosted, "name": t["hosted_default"]}}}
    charts = {
        "per_day": _questions_per_day(report["daily"], t),
        "latency": _latency_per_day(report["daily"], t),
        "cost": _cost_bars(report["cost"], t),
    }
    return _env.get_template("report.html").render(r=report, t=t, lang=lang, charts=charts)


def render_evaluation(
    summary: dict[str, Any], ranks: list[int | None], totals: list[float], meta: dict[str, Any], lang: str = "en"
) -> str:
    t = LABELS[lang]
    charts = {"recall": _recall_curve(ranks, t), "latency": _histogram(totals, t["latency_hist"])}
    return _env.get_template("evaluation.html").render(s=summary, meta=meta, t=t, lang=lang, charts=charts)


# --- charts ---------------------------------------------------------------------------------------------
def _svg(draw) -> Markup:  # noqa: ANN001
    """Run draw(ax) on a fresh figure (no pyplot state, safe in a server thread) and return inline SVG."""
    import matplotlib
    from matplotlib.figure import Figure

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 9, "svg.hashsalt": "report"}):
        fig = Figure(figsize=(6.4, 2.8), layout="constrained")
        draw(fig.add_subplot())
        buf = io.StringIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Glyph missing": the browser draws Japanese, not matplotlib
            fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    return Markup(svg[svg.index("<svg") :])


def _day_labels(days: list[dict[str, Any]]) -> list[str]:
    return [d["day"][5:] for d in days]  # MM-DD


def _questions_per_day(days: list[dict[str, Any]], t: dict[str, str]) -> Markup:
    def draw(ax) -> None:  # noqa: ANN001
        x = list(range(len(days)))
        bottom = [0] * len(days)
        for o in OUTCOMES:
            values = [d[o] for d in days]
            if any(values):
                ax.bar(x, values, bottom=bottom, color=COLORS[o], label=t[o])
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        _date_axis(ax, days)
        ax.set_title(t["questions_per_day"])
        if any(bottom):
            ax.legend(fontsize=8, frameon=False)

    return _svg(draw)


def _latency_per_day(days: list[dict[str, Any]], t: dict[str, str]) -> Markup:
    def draw(ax) -> None:  # noqa: ANN001
        x = list(range(len(days)))
        for key, label in (("total_p95_s", "p95"), ("total_p50_s", "p50")):  # a day without questions is a gap
            y = [float("nan") if d[key] is None else d[key] for d in days]
            ax.plot(x, y, marker="o", color=COLORS[label], label=label)
        _date_axis(ax, days)
        ax.set_ylim(bottom=0)
        ax.set_title(t["latency_per_day"])
        if any(d["total_p50_s"] is not None for d in days):
            ax.legend(fontsize=8, frameon=False)

    return _svg(draw)


def _date_axis(ax, days: list[dict[str, Any]]) -> None:  # noqa: ANN001
    labels = _day_labels(days)
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step), labels[::step])
    ax.set_xlim(-0.6, max(len(labels), 1) - 0.4)
    ax.spines[["top", "right"]].set_visible(False)


def _cost_bars(cost: dict[str, Any], t: dict[str, str]) -> Markup:
    bars = [
        (t["machine_period"], cost["machine_cost_per_answer"], "#1565c0"),
        (t["machine_busy"], cost["busy_cost_per_answer"], "#90caf9"),
    ]
    if cost.get("hosted"):
        bars.append((cost["hosted"]["name"], cost["hosted"]["cost_per_answer"], "#ffb74d"))

    def draw(ax) -> None:  # noqa: ANN001
        shown = [(label, v, c) for label, v, c in bars if v is not None]
        ax.barh([label for label, _, _ in shown], [v for _, v, _ in shown], color=[c for _, _, c in shown])
        for i, (_, v, _) in enumerate(shown):
            ax.annotate(f" {money(v, cost['currency'])}", (v, i), va="center", fontsize=8)
        ax.set_title(t["cost_chart"] + f" ({cost['currency']})")
        ax.spines[["top", "right"]].set_visible(False)
        ax.margins(x=0.35)

    return _svg(draw)


def _recall_curve(ranks: list[int | None], t: dict[str, str]) -> Markup:
    def draw(ax) -> None:  # noqa: ANN001
        ks = list(range(1, 11))
        if ranks:
            ax.plot(ks, [sum(1 for r in ranks if r is not None and r <= k) / len(ranks) for k in ks], marker="o")
        ax.set_xticks(ks)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("k")
        ax.set_title(t["recall_curve"])
        ax.spines[["top", "right"]].set_visible(False)

    return _svg(draw)


def _histogram(values: list[float], title: str) -> Markup:
    def draw(ax) -> None:  # noqa: ANN001
        if values:
            ax.hist(values, bins=min(30, max(5, len(values) // 3)), color=COLORS["p50"])
        ax.set_title(title)
        ax.spines[["top", "right"]].set_visible(False)

    return _svg(draw)
