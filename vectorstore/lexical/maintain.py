"""A store's lexical index snapshots: find the one matching the store, and write a new one.

`save_snapshot` is what the ingester calls after a run that changed something (and what a
bot calls when it finds no current snapshot). Given the chunk ids a run wrote and deleted
and the store version the run started from, it reuses the rows of the current snapshot
when that snapshot matches the starting version, and reads from the store only the
chunks the run wrote; otherwise it reads every chunk. `open_current` returns the current
snapshot only when it matches the store's version and this code's tokenizer and sentence rules.
`snapshot_doc_records` gives the ingester what the store holds per document from it.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Iterable

from .build import BM25_B, BM25_K1, build, update
from .folder import SnapshotFolder
from .snapshot import FORMAT, Snapshot
from .sentences import ANALYSIS_ID
from .tokenizer import TOKENIZER_ID
from ..values import DocRecord, doc_records_of

if TYPE_CHECKING:
    from ..store import NewsStore

log = logging.getLogger(__name__)

UPDATE_MAX_SHARE = 0.5  # a run that wrote more than this share of the chunks gets a full build


@dataclass
class SnapshotInfo:
    """What `save_snapshot` wrote."""

    name: str
    store_version: int
    chunks: int
    mode: str  # "full" (every chunk read from the store) or "update" (unchanged rows reused)
    chunks_read: int  # chunks read from the store and tokenized
    read_seconds: float
    build_seconds: float
    write_seconds: float

    @property
    def seconds(self) -> float:
        """The whole save."""
        return self.read_seconds + self.build_seconds + self.write_seconds

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {**asdict(self), "seconds": round(self.seconds, 3)}


def folder_for(store: "NewsStore", k1: float = BM25_K1, b: float = BM25_B) -> SnapshotFolder:
    """The snapshot folder of a store's collection (BM25 parameters other than the defaults,
    which only a reader configured so uses, get a folder of their own)."""
    cfg = store.config
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", cfg.collection)
    params = "" if (k1, b) == (BM25_K1, BM25_B) else f"-k1_{k1:g}-b_{b:g}"
    return SnapshotFolder(cfg.lexical_root / f"{safe}-{store.collection_id}{params}")


def matches(manifest: dict[str, Any] | None, version: int, k1: float = BM25_K1, b: float = BM25_B) -> bool:
    """True when a snapshot manifest is for `version` of the store, this tokenizer, these
    sentence rules (`sentences.ANALYSIS_ID`) and these BM25 parameters."""
    return bool(manifest) and manifest.get("format") == FORMAT and manifest.get("tokenizer") == TOKENIZER_ID \
        and manifest.get("analysis") == ANALYSIS_ID \
        and int(manifest.get("store_version", -1)) == int(version) \
        and (manifest.get("k1"), manifest.get("b")) == (k1, b)


def open_current(store: "NewsStore", version: int | None = None, *, k1: float = BM25_K1,
                 b: float = BM25_B) -> Snapshot | None:
    """The current snapshot if it matches the store's version (read now unless given)."""
    folder = folder_for(store, k1, b)
    manifest = folder.current_manifest()
    version = store.version() if version is None else version
    if not matches(manifest, version, k1, b):
        return None
    try:
        return folder.open(manifest["name"])
    except (OSError, ValueError, KeyError) as exc:  # removed meanwhile, or damaged
        log.warning("lexical snapshot %s cannot be read (%s)", manifest["name"], exc)
        return None


def snapshot_doc_records(store: "NewsStore") -> dict[str, DocRecord] | None:
    """What the store holds per document (`NewsStore.doc_records`), read from the current
    snapshot's records when the snapshot matches the store's version and chunk count; None
    otherwise. A Chroma server sends every chunk's metadata in pages: at 97,591 chunks that
    took 11.5 s of every re-ingest, the snapshot's records 0.7 s. Only as current as the
    version stamp: the ingester reads from the store after a run that did not finish
    (`NewsStore.writes_unfinished`)."""
    snapshot = open_current(store)
    if snapshot is None:
        return None
    try:
        if snapshot.size != store.count():
            return None
        return doc_records_of((chunk_id, meta) for chunk_id, _text, meta in map(snapshot.record, range(snapshot.size)))
    except (OSError, ValueError) as exc:  # removed meanwhile, or damaged: the store answers instead
        log.warning("lexical snapshot %s cannot be read (%s)", snapshot.folder.name, exc)
        return None
    finally:
        snapshot.close()


def save_snapshot(store: "NewsStore", *, written: Iterable[str] | None = None, deleted: Iterable[str] = (),
                  base_version: int | None = None, k1: float = BM25_K1, b: float = BM25_B,
                  reason: str = "", reuse_current: bool = False,
                  folder: SnapshotFolder | None = None) -> SnapshotInfo:
    """Write a snapshot of the store as it is now and make it current.

    `written`/`deleted`: the chunk ids a run upserted and deleted since `base_version`; when
    the current snapshot is of `base_version`, only the written chunks are read from the
    store. Without them (or when the current snapshot is of another version) every chunk is.
    With `reuse_current`, a current snapshot that already matches the store is kept (two
    readers finding none at once build one between them, not two). `folder`: write there
    instead of the store's snapshot folder.
    """
    folder = folder or folder_for(store, k1, b)
    with folder.lock():
        t0 = time.perf_counter()
        version = store.version()  # read first: a write during the build makes the snapshot stale, not wrong
        manifest = folder.current_manifest()
        if reuse_current and matches(manifest, version, k1, b):
            return SnapshotInfo(manifest["name"], version, int(manifest["chunks"]), "existing", 0, 0.0, 0.0, 0.0)
        written = None if written is None else list(dict.fromkeys(written))
        previous = None
        if written is not None and base_version is not None and matches(manifest, base_version, k1, b) \
                and len(written) <= UPDATE_MAX_SHARE * max(1, int(manifest.get("chunks", 0))):
            try:
                previous = folder.open(manifest["name"])
            except (OSError, ValueError) as exc:
                log.warning("lexical snapshot %s cannot be read (%s); building from scratch", manifest["name"], exc)
        if previous is not None:
            records = list(store.get_records(written))
            t1 = time.perf_counter()
            data = update(previous.previous_rows(), records, set(deleted) | set(written))
            previous.close()
            mode, read = "update", len(records)
        else:
            records = store.iter_records(include_documents=True)
            data = build(records)  # reads and tokenizes as the pages arrive
            t1 = time.perf_counter()
            mode, read = "full", data.size
        t2 = time.perf_counter()
        name = folder.publish(data, {"store_version": version, "tokenizer": TOKENIZER_ID, "analysis": ANALYSIS_ID,
                                     "collection": store.config.collection, "written_at": time.time(),
                                     "mode": mode, "reason": reason}, k1=k1, b=b)
        t3 = time.perf_counter()
    read_s = (t1 - t0) if mode == "update" else 0.0
    build_s = (t2 - t1) if mode == "update" else (t2 - t0)
    info = SnapshotInfo(name, version, data.size, mode, read, round(read_s, 3), round(build_s, 3), round(t3 - t2, 3))
    log.info("lexical snapshot %s: %d chunks (%s, %d read from the store) in %.1fs%s", name, info.chunks, mode, read,
             info.seconds, f" ({reason})" if reason else "")
    return info
