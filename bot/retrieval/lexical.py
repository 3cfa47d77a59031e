"""The lexical index as retrieval sees it: BM25 over each chunk's header and text, the
columns that filters, date boosts and the per-document cap need, and the corpus IDF the
answerer uses, read from a memory-mapped snapshot (`vectorstore.lexical`).

`LexicalIndex` wraps one snapshot (immutable). `LiveLexicalIndex` keeps the current one
and follows re-ingests: when `store.version()` changes it waits for the snapshot the
ingester writes for the new version, opens it in a background thread (a fraction of a
second, whatever the size) and swaps it in, so no question waits. A process that finds
no snapshot for the store's version when it starts builds one from the store, saves it
for the next process, and logs that; a running bot does the same only when no snapshot
for a new version appears within `rebuild_after` seconds (the writer died, or the store
was written by something other than the ingester).
"""

from __future__ import annotations

import atexit
import logging
import math
import shutil
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Sequence

import numpy as np

from vectorstore.lexical import BM25_B, BM25_K1, Snapshot, SnapshotFolder, folder_for, open_current, save_snapshot
from vectorstore.passage import Passage
from vectorstore.store import NewsStore

from ..language.dates import MentionedDate, day_number
from ..language.outlets import OutletNames
from .filters import FilterColumns, SearchFilters, filter_mask

log = logging.getLogger(__name__)


class _Positions:
    """chunk id -> row, looked up in the snapshot's sorted ids (`.get` as a dict's)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot

    def get(self, chunk_id: str, default: int | None = None) -> int | None:
        row = self._snapshot.position(chunk_id)
        return default if row is None else row

    def __contains__(self, chunk_id: object) -> bool:
        return isinstance(chunk_id, str) and self._snapshot.position(chunk_id) is not None


class LexicalIndex:
    """An immutable BM25 index of the store's chunks (one snapshot), with the arrays filters need."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.version = snapshot.store_version
        self.size = snapshot.size
        self.ids = snapshot.ids
        self.pos = _Positions(snapshot)
        self.columns = FilterColumns(day=snapshot.day, kind=snapshot.kind, source=snapshot.source)
        self.month = snapshot.month
        self.dom = snapshot.dom
        self.outlets = OutletNames(snapshot.sources)

    @property
    def doc(self) -> np.ndarray:
        """Each chunk's document id."""
        return self.snapshot.doc

    @property
    def vocab(self) -> dict[str, int]:
        """Term -> id in the BM25 index."""
        return self.snapshot.vocab

    @property
    def sources(self) -> list[str]:
        """The outlets present in the index."""
        return self.outlets.sources

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk for the query terms (zeros when none is known)."""
        return self.snapshot.scores(query_terms)

    def idf(self, term: str) -> float:
        """The corpus IDF of a term (BM25's: rare terms weigh most; unknown terms most of all)."""
        df = self.snapshot.df(term)
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def date_mask(self, dates: Sequence[MentionedDate], window: int) -> np.ndarray:
        """Chunks published within `window` days of a date (month and day only when no year)."""
        mask = np.zeros(self.size, dtype=bool)
        day = self.columns.day
        known = day > 0
        for year, month, dom in dates:
            if year:
                mask |= known & (np.abs(day - day_number(date(year, month, dom))) <= window)
            else:
                mask |= known & (self.month == month) & (np.abs(self.dom - dom) <= window)
        return mask

    def filter_mask(self, filters: SearchFilters | None) -> np.ndarray | None:
        """The chunks the filters allow (None = all); outlet names are resolved first."""
        return filter_mask(filters, self.resolve_sources(filters), self.columns)

    def resolve_sources(self, filters: SearchFilters | None) -> list[str] | None:
        """The filters' outlets as stored (None = no outlet filter)."""
        if filters is None or filters.sources is None:
            return None
        return self.outlets.resolve(filters.sources)

    def passage(self, i: int) -> Passage:
        """Chunk `i` as a Passage (its text and metadata from the snapshot's mapped records)."""
        return Passage.from_record(*self.snapshot.record(int(i)))

    def document_passages(self, doc_id: str) -> list[Passage]:
        """Every chunk of one document, in order."""
        return [self.passage(i) for i in self.snapshot.document_rows(doc_id)]


class LiveLexicalIndex:
    """The current `LexicalIndex` of a store, following the snapshots re-ingests write."""

    def __init__(self, store: NewsStore, *, k1: float = BM25_K1, b: float = BM25_B, refresh_interval: float = 1.0,
                 rebuild_after: float = 60.0) -> None:
        self.store = store
        self.k1 = k1
        self.b = b
        self.refresh_interval = refresh_interval  # seconds between checks of the store's version
        self.rebuild_after = rebuild_after  # seconds to wait for the writer's snapshot before building one
        self._index: LexicalIndex | None = None
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._stale_since: tuple[int, float] | None = None  # (store version, when first seen without a snapshot)
        self._thread: threading.Thread | None = None
        self.last_build: dict[str, float] = {}  # how the current index was obtained, and how long it took

    def _obtain(self, *, build: bool) -> LexicalIndex | None:
        """The snapshot matching the store's version: opened if there is one, else (with
        `build`) built from the store and saved; None when there is none and not `build`."""
        t0 = time.perf_counter()
        version = self.store.version()
        snapshot = open_current(self.store, version, k1=self.k1, b=self.b)
        if snapshot is not None:
            self.last_build = {"chunks": snapshot.size, "source": "snapshot", "open_s": round(time.perf_counter() - t0, 3)}
            log.info("lexical index: snapshot %s (%d chunks) opened in %.2fs", snapshot.folder.name, snapshot.size,
                     time.perf_counter() - t0)
            return LexicalIndex(snapshot)
        if not build:
            return None
        folder = folder_for(self.store, self.k1, self.b)
        try:
            info = save_snapshot(self.store, k1=self.k1, b=self.b, reason="no current snapshot: built by a reader",
                                 reuse_current=True, folder=folder)
        except OSError as exc:  # a read-only lexical folder: keep this process's snapshot to itself
            folder = SnapshotFolder(Path(tempfile.mkdtemp(prefix="newsdesk-lexical-")))
            atexit.register(shutil.rmtree, folder.root, True)
            log.warning("lexical index: cannot write to %s (%s); building a private snapshot in %s",
                        folder_for(self.store, self.k1, self.b).root, exc, folder.root)
            info = save_snapshot(self.store, k1=self.k1, b=self.b, reason="private", folder=folder)
        snapshot = Snapshot(folder.root / info.name)
        if info.mode == "existing":  # another process built it while this one waited for the lock
            self.last_build = {"chunks": snapshot.size, "source": "snapshot", "open_s": round(time.perf_counter() - t0, 3)}
            return LexicalIndex(snapshot)
        self.last_build = {"chunks": snapshot.size, "source": "built", "build_s": round(info.seconds, 2),
                           "open_s": round(time.perf_counter() - t0 - info.seconds, 3)}
        log.warning("lexical index: no snapshot matched store version %d, so this process built one from the store "
                    "(%d chunks in %.1fs) and saved it as %s; run ingests with this version of Newsdesk so that bots "
                    "start from the ingester's snapshot", version, info.chunks, info.seconds, info.name)
        return LexicalIndex(snapshot)

    def current(self) -> LexicalIndex:
        """The current index (opened, or built, on first use)."""
        index = self._index
        if index is None:
            with self._lock:
                if self._index is None:
                    self._index = self._obtain(build=True)
                    self._checked_at = time.monotonic()
                index = self._index
        return index

    def refresh_if_stale(self, *, wait: bool = False) -> bool:
        """Follow a re-ingest: swap in the snapshot of the store's new version.

        Checks the store's version at most once per `refresh_interval` seconds. The new
        snapshot is opened in a background thread; searches meanwhile use the old one. With
        `wait`, it happens now, in this thread, and if no snapshot matches the new version
        one is built at once. Returns True when a swap was done (`wait`) or started.
        """
        if self._index is None:
            self.current()
            return True
        if time.monotonic() - self._checked_at < self.refresh_interval:
            return False
        if not self._lock.acquire(blocking=False):
            return False  # another thread is checking or swapping
        try:
            self._checked_at = time.monotonic()
            version = self.store.version()
        except BaseException:
            self._lock.release()
            raise
        if version == self._index.version:
            self._stale_since = None
            self._lock.release()
            return False
        if wait:
            self._swap_and_release(build=True)
            return True
        since = self._stale_since[1] if self._stale_since and self._stale_since[0] == version else time.monotonic()
        self._stale_since = (version, since)
        # the ingester writes snapshots with the default BM25 parameters only
        build = time.monotonic() - since >= self.rebuild_after or (self.k1, self.b) != (BM25_K1, BM25_B)
        self._thread = threading.Thread(target=self._swap_and_release, kwargs={"build": build},
                                        name="lexical-index-refresh", daemon=True)
        self._thread.start()
        return True

    def _swap_and_release(self, *, build: bool) -> None:
        """Open (or build) the snapshot of the store's version and swap it in (the caller holds the lock)."""
        try:
            index = self._obtain(build=build)
            if index is not None:
                self._index = index
                self._stale_since = None
        except Exception as exc:  # the store went away: keep serving the old snapshot, retry later
            log.warning("lexical index refresh failed (%s); keeping the previous index", exc)
        finally:
            self._checked_at = time.monotonic()
            self._lock.release()

    def wait_for_refresh(self, timeout: float | None = None) -> None:
        """Wait until a background swap started by `refresh_if_stale` (if any) is done."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

