"""Gradio web app (chat, drafting, admin, usage views): a thin layer over the `assistant` services.

Empty until the web UI work; the dependency direction is ui -> assistant, never the reverse.
"""
