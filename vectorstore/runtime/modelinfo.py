"""What the fast runtimes need to know about a sentence-transformers model folder.

Read from the folder's own files, without importing torch: the window
(`max_seq_length`), lower-casing, the pooling mode, the vector dimension, and a
content hash of the files that decide the vectors (the export cache's key).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

# Files that cannot change a vector: a model card, git attributes, training data notes.
_IGNORED = {"README.md", ".gitattributes", "data_config.json"}
_SUPPORTED_MODULES = {
    "sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
}


class UnsupportedModel(RuntimeError):
    """The model folder is not one the fast runtimes can reproduce exactly."""


@dataclass(frozen=True)
class ModelInfo:
    """A sentence-transformers model folder as the fast runtimes see it."""

    path: Path
    max_seq_length: int
    do_lower_case: bool
    pooling: str  # "mean" or "cls"
    dimension: int

    def files(self) -> list[Path]:
        """The files whose bytes decide the vectors, in a stable order."""
        return sorted(p for p in self.path.rglob("*")
                      if p.is_file() and p.name not in _IGNORED and ".git" not in p.parts
                      and ".cache" not in p.parts)


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UnsupportedModel(f"cannot read {path.name}: {exc}") from None


def local_model_folder(path: str) -> Path:
    """The folder holding the model: `path` itself, or a hub name already in the local cache."""
    folder = Path(path)
    if folder.is_dir():
        return folder
    try:  # only ever looks in the local cache; nothing is downloaded
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(path, "modules.json")
    except Exception:  # noqa: BLE001 - any failure means "not available offline"
        cached = None
    if not isinstance(cached, str):
        raise UnsupportedModel(f"{path!r} is not a local folder nor in the Hugging Face cache")
    return Path(cached).parent


def read_model_info(folder: Path) -> ModelInfo:
    """Describe the model in `folder`, or raise `UnsupportedModel` saying why not."""
    modules = _json(folder / "modules.json")
    if not modules:
        raise UnsupportedModel("no modules.json (not a sentence-transformers folder)")
    types = [m.get("type", "") for m in modules]
    unknown = [t for t in types if t not in _SUPPORTED_MODULES]
    if unknown:
        raise UnsupportedModel(f"module {unknown[0]} is not supported by the fast runtime")
    if "sentence_transformers.models.Pooling" not in types:
        raise UnsupportedModel("the model has no pooling module")
    if not (folder / "tokenizer.json").is_file():
        raise UnsupportedModel("the model has no tokenizer.json (fast tokenizer)")
    pooling_dir = next(m.get("path", "") for m in modules if m.get("type", "").endswith(".Pooling"))
    pool_cfg = _json(folder / pooling_dir / "config.json")
    modes = [mode for mode, key in (("mean", "pooling_mode_mean_tokens"), ("cls", "pooling_mode_cls_token"))
             if pool_cfg.get(key)]
    others = [k for k, v in pool_cfg.items() if k.startswith("pooling_mode_") and v
              and k not in ("pooling_mode_mean_tokens", "pooling_mode_cls_token")]
    if len(modes) != 1 or others:
        raise UnsupportedModel(f"pooling {pool_cfg} is not supported (mean or CLS only)")
    if pool_cfg.get("include_prompt") is False:
        raise UnsupportedModel("pooling that excludes the prompt is not supported")
    st_cfg = _json(folder / "sentence_bert_config.json")
    model_cfg = _json(folder / "config.json")
    tok_cfg = _json(folder / "tokenizer_config.json")
    max_len = st_cfg.get("max_seq_length")
    if not max_len:
        tok_max = tok_cfg.get("model_max_length") or 0
        max_len = tok_max if 0 < tok_max < 1_000_000 else model_cfg.get("max_position_embeddings")
    if not max_len:
        raise UnsupportedModel("cannot tell the model's window (max_seq_length)")
    dim = pool_cfg.get("word_embedding_dimension") or model_cfg.get("hidden_size")
    if not dim:
        raise UnsupportedModel("cannot tell the vector dimension")
    return ModelInfo(folder, int(max_len), bool(st_cfg.get("do_lower_case", False)), modes[0], int(dim))


def model_key(info: ModelInfo, cache_dir: Path) -> str:
    """SHA-256 of the model's files (names and bytes), the export cache's key.

    Hashing ~90 MB on every start would cost a fresh `ask` about 0.1 s, so the digest
    is remembered per (path, size, mtime) signature in `cache_dir/model-hashes.json`.
    """
    files = info.files()
    signature = hashlib.sha256()
    for f in files:
        st = f.stat()
        signature.update(f"{f}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    sig = signature.hexdigest()
    memo_path = cache_dir / "model-hashes.json"
    memo = _json(memo_path) if memo_path.exists() else {}
    if sig in memo:
        return memo[sig]
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.relative_to(info.path).as_posix().encode() + b"\0")
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    key = digest.hexdigest()
    cache_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(memo_path) + ".lock"):
        memo = _json(memo_path) if memo_path.exists() else {}
        memo[sig] = key
        tmp = memo_path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(memo, indent=1), encoding="utf-8")
        os.replace(tmp, memo_path)
    return key
