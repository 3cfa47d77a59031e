"""`NewsStore`: the one class that talks to Chroma.

An embedded store on disk by default (`chromadb.PersistentClient`), a Chroma server
when `host` is set (`chromadb.HttpClient`). Vectors always come from our `Embedder`:
every collection is opened with `embedding_function=None`, so Chroma's built-in
default embedding function (which downloads a model) can never run.

The collection's metadata records the embedding model and chunk settings (a store
built with other settings is refused), the runtime and precision that made the vectors
(querying or extending them with vectors of another precision is refused: f32 from any
runtime counts as the same, int8 only from the same runtime), and a version stamp that
changes on every write, so other processes know when their lexical index snapshot (`vectorstore.lexical`) is stale.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
from filelock import FileLock

from .config import StoreConfig
from .embeddings import Embedder, model_label
from .passage import Passage
from .values import (DocRecord, StoreError, StoreMismatchError, StoreStats, StoreUnavailableError,  # noqa: F401
                     doc_records_of)

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
META_MODEL = "newsdesk_model"
META_DIM = "newsdesk_dim"
META_CHUNK_TOKENS = "newsdesk_chunk_tokens"
META_CHUNK_OVERLAP = "newsdesk_chunk_overlap"
META_SCHEMA = "newsdesk_schema"
META_VERSION = "newsdesk_version"
META_BACKEND = "newsdesk_embed_backend"
META_PRECISION = "newsdesk_embed_precision"
META_REEMBED = "newsdesk_reembed_pending"  # set while `ingest --reembed` rewrites the vectors
META_WRITING = "newsdesk_writing"  # set while an ingest run changes documents; still set after one that did not finish
LEGACY_VECTORS = ("torch", "f32")  # stores written before the keys existed


OPEN_LOCK = ".open.lock"  # serialises opening (and creating) an embedded store across processes


def _connection_error(exc: BaseException) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return any(word in text for word in ("connect", "refused", "timed out", "timeout", "unreachable", "could not"))


class NewsStore:
    """A Newsdesk collection in Chroma, with the embedder that fills it."""

    def __init__(self, config: StoreConfig, embedder: Embedder | None = None, *, create: bool = True,
                 adopt_vectors: bool = True) -> None:
        """Open (or create) the collection. With `adopt_vectors` (the default) an `auto`
        embedding precision follows the store's vectors and a precision the settings
        name explicitly is checked against them; `ingest --reembed` passes False."""
        self.config = config
        try:
            self.embedder = embedder or Embedder(config.embedding_model, batch_size=config.embed_batch_size,
                                                 threads=config.torch_threads, backend=config.embed_backend,
                                                 precision=config.embed_precision, cache_dir=config.embed_cache)
        except ValueError as exc:  # settings that cannot work together, worded for the user
            raise StoreError(str(exc)) from None
        self._vectors_checked = False
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
        if adopt_vectors:
            self._adopt_vectors()

    # --- which vectors the store holds ---------------------------------------------------
    def vectors_kind(self, meta: Mapping[str, Any] | None = None) -> tuple[str, str] | None:
        """(backend, precision) of the stored vectors; None for a store with no vectors yet."""
        meta = self.metadata() if meta is None else meta
        if meta.get(META_PRECISION):
            return str(meta.get(META_BACKEND, "")), str(meta[META_PRECISION])
        if META_DIM in meta or self.count() > 0:
            return LEGACY_VECTORS
        return None

    def _adopt_vectors(self) -> None:
        """Let an `auto` precision follow the store's vectors; refuse at once what the
        settings alone show cannot match (no runtime needs loading for that)."""
        meta = dict(self._collection.metadata or {})
        kind = self.vectors_kind(meta)
        if kind is None:
            return
        self.embedder.adopt_precision(kind[1])
        wanted = self.embedder.requested_precision
        backend = self.embedder.requested_backend
        if wanted == "auto":  # not adopted: int8 vectors, and a backend without int8 asked for
            if kind[1] == "int8" and backend in ("torch", "onnx"):
                raise StoreMismatchError(self._vectors_message(kind, f"f32 vectors with {backend}"))
            return
        if wanted != kind[1] or (wanted == "int8" and backend not in ("auto", kind[0])):
            raise StoreMismatchError(self._vectors_message(kind, f"{wanted} vectors with {backend}"))

    def _vectors_message(self, kind: tuple[str, str], ours: str, why: str = "") -> str:
        return (f"the {self.config.describe()} holds {kind[1]} vectors made with {kind[0]}, but this process "
                f"makes {ours}{why}. Set NEWSDESK_EMBED_PRECISION={kind[1]}"
                + (f" and NEWSDESK_EMBED_BACKEND={kind[0]}" if kind[1] != "f32" else "")
                + ", or rebuild the vectors with `newsdesk ingest --reembed`.")

    def vectors_mismatch(self, meta: Mapping[str, Any] | None = None) -> str:
        """Why this process's vectors cannot be compared with the store's; empty when they can."""
        meta = self.metadata() if meta is None else meta
        if meta.get(META_REEMBED):
            return (f"a re-embed of the {self.config.describe()} (to {meta[META_REEMBED]}) did not finish; "
                    "run `newsdesk ingest --reembed` to complete it")
        kind = self.vectors_kind(meta)
        if kind is None:
            return ""
        ours = (self.embedder.backend, self.embedder.precision)
        if ours[1] == kind[1] and (ours[1] == "f32" or ours[0] == kind[0]):
            return ""
        why = f" (sentence-transformers fallback: {self.embedder.fallback_reason})" if self.embedder.fallback_reason else ""
        return self._vectors_message(kind, f"{ours[1]} vectors with {ours[0]}", why)

    def check_vectors(self) -> None:
        """Raise `StoreMismatchError` when the store's vectors and ours differ in precision."""
        problem = self.vectors_mismatch()
        if problem:
            raise StoreMismatchError(problem)
        self._vectors_checked = True

    def record_vectors(self, backend: str, precision: str, *, pending: str = "") -> None:
        """Record which runtime and precision made the store's vectors (and any re-embed under way)."""
        meta = self.metadata()
        meta[META_BACKEND], meta[META_PRECISION], meta[META_REEMBED] = backend, precision, pending
        self._call(lambda: self._collection.modify(metadata=meta))

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

    def check_compatible(self, *, vectors: bool = True) -> None:
        """Raise `StoreMismatchError` if the store was built with other model or chunk
        settings, or (unless `vectors` is false) holds vectors of another precision."""
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
        if vectors:
            problem = self.vectors_mismatch(have)
            if problem:
                raise StoreMismatchError(problem)
            self._vectors_checked = True

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

    def bump_version(self, *, writing: bool | None = None) -> int:
        """Record that the contents changed (or are about to); returns the new stamp. `writing`:
        an ingest run is about to change documents (True) or has finished its changes (False)."""
        meta = self.metadata()
        stamp = max(time.time_ns(), int(meta.get(META_VERSION, 0) or 0) + 1)
        meta[META_VERSION] = stamp
        if writing is not None:
            meta[META_WRITING] = str(stamp) if writing else ""
        if not writing and META_DIM not in meta and self.embedder is not None and (  # vectors written by now
                "model" in self.embedder.__dict__ or self.embedder.runtime_chosen):
            meta[META_DIM] = self.embedder.dimension
        self._call(lambda: self._collection.modify(metadata=meta))
        return stamp

    def writes_unfinished(self) -> bool:
        """True when an ingest run began changing documents and did not finish (`bump_version`)."""
        return bool(self.metadata().get(META_WRITING))

    @property
    def collection_id(self) -> str:
        """The collection's id: the same for every client, new when the collection is recreated."""
        return str(self._collection.id)

    # --- reading ------------------------------------------------------------------------
    def count(self) -> int:
        """Number of chunks stored."""
        return int(self._call(self._collection.count))

    def _pages(self, include: list[str], *, ids: Sequence[str] | None = None, page: int = 2000,
               where: Mapping[str, Any] | None = None) -> Iterator[dict]:
        """Chroma `get` results, a page at a time: of `ids` (missing ones skipped), or of everything."""
        if ids is not None:
            ids = list(ids)
            for start in range(0, len(ids), page):
                yield self._call(lambda: self._collection.get(ids=ids[start:start + page], include=include))
            return
        offset = 0
        while True:
            batch = self._call(lambda: self._collection.get(
                include=include, limit=page, offset=offset, where=dict(where) if where else None))
            if batch["ids"]:
                yield batch
            if len(batch["ids"]) < page:
                return
            offset += page

    def iter_records(self, *, include_documents: bool = True, page: int = 2000,
                     where: Mapping[str, Any] | None = None) -> Iterator[tuple[str, str, dict]]:
        """Yield every (chunk id, text, metadata) in the store, page by page."""
        include = ["metadatas", "documents"] if include_documents else ["metadatas"]
        for batch in self._pages(include, page=page, where=where):
            docs = batch.get("documents") or [""] * len(batch["ids"])
            for chunk_id, text, meta in zip(batch["ids"], docs, batch["metadatas"]):
                yield chunk_id, text or "", dict(meta or {})

    def iter_vectors(self, *, page: int = 2000) -> Iterator[tuple[str, str, dict, np.ndarray]]:
        """Yield every (chunk id, text, metadata, vector) in the store, page by page."""
        for batch in self._pages(["metadatas", "documents", "embeddings"], page=page):
            for chunk_id, text, meta, vector in zip(batch["ids"], batch["documents"], batch["metadatas"],
                                                    batch["embeddings"]):
                yield chunk_id, text or "", dict(meta or {}), np.asarray(vector, dtype=np.float32)

    def doc_records(self) -> dict[str, DocRecord]:
        """What is stored per document: hash, origin and chunk ids (no texts fetched)."""
        return doc_records_of((chunk_id, meta) for chunk_id, _text, meta in self.iter_records(include_documents=False))

    def get_records(self, ids: Sequence[str], *, page: int = 2000) -> Iterator[tuple[str, str, dict]]:
        """Yield (chunk id, text, metadata) of the stored chunks among `ids` (missing ids skipped)."""
        for got in self._pages(["metadatas", "documents"], ids=ids, page=page):
            for chunk_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                yield chunk_id, text or "", dict(meta or {})

    def get_vectors(self, ids: Sequence[str], *, page: int = 2000) -> dict[str, tuple[np.ndarray, dict]]:
        """The stored vector and metadata of each chunk among `ids` that is stored, by id."""
        return {chunk_id: (np.asarray(vector, dtype=np.float32), dict(meta or {}))
                for got in self._pages(["metadatas", "embeddings"], ids=ids, page=page)
                for chunk_id, meta, vector in zip(got["ids"], got["metadatas"], got["embeddings"])}

    def get_passages(self, ids: Sequence[str]) -> list[Passage]:
        """Fetch stored chunks by id, in the order asked."""
        by_id = {i: Passage.from_record(i, d, m) for i, d, m in self.get_records(ids)}
        return [by_id[i] for i in ids if i in by_id]

    def query(self, vector: np.ndarray, k: int, where: Mapping[str, Any] | None = None) -> list[Passage]:
        """The `k` chunks nearest to `vector` (cosine), optionally filtered by metadata."""
        if k <= 0:
            return []
        if not self._vectors_checked:
            self.check_vectors()
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
            "embed_backend": (self.vectors_kind(meta) or ("", ""))[0],
            "embed_precision": (self.vectors_kind(meta) or ("", ""))[1],
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
        if ids and not self.metadata().get(META_PRECISION) and self.vectors_kind() is None:
            self.record_vectors(self.embedder.backend, self.embedder.precision)  # the store's first vectors
        step = self.max_batch()
        for start in range(0, len(ids), step):
            end = start + step
            self._call(lambda: self._collection.upsert(
                ids=list(ids[start:end]), embeddings=np.asarray(vectors[start:end], dtype=np.float32),
                documents=list(texts[start:end]), metadatas=[dict(m) for m in metadatas[start:end]]))

    def update_vectors(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Replace the vectors of stored chunks, leaving their texts and metadata (for --reembed)."""
        step = self.max_batch()
        for start in range(0, len(ids), step):
            end = start + step
            self._call(lambda: self._collection.update(
                ids=list(ids[start:end]), embeddings=np.asarray(vectors[start:end], dtype=np.float32)))

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
