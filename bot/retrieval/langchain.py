"""Newsdesk's retrieval as a LangChain `BaseRetriever`, for users' own chains.

    from bot.retrieval.langchain import make_retriever
    retriever = make_retriever(k=5)            # settings from the environment and .env
    docs = retriever.invoke("How much was added to the ARRS pot?")
"""

from __future__ import annotations

import dataclasses

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from vectorstore.embeddings import register_langchain

from .filters import SearchFilters
from .hybrid import HybridRetriever

register_langchain()  # the store's Embedder counts as a LangChain Embeddings where LangChain is used


class NewsRetriever(BaseRetriever):
    """A `HybridRetriever` returning LangChain `Document`s (metadata: every Passage field)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: HybridRetriever
    k: int = 10
    filters: SearchFilters | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        self.retriever.refresh_if_stale()
        passages = self.retriever.search(query, k=self.k, filters=self.filters)
        return [Document(page_content=p.text, metadata=dataclasses.asdict(p), id=p.chunk_id) for p in passages]


def make_retriever(settings=None, *, k: int | None = None, filters: SearchFilters | None = None) -> NewsRetriever:
    """A LangChain retriever over the configured store (settings from the environment and
    `.env` when not given; the store must exist)."""
    from vectorstore.store import NewsStore

    from ..settings import load_settings

    settings = settings or load_settings()
    store = NewsStore(settings.store, create=False)
    return NewsRetriever(retriever=HybridRetriever(store), k=k or settings.top_k, filters=filters)
