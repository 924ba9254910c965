"""The usage page (admins): the same report as `assistant report` — questions per day by outcome, latency,
tokens, feedback, cost against the hosted reference, latest evaluation — for a chosen period, with its charts,
and the HTML file to download."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import escape

import gradio as gr

from assistant.analytics.report import usage_report
from assistant.analytics.report_html import render_report
from assistant.services import Assistant
from ui.exports import fresh_folder
from ui.labels import t
from ui.views.admin import require_admin


def report_html(service: Assistant, days: int, lang: str) -> str:
    since = datetime.now(UTC) - timedelta(days=max(1, int(days)))
    return render_report(usage_report(service.settings, since), lang)


STYLE = re.compile(r"<style>(.*?)</style>", re.S)
BODY = re.compile(r"<body>(.*)</body>", re.S)


def inline(page: str) -> str:
    """The report page as part of the app page: its body, with its styles scoped to it (CSS @scope), so the whole
    report is visible in the page's own scroll — no frame of a fixed height with a scroll bar inside."""
    css = "\n".join(STYLE.findall(page)).replace("body {", ":scope {")
    body = BODY.search(page)
    content = body.group(1) if body else page
    return f"<div id='da-report' class='da-report'><style>@scope (.da-report) {{ {css} }}</style>{content}</div>"


def unrecorded_warning(service: Assistant, lang: str) -> str:
    """Answers this server could not log (a full disk): the report alone would undercount without saying so."""
    usage = service.usage
    if usage is None or not usage.unrecorded:
        return ""
    text = t(lang, "usage.unrecorded").format(n=usage.unrecorded, reason=usage.last_failure)
    return f"<p id='da-usage-unrecorded' role='alert' style='color:#b00020'>{escape(text)}</p>"


def build(service: Assistant, lang: str) -> None:
    with gr.Row():
        days = gr.Dropdown(choices=[1, 7, 30, 90, 365], value=30, label=t(lang, "usage.days"), elem_id="da-days")
        show = gr.Button(t(lang, "usage.show"), elem_id="da-usage-show")
        download = gr.DownloadButton(t(lang, "usage.download"), elem_id="da-usage-download")
    page = gr.HTML(elem_id="da-usage")

    def render(n: int, request: gr.Request):  # noqa: ANN202
        require_admin(service, request)
        html = report_html(service, n, lang)
        folder = fresh_folder(request.username, "usage")
        path = folder / f"usage-report-{datetime.now(UTC):%Y%m%d}.html"
        path.write_text(html, encoding="utf-8")
        return unrecorded_warning(service, lang) + inline(html), str(path)

    show.click(render, days, [page, download], api_name=False)
