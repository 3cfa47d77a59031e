"""The lexical index: BM25 (bm25s) over each chunk's header and text, with the columns that
filters, date boosts and the per-document cap need, and the corpus IDF the answerer uses.

`LexicalIndex` is an immutable snapshot of the store's contents. `LiveLexicalIndex` keeps
the current snapshot and follows re-ingests: when `store.version()` changes it builds a
new snapshot in a background thread and swaps it in atomically, so searches may run from
several threads at once and no question waits for a rebuild.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Sequence

import numpy as np

from vectorstore.passage import Passage
from vectorstore.store import NewsStore

from ..language.dates import MentionedDate, day_date, day_number
from ..language.outlets import OutletNames
from ..language.terms import terms
from .filters import FilterColumns, SearchFilters, filter_mask

log = logging.getLogger(__name__)


class LexicalIndex:
    """An immutable BM25 index of the store's chunks, with the metadata arrays filters need."""

    def __init__(self, records: Sequence[tuple[str, str, dict]], version: int, k1: float = 1.2,
                 b: float = 0.75) -> None:
        import bm25s

        if logging.getLogger().level > logging.DEBUG:
            logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import
        self.version = version
        self.ids = [r[0] for r in records]
        self.texts = [r[1] for r in records]
        self.metas = [r[2] for r in records]
        self.pos = {cid: i for i, cid in enumerate(self.ids)}
        self.size = len(self.ids)
        self.columns = FilterColumns(
            day=np.array([int(m.get("published_day", 0) or 0) for m in self.metas], dtype=np.int64),
            kind=np.array([str(m.get("kind", "article")) for m in self.metas], dtype=object),
            source=np.array([str(m.get("source", "")) for m in self.metas], dtype=object),
        )
        self.doc = np.array([str(m.get("doc_id", "")) for m in self.metas], dtype=object)
        self.by_doc: dict[str, list[int]] = {}
        for i, m in enumerate(self.metas):
            self.by_doc.setdefault(str(m.get("doc_id", "")), []).append(i)
        for rows in self.by_doc.values():
            rows.sort(key=lambda i: int(self.metas[i].get("chunk_index", 0) or 0))
        dates = [day_date(d) if d > 0 else None for d in self.columns.day]
        self.month = np.array([d.month if d else 0 for d in dates], dtype=np.int64)
        self.dom = np.array([d.day if d else 0 for d in dates], dtype=np.int64)
        self.outlets = OutletNames(self.columns.source)
        self.bm25 = None
        self.vocab: dict[str, int] = {}
        self._df = np.zeros(0, dtype=np.int64)
        if self.size:
            docs = [terms(f"{m.get('header', '')}\n{t}") for t, m in zip(self.texts, self.metas)]
            self.bm25 = bm25s.BM25(k1=k1, b=b)
            self.bm25.index(docs, show_progress=False)
            self.vocab = dict(self.bm25.vocab_dict)
            self._df = np.diff(np.asarray(self.bm25.scores["indptr"]))  # chunks holding each term

    @property
    def sources(self) -> list[str]:
        """The outlets present in the index."""
        return self.outlets.sources

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk for the query terms (zeros when none is known)."""
        ids = [self.vocab[t] for t in query_terms if t in self.vocab]
        if not ids or self.bm25 is None:
            return np.zeros(self.size, dtype=np.float64)
        return np.asarray(self.bm25.get_scores(ids), dtype=np.float64)

    def idf(self, term: str) -> float:
        """The corpus IDF of a term (BM25's: rare terms weigh most; unknown terms most of all)."""
        i = self.vocab.get(term)
        df = int(self._df[i]) if i is not None and i < len(self._df) else 0
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def date_mask(self, dates: Sequence[MentionedDate], window: int) -> np.ndarray:
        """Chunks published within `window` days of a date (month and day only when no year)."""
        mask = np.zeros(self.size, dtype=bool)
        day = self.columns.day
        known = day > 0
        for year, month, dom in dates:
            if year:
                from datetime import date

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
        """Chunk `i` as a Passage."""
        return Passage.from_record(self.ids[i], self.texts[i], self.metas[i])

    def document_passages(self, doc_id: str) -> list[Passage]:
        """Every chunk of one document, in order."""
        return [self.passage(i) for i in self.by_doc.get(doc_id, [])]


class LiveLexicalIndex:
    """The current `LexicalIndex` of a store, rebuilt in the background after re-ingests."""

    def __init__(self, store: NewsStore, *, k1: float = 1.2, b: float = 0.75, refresh_interval: float = 1.0) -> None:
        self.store = store
        self.k1 = k1
        self.b = b
        self.refresh_interval = refresh_interval  # seconds between checks of the store's version
        self._index: LexicalIndex | None = None
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._thread: threading.Thread | None = None
        self.last_build: dict[str, float] = {}  # size and timings of the last build

    def _build(self) -> LexicalIndex:
        t0 = time.perf_counter()
        version = self.store.version()  # read first: a write during the build triggers a rebuild
        records = list(self.store.iter_records(include_documents=True))
        t1 = time.perf_counter()
        index = LexicalIndex(records, version, self.k1, self.b)
        t2 = time.perf_counter()
        self.last_build = {"chunks": index.size, "fetch_s": round(t1 - t0, 2), "index_s": round(t2 - t1, 2)}
        log.info("lexical index: %d chunks in %.1fs (read %.1fs, index %.1fs)", index.size, t2 - t0, t1 - t0, t2 - t1)
        return index

    def current(self) -> LexicalIndex:
        """The current snapshot (built on first use)."""
        index = self._index
        if index is None:
            with self._lock:
                if self._index is None:
                    self._index = self._build()
                    self._checked_at = time.monotonic()
                index = self._index
        return index

    def refresh_if_stale(self, *, wait: bool = False) -> bool:
        """Rebuild if the store changed since the snapshot was built.

        Checks the store's version at most once per `refresh_interval` seconds. The new
        snapshot is built in a background thread (at 100k chunks that takes half a minute):
        searches meanwhile use the old one. With `wait`, the rebuild happens now, in this
        thread. Returns True when a rebuild was done (`wait`) or started.
        """
        if self._index is None:
            self.current()
            return True
        if time.monotonic() - self._checked_at < self.refresh_interval:
            return False
        if not self._lock.acquire(blocking=False):
            return False  # another thread is checking or rebuilding
        try:
            self._checked_at = time.monotonic()
            stale = self.store.version() != self._index.version
        except BaseException:
            self._lock.release()
            raise
        if not stale:
            self._lock.release()
            return False
        if wait:
            self._rebuild_and_release()
            return True
        self._thread = threading.Thread(target=self._rebuild_and_release, name="lexical-index-refresh", daemon=True)
        self._thread.start()
        return True

    def _rebuild_and_release(self) -> None:
        """Build a snapshot and swap it in (the caller holds the lock)."""
        try:
            self._index = self._build()
        except Exception as exc:  # the store went away: keep serving the old snapshot, retry later
            log.warning("lexical index refresh failed (%s); keeping the previous index", exc)
        finally:
            self._checked_at = time.monotonic()
            self._lock.release()

    def wait_for_refresh(self, timeout: float | None = None) -> None:
        """Wait until a background rebuild started by `refresh_if_stale` (if any) is done."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
