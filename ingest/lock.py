"""One ingest at a time per store: the lock file that serialises them, and the error for a busy store."""

from __future__ import annotations

import os
from pathlib import Path

from vectorstore.store import NewsStore


class IngestBusyError(RuntimeError):
    """Another ingest holds the store's lock."""


def lock_path_for(store: NewsStore) -> Path:
    """The lock file that serialises ingests into one store."""
    cfg = store.config
    if cfg.is_server:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "newsdesk" / "locks"
        base.mkdir(parents=True, exist_ok=True)
        return base / f"{cfg.host}_{cfg.port}_{cfg.collection}.lock"
    cfg.path.mkdir(parents=True, exist_ok=True)
    return cfg.path / f"ingest-{cfg.collection}.lock"
