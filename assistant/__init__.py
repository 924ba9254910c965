"""Core of the document assistant: settings, knowledge base, embeddings (and, later, retrieval and generation)."""

__version__ = "0.1.0"
