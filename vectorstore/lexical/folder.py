"""The snapshots of one collection: versioned folders, a pointer to the current one, a lock.

Layout of `<lexical dir>/<collection>-<collection id>/`:

    CURRENT            the name of the current snapshot folder (replaced atomically)
    v<stamp>-<rand>/   a snapshot (see `snapshot.py`); only folders named here are read
    .tmp-<rand>/       a snapshot being written
    .write.lock        held by whoever writes (the ingester, or a bot building the first one)

Publishing is crash-safe: the snapshot is written into a temporary folder and flushed,
renamed to its final name, and only then does `CURRENT` (written to a temporary file,
flushed, and renamed over the old one) point at it. A writer killed at any moment leaves
`CURRENT` naming the previous complete snapshot; the next writer removes its leftovers.
The current snapshot and the one before it are kept (a reader may have just read the old
pointer); older ones are removed. Readers that still map a removed snapshot keep working:
its files live on until they are unmapped.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from filelock import FileLock

from .build import BM25_B, BM25_K1, LexicalData
from .snapshot import Snapshot, read_manifest, write_snapshot

log = logging.getLogger(__name__)

POINTER = "CURRENT"
LOCK = ".write.lock"
TMP_PREFIX = ".tmp-"
KEEP = 2  # the current snapshot and the one before it


class SnapshotFolder:
    """The snapshots of one collection in `root`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def lock(self) -> FileLock:
        """The writers' lock (a `FileLock`; use as a context manager, or `acquire(timeout=…)`)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.root / LOCK))

    # --- reading ---------------------------------------------------------------------
    def current_name(self) -> str | None:
        """The name of the current snapshot folder (None when there is none)."""
        try:
            name = (self.root / POINTER).read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return name if name and "/" not in name and not name.startswith(".") else None

    def current_manifest(self) -> dict[str, Any] | None:
        """The current snapshot's manifest, with its folder name under "name" (None when none)."""
        name = self.current_name()
        manifest = read_manifest(self.root / name) if name else None
        return {**manifest, "name": name} if manifest else None

    def open(self, name: str) -> Snapshot:
        """Open a snapshot folder by name."""
        return Snapshot(self.root / name)

    # --- writing (hold `lock()`) ------------------------------------------------------
    def publish(self, data: LexicalData, manifest: dict[str, Any], *, k1: float = BM25_K1,
                b: float = BM25_B) -> str:
        """Write `data` as a new snapshot and make it current; returns its folder name."""
        self.remove_leftovers()
        previous = self.current_name()
        tag = uuid.uuid4().hex[:8]
        tmp = self.root / f"{TMP_PREFIX}{tag}"
        write_snapshot(data, tmp, manifest, k1=k1, b=b)
        name = f"v{int(manifest['store_version'])}-{tag}"
        os.rename(tmp, self.root / name)
        _sync(self.root)
        pointer_tmp = self.root / f"{TMP_PREFIX}{POINTER}-{tag}"
        with open(pointer_tmp, "w", encoding="utf-8") as f:
            f.write(name + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(pointer_tmp, self.root / POINTER)
        _sync(self.root)
        self.remove_old(keep={name, previous} if previous else {name})
        return name

    def remove_leftovers(self) -> None:
        """Remove what writers that died left behind (call with the lock held)."""
        for path in self.root.glob(f"{TMP_PREFIX}*"):
            _remove(path)

    def remove_old(self, keep: set[str]) -> None:
        """Remove snapshot folders other than `keep` (call with the lock held)."""
        for path in self.root.glob("v*"):
            if path.is_dir() and path.name not in keep:
                _remove(path)

    def snapshot_names(self) -> list[str]:
        """The snapshot folders present (complete or not), by name."""
        return sorted(p.name for p in self.root.glob("v*") if p.is_dir())


def _remove(path: Path) -> None:
    try:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    except OSError as exc:
        log.warning("could not remove %s: %s", path, exc)


def _sync(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
