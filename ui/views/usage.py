"""The usage page (admins): the same report as `assistant report` — questions per day by outcome, latency,
tokens, feedback, cost against the hosted reference, latest evaluation — for a chosen period, with its charts,
and the HTML file to download."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import gradio as gr

from assistant.analytics.report import usage_report
from assistant.analytics.report_html import render_report
from assistant.services import Assistant
from ui.labels import t
from ui.views.admin import require_admin


def report_html(service: Assistant, days: int, lang: str) -> str:
    since = datetime.now(UTC) - timedelta(days=max(1, int(days)))
    return render_report(usage_report(service.settings, since), lang)


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
        folder = Path(tempfile.mkdtemp(prefix="usage-"))
        path = folder / f"usage-report-{datetime.now(UTC):%Y%m%d}.html"
        path.write_text(html, encoding="utf-8")
        # The report is a whole HTML page with its own styles: shown in a sandboxed frame, so they stay inside it.
        style = "width:100%;height:1400px;border:0"
        frame = f"<iframe id='da-usage-frame' sandbox='' style='{style}' srcdoc=\"{{}}\"></iframe>"
        shown = frame.format(html.replace("&", "&amp;").replace('"', "&quot;"))
        return unrecorded_warning(service, lang) + shown, str(path)

    show.click(render, days, [page, download], api_name=False)
