"""`NewsStore`: the one class that talks to Chroma.

An embedded store on disk by default (`chromadb.PersistentClient`), a Chroma server
when `host` is set (`chromadb.HttpClient`). Vectors always come from our `Embedder`:
every collection is opened with `embedding_function=None`, so Chroma's built-in
default embedding function (which downloads a model) can never run.

The collection's metadata records the embedding model and chunk settings (a store
built with other settings is refused) and a version stamp that changes on every write,
so other processes know when their lexical index snapshot (`vectorstore.lexical`) is stale.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
from filelock import FileLock

from .config import StoreConfig
from .embeddings import Embedder, model_label
from .passage import Passage

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
META_MODEL = "newsdesk_model"
META_DIM = "newsdesk_dim"
META_CHUNK_TOKENS = "newsdesk_chunk_tokens"
META_CHUNK_OVERLAP = "newsdesk_chunk_overlap"
META_SCHEMA = "newsdesk_schema"
META_VERSION = "newsdesk_version"


OPEN_LOCK = ".open.lock"  # serialises opening (and creating) an embedded store across processes


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


def _connection_error(exc: BaseException) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return any(word in text for word in ("connect", "refused", "timed out", "timeout", "unreachable", "could not"))


class NewsStore:
    """A Newsdesk collection in Chroma, with the embedder that fills it."""

    def __init__(self, config: StoreConfig, embedder: Embedder | None = None, *, create: bool = True) -> None:
        self.config = config
        self.embedder = embedder or Embedder(config.embedding_model, batch_size=config.embed_batch_size,
                                             threads=config.torch_threads)
        if config.is_server:
            self._client = self._connect()
            self._collection = self._open_collection(create=create)
        else:
            # Chroma sets up a new folder's database without a lock: two processes opening a
            # fresh store at once can fail ("table collections already exists"), so take turns
            config.path.mkdir(parents=True, exist_ok=True)
            with FileLock(str(config.path / OPEN_LOCK)):
                self._client = self._connect()
                self._collection = self._open_collection(create=create)

    # --- connection -------------------------------------------------------------------
    def _connect(self):  # noqa: ANN202 - chromadb.api.ClientAPI
        import chromadb

        settings = chromadb.Settings(anonymized_telemetry=False, allow_reset=False)
        try:
            if self.config.is_server:
                return chromadb.HttpClient(host=self.config.host, port=self.config.port, ssl=self.config.ssl,
                                           headers=dict(self.config.headers) or None, settings=settings)
            self.config.path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(self.config.path), settings=settings)
        except Exception as exc:
            raise StoreUnavailableError(f"cannot open the {self.config.describe()}: {_short(exc)}") from None

    def _expected_meta(self) -> dict[str, Any]:
        return {
            META_MODEL: model_label(self.config.embedding_model),
            META_CHUNK_TOKENS: self.config.chunk_tokens,
            META_CHUNK_OVERLAP: self.config.chunk_overlap,
            META_SCHEMA: SCHEMA_VERSION,
        }

    def _open_collection(self, *, create: bool):  # noqa: ANN202 - chromadb Collection
        name = self.config.collection
        try:
            try:
                collection = self._client.get_collection(name, embedding_function=None)
            except Exception as exc:
                if _connection_error(exc):
                    raise
                if not create:
                    raise StoreError(f"the {self.config.describe()} does not exist yet: run `newsdesk ingest` first") from None
                meta = {**self._expected_meta(), META_VERSION: time.time_ns()}
                collection = self._client.get_or_create_collection(
                    name, embedding_function=None, metadata=meta,
                    configuration={"hnsw": {"space": "cosine"}},
                )
        except StoreError:
            raise
        except Exception as exc:
            raise StoreUnavailableError(f"cannot reach the {self.config.describe()}: {_short(exc)}") from None
        return collection

    def check_compatible(self) -> None:
        """Raise `StoreMismatchError` if the store was built with other model or chunk settings."""
        have = self.metadata()
        want = self._expected_meta()
        diffs = [
            f"{key.removeprefix('newsdesk_')}: store has {have.get(key)!r}, settings say {value!r}"
            for key, value in want.items()
            if key in have and have.get(key) != value
        ]
        if diffs:
            raise StoreMismatchError(
                f"the {self.config.describe()} was built with other settings ({'; '.join(diffs)}). "
                "Use another --store or NEWSDESK_COLLECTION, or restore the original settings."
            )

    # --- metadata and version -----------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        """The collection's current metadata, fetched fresh (other processes may write)."""
        try:
            fresh = self._client.get_collection(self.config.collection, embedding_function=None)
        except Exception as exc:
            raise StoreUnavailableError(f"cannot reach the {self.config.describe()}: {_short(exc)}") from None
        return dict(fresh.metadata or {})

    def version(self) -> int:
        """A stamp that changes whenever the contents change (for cache invalidation)."""
        return int(self.metadata().get(META_VERSION, 0) or 0)

    def bump_version(self) -> int:
        """Record that the contents changed; returns the new stamp."""
        meta = self.metadata()
        stamp = max(time.time_ns(), int(meta.get(META_VERSION, 0) or 0) + 1)
        meta[META_VERSION] = stamp
        if META_DIM not in meta and self.embedder is not None and "model" in self.embedder.__dict__:
            meta[META_DIM] = self.embedder.dimension
        self._call(lambda: self._collection.modify(metadata=meta))
        return stamp

    @property
    def collection_id(self) -> str:
        """The collection's id: the same for every client, new when the collection is recreated."""
        return str(self._collection.id)

    # --- reading ------------------------------------------------------------------------
    def count(self) -> int:
        """Number of chunks stored."""
        return int(self._call(self._collection.count))

    def iter_records(self, *, include_documents: bool = True, page: int = 2000,
                     where: Mapping[str, Any] | None = None) -> Iterator[tuple[str, str, dict]]:
        """Yield every (chunk id, text, metadata) in the store, page by page."""
        include = ["metadatas", "documents"] if include_documents else ["metadatas"]
        offset = 0
        while True:
            batch = self._call(lambda: self._collection.get(
                include=include, limit=page, offset=offset, where=dict(where) if where else None))
            ids = batch["ids"]
            if not ids:
                return
            docs = batch.get("documents") or [""] * len(ids)
            for chunk_id, text, meta in zip(ids, docs, batch["metadatas"]):
                yield chunk_id, text or "", dict(meta or {})
            if len(ids) < page:
                return
            offset += page

    def iter_vectors(self, *, page: int = 2000) -> Iterator[tuple[str, str, dict, np.ndarray]]:
        """Yield every (chunk id, text, metadata, vector) in the store, page by page."""
        offset = 0
        while True:
            batch = self._call(lambda: self._collection.get(
                include=["metadatas", "documents", "embeddings"], limit=page, offset=offset))
            ids = batch["ids"]
            if not ids:
                return
            for chunk_id, text, meta, vector in zip(ids, batch["documents"], batch["metadatas"],
                                                    batch["embeddings"]):
                yield chunk_id, text or "", dict(meta or {}), np.asarray(vector, dtype=np.float32)
            if len(ids) < page:
                return
            offset += page

    def doc_records(self) -> dict[str, DocRecord]:
        """What is stored per document: hash, origin and chunk ids (no texts fetched)."""
        records: dict[str, DocRecord] = {}
        for chunk_id, _text, meta in self.iter_records(include_documents=False):
            doc_id = str(meta.get("doc_id", ""))
            rec = records.get(doc_id)
            if rec is None:
                rec = records[doc_id] = DocRecord(doc_id, str(meta.get("doc_hash", "")), str(meta.get("root", "")),
                                                  str(meta.get("file", "")), [], set())
            rec.chunk_ids.append(chunk_id)
            rec.hashes.add(str(meta.get("doc_hash", "")))
        return records

    def get_records(self, ids: Sequence[str], *, page: int = 2000) -> Iterator[tuple[str, str, dict]]:
        """Yield (chunk id, text, metadata) of the stored chunks among `ids` (missing ids skipped)."""
        ids = list(ids)
        for start in range(0, len(ids), page):
            got = self._call(lambda: self._collection.get(ids=ids[start:start + page],
                                                          include=["metadatas", "documents"]))
            for chunk_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                yield chunk_id, text or "", dict(meta or {})

    def get_passages(self, ids: Sequence[str]) -> list[Passage]:
        """Fetch stored chunks by id, in the order asked."""
        if not ids:
            return []
        got = self._call(lambda: self._collection.get(ids=list(ids), include=["metadatas", "documents"]))
        by_id = {i: Passage.from_record(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}
        return [by_id[i] for i in ids if i in by_id]

    def query(self, vector: np.ndarray, k: int, where: Mapping[str, Any] | None = None) -> list[Passage]:
        """The `k` chunks nearest to `vector` (cosine), optionally filtered by metadata."""
        if k <= 0:
            return []
        result = self._call(lambda: self._collection.query(
            query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1), n_results=k,
            where=dict(where) if where else None, include=["metadatas", "documents", "distances"]))
        passages = []
        for chunk_id, text, meta, dist in zip(result["ids"][0], result["documents"][0],
                                              result["metadatas"][0], result["distances"][0]):
            passage = Passage.from_record(chunk_id, text, meta)
            passage.score = 1.0 - float(dist)
            passages.append(passage)
        return passages

    def stats(self) -> StoreStats:
        """Documents and chunks per outlet and kind, the newest article date, the settings."""
        docs: dict[tuple[str, str], set[str]] = {}
        chunks: Counter[tuple[str, str]] = Counter()
        newest = ""
        all_docs: set[str] = set()
        for _cid, _text, meta in self.iter_records(include_documents=False):
            key = (str(meta.get("source", "")) or "(unknown)", str(meta.get("kind", "article")))
            docs.setdefault(key, set()).add(str(meta.get("doc_id")))
            all_docs.add(str(meta.get("doc_id")))
            chunks[key] += 1
            if meta.get("kind") == "article":
                newest = max(newest, str(meta.get("published", ""))[:10])
        meta = self.metadata()
        settings = {
            "store": self.config.describe(),
            "embedding_model": meta.get(META_MODEL, ""),
            "dimension": meta.get(META_DIM, ""),
            "chunk_tokens": meta.get(META_CHUNK_TOKENS, ""),
            "chunk_overlap": meta.get(META_CHUNK_OVERLAP, ""),
            "version": meta.get(META_VERSION, ""),
        }
        by = {key: (len(ids), chunks[key]) for key, ids in docs.items()}
        return StoreStats(len(all_docs), sum(chunks.values()), by, newest, settings)

    # --- writing ------------------------------------------------------------------------
    def max_batch(self) -> int:
        """Largest number of records Chroma takes in one call."""
        try:
            return int(self._client.get_max_batch_size())
        except Exception:
            return 5000

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str],
               metadatas: Sequence[Mapping[str, Any]]) -> None:
        """Insert or replace chunks (one call per Chroma batch)."""
        step = self.max_batch()
        for start in range(0, len(ids), step):
            end = start + step
            self._call(lambda: self._collection.upsert(
                ids=list(ids[start:end]), embeddings=np.asarray(vectors[start:end], dtype=np.float32),
                documents=list(texts[start:end]), metadatas=[dict(m) for m in metadatas[start:end]]))

    def delete(self, ids: Sequence[str]) -> None:
        """Delete chunks by id."""
        step = self.max_batch()
        ids = list(ids)
        for start in range(0, len(ids), step):
            chunk = ids[start:start + step]
            self._call(lambda: self._collection.delete(ids=chunk))

    # --- helpers ------------------------------------------------------------------------
    def _call(self, fn):  # noqa: ANN001, ANN202
        try:
            return fn()
        except StoreError:
            raise
        except Exception as exc:
            if _connection_error(exc):
                raise StoreUnavailableError(f"the {self.config.describe()} is unavailable: {_short(exc)}") from None
            raise


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]
