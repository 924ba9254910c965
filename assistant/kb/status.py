"""What an admin asks of the knowledge base: its size, model, groups, last ingestion and, on request, whether
database and index agree. One function, shown by `assistant status` and the web app's admin view alike."""

from __future__ import annotations

from typing import Any

from assistant.core.config import Settings
from assistant.kb.generations import generation_names
from assistant.kb.reader import KnowledgeBase


def knowledge_base_status(settings: Settings, check: bool = False) -> dict[str, Any]:
    kb = KnowledgeBase.open(settings.paths.kb_dir)
    try:
        info: dict[str, Any] = {
            "knowledge_base": str(settings.paths.kb_dir),
            "exists": kb.exists,
            "generation": kb.generation,
            **kb.counts(),
            **kb.disk_usage(),
            "embedder": kb.embedder_identity,
            "configured_embedder": {"backend": settings.embedding.backend, "model": settings.embedding.model},
            "groups": sorted({g for d in kb.documents() for g in d.groups}),
            "last_ingestion": None,
            "config": settings.source,
            "generations_on_disk": generation_names(settings.paths.kb_dir),
        }
        if run := kb.last_run():
            s = run["summary"]
            info["last_ingestion"] = {
                "finished_at": run["finished_at"],
                "generation": run["generation"],
                "counts": s.get("counts"),
                "command": s.get("command", "ingest"),
            }
        if check:
            info["problems"] = kb.verify()
        return info
    finally:
        kb.close()
