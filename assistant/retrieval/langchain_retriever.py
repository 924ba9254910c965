"""The knowledge base as a LangChain `BaseRetriever`, for chains and tools built on LangChain's interfaces."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from assistant.core.identity import Principal


class KnowledgeBaseRetriever(BaseRetriever):
    """LangChain retriever over the knowledge base, bound to one principal (what that user may read)."""

    searcher: Any
    principal: Principal
    k: int = 5
    mode: str = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self.searcher.search(query, self.k, principal=self.principal, mode=self.mode)
        return [Document(page_content=h.context or h.text, metadata=h.metadata(), id=h.chunk_id) for h in hits]
