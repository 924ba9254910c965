"""The knowledge base: generations of SQLite + FAISS + FTS5 on disk, one writer, leased readers, a live view."""

from assistant.kb.generations import current_generation, ingestion_lock, prune
from assistant.kb.live import LiveKnowledgeBase
from assistant.kb.reader import KnowledgeBase
from assistant.kb.schema import ChunkRecord, DocumentRecord
from assistant.kb.writer import GenerationWriter

__all__ = [
    "ChunkRecord",
    "DocumentRecord",
    "GenerationWriter",
    "KnowledgeBase",
    "LiveKnowledgeBase",
    "current_generation",
    "ingestion_lock",
    "prune",
]
