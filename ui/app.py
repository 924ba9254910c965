"""The Gradio app of one label language: a header with the user and the language switch, then the chat for
everyone, the drafting view for writers and admins, and, for admins only, the documents and usage views (hidden
for others, and refused server-side)."""

from __future__ import annotations

import gradio as gr

from assistant.services import Assistant
from ui.labels import other, t
from ui.library import Library
from ui.streaming import StreamPump
from ui.views import admin, chat, drafting, usage

CSS = """
.da-source { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 4px 8px; margin: 4px 0; }
.da-source.da-cited { border-color: var(--color-accent); }
.da-passage { white-space: pre-wrap; font-size: 0.9em; }
.da-passage mark, .da-passage tr.da-mark td { background: #ffe566; }
.da-passage table.da-table { border-collapse: collapse; margin: 4px 0; white-space: normal; }
.da-passage table.da-table th, .da-passage table.da-table td { border: 1px solid var(--border-color-primary);
  padding: 2px 6px; }
.da-muted { color: var(--body-text-color-subdued); }
.da-near summary { color: var(--body-text-color-subdued); }
#da-header { flex-wrap: wrap; align-items: center; gap: 4px 12px; }
#da-header > * { min-width: 0 !important; flex: 0 1 auto !important; }
#da-header h2 { margin: 0; white-space: nowrap; }
#da-header a { white-space: nowrap; }
#da-status { min-height: 1.4em; color: var(--body-text-color-subdued); }
#da-chat table { border-collapse: collapse; margin: 4px 0; }
#da-chat th, #da-chat td { border: 1px solid var(--border-color-primary); padding: 2px 6px; }
@media (max-width: 640px) {
  #da-header h2 { font-size: 1.1rem; }
  #da-history-col { order: 3; }
  #da-sources-col { order: 2; }
  #da-chat { height: 52vh !important; }
}
"""


def build_blocks(service: Assistant, pump: StreamPump, library: Library, lang: str) -> gr.Blocks:
    # Files Gradio copied into its cache for a download are deleted after an hour (checked hourly).
    with gr.Blocks(title=t(lang, "title"), analytics_enabled=False, delete_cache=(3600, 3600)) as blocks:
        with gr.Row(elem_id="da-header"):
            gr.Markdown(f"## {t(lang, 'title')}")
            who = gr.Markdown(elem_id="da-user")
            gr.HTML(
                f"<a id='da-lang' href='/app/{other(lang)}/'>{t(lang, 'switch_language')}</a> · "
                f"<a id='da-logout' href='/logout'>{t(lang, 'logout')}</a>"
            )
        with gr.Tabs():
            with gr.Tab(t(lang, "tab.chat"), id="chat", elem_id="da-tab-chat"):
                chat_load, chat_outputs = chat.build(service, pump, lang)
            with gr.Tab(t(lang, "tab.drafting"), id="drafting", visible=False, elem_id="da-tab-drafting") as draft_tab:
                draft_sources, draft_list = drafting.build(service, lang)
            with gr.Tab(t(lang, "tab.admin"), id="admin", visible=False, elem_id="da-tab-admin") as admin_tab:
                documents = admin.build(service, library, lang)
            with gr.Tab(t(lang, "tab.usage"), id="usage", visible=False, elem_id="da-tab-usage") as usage_tab:
                usage.build(service, lang)

        def on_load(request: gr.Request):  # noqa: ANN202
            principal = service.principal(request.username)
            is_admin = principal.role == "admin"
            writes = principal.role in ("writer", "admin")
            role = t(lang, f"role.{principal.role}")
            return (
                t(lang, "signed_in_as", user=principal.name, role=role),
                gr.Tab(visible=writes),
                gr.CheckboxGroup(choices=drafting.source_choices(service, principal)) if writes else gr.skip(),
                gr.Dropdown(choices=drafting.draft_choices(service, principal)) if writes else gr.skip(),
                gr.Tab(visible=is_admin),
                gr.Tab(visible=is_admin),
                admin.document_rows(library) if is_admin else gr.skip(),
            )

        blocks.load(
            on_load, None, [who, draft_tab, draft_sources, draft_list, admin_tab, usage_tab, documents], api_name=False
        )
        blocks.load(chat_load, None, chat_outputs, api_name=False)
    return blocks
