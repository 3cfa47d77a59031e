"""Choosing, exporting, checking and loading the fast runtime for a model.

`select_runtime` returns a ready `FastRuntime`, or raises `RuntimeUnavailable` with the
one-line reason the caller logs before falling back to sentence-transformers. The
export cache is keyed by the SHA-256 of the model's files:

    <cache>/<key>/model.onnx                      the transformer as ONNX (f32)
    <cache>/<key>/openvino-f32/model.xml|.bin     OpenVINO IR, f32 weights
    <cache>/<key>/openvino-int8/model.xml|.bin    OpenVINO IR, int8 weights (nncf)
    <cache>/<key>/check-<backend>-<precision>.json the export check's verdict

A fresh process with a good cached verdict only stats the model files, reads the
verdict and loads the export: no torch, no re-check.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from filelock import FileLock

from .check import CheckResult, load_result, run_check, save_result
from .engines import OnnxEngine, OpenVinoEngine, pool
from .modelinfo import ModelInfo, UnsupportedModel, local_model_folder, model_key, read_model_info
from .tokenize import FastTokenizer

log = logging.getLogger(__name__)

BACKENDS = ("auto", "torch", "onnx", "openvino")
PRECISIONS = ("auto", "f32", "int8")
Reference = Callable[[Sequence[str]], np.ndarray]


class RuntimeUnavailable(RuntimeError):
    """The fast runtime cannot be used for this model; the message says why."""


def default_cache_dir() -> Path:
    """Where exports live: NEWSDESK_EMBED_CACHE when set (the settings pass it too), else the user's cache."""
    if os.environ.get("NEWSDESK_EMBED_CACHE"):
        return Path(os.environ["NEWSDESK_EMBED_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsdesk" / "embeddings"


def resolve_backend(backend: str) -> str:
    """`auto` is OpenVINO when installed (the fastest here, and the only int8), else onnxruntime."""
    if backend not in BACKENDS:
        raise ValueError(f"embedding backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend != "auto":
        return backend
    return "openvino" if importlib.util.find_spec("openvino") is not None else "onnx"


def resolve_precision(backend: str, precision: str) -> str:
    """`auto` is int8 weights on OpenVINO (same retrieval figures, ~1.4x faster), f32 elsewhere."""
    if precision not in PRECISIONS:
        raise ValueError(f"embedding precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if precision == "auto":
        return "int8" if backend == "openvino" else "f32"
    if precision == "int8" and backend != "openvino":
        raise ValueError(f"int8 embeddings need the openvino backend, not {backend!r} "
                         "(set NEWSDESK_EMBED_BACKEND=openvino or NEWSDESK_EMBED_PRECISION=f32)")
    return precision


@dataclass
class FastRuntime:
    """A checked export, ready to encode."""

    info: ModelInfo
    tokenizer: FastTokenizer
    engine: OnnxEngine | OpenVinoEngine
    backend: str
    precision: str
    check: CheckResult
    folder: Path

    def encode(self, texts: Sequence[str], *, threads: int = 1, batch_size: int = 64) -> np.ndarray:
        """Unit vectors, longest texts first in batches (as sentence-transformers does), in input order."""
        out = np.zeros((len(texts), self.info.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            batch = self.tokenizer.batch([texts[i] for i in rows])
            hidden = self.engine.hidden(batch, max(1, threads))
            out[rows] = pool(np.asarray(hidden, dtype=np.float32), batch["attention_mask"], self.info.pooling)
        return out


def _need(*modules: str) -> None:
    for name in modules:
        if importlib.util.find_spec(name) is None:
            raise RuntimeUnavailable(f"the Python package {name!r} is not installed")


def select_runtime(model_path: str, *, backend: str, precision: str, cache_dir: Path | None,
                   reference: Callable[[], Reference], info_override: ModelInfo | None = None) -> FastRuntime:
    """Load the checked export of `model_path` for `backend`/`precision`, making and
    checking it first if needed. `reference()` gives sentence-transformers' encode
    (called only when a check has to run)."""
    if backend not in ("onnx", "openvino") or precision not in ("f32", "int8"):
        raise ValueError(f"no fast runtime for backend {backend!r} precision {precision!r}")
    _need("onnxruntime" if backend == "onnx" else "openvino")
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    try:
        info = info_override or read_model_info(local_model_folder(model_path))
        cache.mkdir(parents=True, exist_ok=True)
        folder = cache / model_key(info, cache)[:32]
    except UnsupportedModel as exc:
        raise RuntimeUnavailable(str(exc)) from None
    except OSError as exc:
        raise RuntimeUnavailable(f"cannot use the export cache {cache}: {exc}") from None
    verdict_path = folder / f"check-{backend}-{precision}.json"
    onnx_path = folder / "model.onnx"
    target = onnx_path if backend == "onnx" else folder / f"openvino-{precision}" / "model.xml"

    def load() -> tuple[OnnxEngine | OpenVinoEngine, CheckResult | None]:
        engine = OnnxEngine(target) if backend == "onnx" else OpenVinoEngine(target)
        return engine, load_result(verdict_path, engine.version)

    if target.exists():  # the common case: exported and checked by an earlier process
        try:
            engine, verdict = load()
        except Exception as exc:  # noqa: BLE001 - a damaged export is re-made below
            log.debug("cached export %s unreadable: %s", target, exc)
            engine, verdict = None, None
        if verdict is not None:
            return _ready(info, engine, backend, precision, verdict, folder)

    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / ".lock")):  # one exporter at a time; others wait, then reuse
        if target.exists():
            try:
                engine, verdict = load()
                if verdict is not None:
                    return _ready(info, engine, backend, precision, verdict, folder)
            except Exception:  # noqa: BLE001
                pass
        extra = ["openvino", "nncf"] if precision == "int8" else ["openvino"]
        _need("torch", "transformers", "onnx", *(extra if backend == "openvino" else []))
        started = time.perf_counter()
        try:
            from .export import export_onnx, export_openvino

            if not onnx_path.exists():
                export_onnx(info.path, onnx_path)
            if backend == "openvino":
                export_openvino(onnx_path, target.parent, precision)
            engine = OnnxEngine(target) if backend == "onnx" else OpenVinoEngine(target)
        except Exception as exc:  # noqa: BLE001 - any export failure means: fall back
            raise RuntimeUnavailable(f"exporting to {backend} failed: {type(exc).__name__}: {exc}") from None
        tokenizer = FastTokenizer(info)
        draft = FastRuntime(info, tokenizer, engine, backend, precision, None, folder)  # type: ignore[arg-type]
        encode_ref = reference()
        verdict = run_check(lambda texts: draft.encode(texts, threads=os.cpu_count() or 1, batch_size=32),
                            encode_ref, precision, engine.version)
        save_result(verdict_path, verdict)
        log.info("exported the embedding model to %s %s in %.1f s; check: %s (min cosine %.5f, top-10 %.3f)",
                 backend, precision, time.perf_counter() - started, "passed" if verdict.ok else "FAILED",
                 verdict.min_cosine, verdict.top10_mean)
    return _ready(info, engine, backend, precision, verdict, folder, tokenizer)


def _ready(info: ModelInfo, engine: OnnxEngine | OpenVinoEngine, backend: str, precision: str,
           verdict: CheckResult, folder: Path, tokenizer: FastTokenizer | None = None) -> FastRuntime:
    if not verdict.ok:
        raise RuntimeUnavailable(f"the {backend} {precision} export failed its check against "
                                 f"sentence-transformers: {verdict.reason} (cached in {folder}; "
                                 "delete that folder to re-export)")
    return FastRuntime(info, tokenizer or FastTokenizer(info), engine, backend, precision, verdict, folder)
