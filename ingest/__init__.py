"""Admin ingestion: files -> parsed pages -> normalised text -> chunks -> vectors in the knowledge base."""
