"""Builds the long-lived objects (knowledge base, searcher, model, services) once, from settings.

The CLI and the UI call these; tests hand their own objects to the services instead.
"""

from __future__ import annotations

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.llm import ChatModel, load_chat_model
from assistant.qa import QAService
from assistant.retrieval import Searcher, build_searcher
from assistant.store import KnowledgeBase
from assistant.usage import UsageLog


def open_knowledge_base(settings: Settings) -> KnowledgeBase:
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    if not kb.exists:
        raise AssistantError("the knowledge base is empty: run `assistant ingest PATH` first")
    return kb


def open_searcher(settings: Settings, kb: KnowledgeBase | None = None) -> Searcher:
    from assistant.embeddings import load_embedder

    kb = kb or open_knowledge_base(settings)
    return build_searcher(kb, load_embedder(settings.embedding), settings.retrieval, settings.embedding.threads)


def build_qa_service(settings: Settings, searcher: Searcher | None = None, model: ChatModel | None = None) -> QAService:
    """The Q&A service with the usage log attached when `[usage] enabled`."""
    service = QAService(
        settings,
        searcher or open_searcher(settings),
        model or load_chat_model(settings.generation, settings.paths.data_dir / "models"),
    )
    if settings.usage.enabled:
        usage = open_usage_log(settings)
        service.listeners.append(usage.record)
        service.closers.append(usage.close)
    return service


def open_usage_log(settings: Settings) -> UsageLog:
    return UsageLog(settings.paths.usage_db, settings.usage)
