"""The values and errors `NewsStore` hands out: what it holds of a document, its statistics,
and errors worded for the user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping


class StoreError(RuntimeError):
    """A problem with the store, worded for the user."""


class StoreUnavailableError(StoreError):
    """The Chroma server cannot be reached (or the store folder cannot be opened)."""


class StoreMismatchError(StoreError):
    """The store was built with another embedding model or chunk settings."""


@dataclass
class DocRecord:
    """What the store holds of one document: its content hash and chunk ids."""

    doc_id: str
    doc_hash: str
    root: str
    file: str
    chunk_ids: list[str]
    hashes: set[str]

    @property
    def consistent(self) -> bool:
        """True when every chunk carries the same document hash (no half-finished write)."""
        return len(self.hashes) == 1


def doc_records_of(chunks: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, DocRecord]:
    """Per document, what (chunk id, metadata) pairs say is stored: its hash, origin and chunk ids."""
    records: dict[str, DocRecord] = {}
    for chunk_id, meta in chunks:
        doc_id = str(meta.get("doc_id", ""))
        rec = records.get(doc_id)
        if rec is None:
            rec = records[doc_id] = DocRecord(doc_id, str(meta.get("doc_hash", "")), str(meta.get("root", "")),
                                              str(meta.get("file", "")), [], set())
        rec.chunk_ids.append(chunk_id)
        rec.hashes.add(str(meta.get("doc_hash", "")))
    return records


@dataclass
class StoreStats:
    """What is indexed: counts per outlet and kind, newest article, settings."""

    documents: int
    chunks: int
    by_source_kind: dict[tuple[str, str], tuple[int, int]]  # (source, kind) -> (docs, chunks)
    newest_article: str
    settings: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {
            "documents": self.documents,
            "chunks": self.chunks,
            "by_source_kind": [
                {"source": s, "kind": k, "documents": d, "chunks": c}
                for (s, k), (d, c) in sorted(self.by_source_kind.items())
            ],
            "newest_article": self.newest_article,
            "settings": self.settings,
        }
