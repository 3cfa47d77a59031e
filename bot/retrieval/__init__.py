"""Retrieval: filters, the lexical index, and hybrid (BM25 + dense) search."""

from .filters import SearchFilters, chroma_where, kinds_for
from .hybrid import HybridRetriever, RetrievalConfig

__all__ = ["HybridRetriever", "RetrievalConfig", "SearchFilters", "chroma_where", "kinds_for"]
