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
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np

from vectorstore.lexical import BM25_B, BM25_K1, Snapshot, SnapshotFolder, folder_for, open_current, save_snapshot
from vectorstore.lexical.sentences import StoredAnalysis
from vectorstore.lexical.vocab import terms_starting_with
from vectorstore.passage import Passage
from vectorstore.store import NewsStore

from ..language.analysis import AnalysedText, analysed, remember
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


class _Recent(OrderedDict):
    """A small least-recently-used map shared by threads (get / put under one lock)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.lock = threading.Lock()

    def fetch(self, key, make):
        with self.lock:
            if key in self:
                self.move_to_end(key)
                return self[key]
        value = make()
        with self.lock:
            self[key] = value
            while len(self) > self.size:
                self.popitem(last=False)
        return value


class LexicalIndex:
    """An immutable BM25 index of the store's chunks (one snapshot), with the arrays filters need.

    A question's rankings (the whole question, its clauses, its parts, the readers' pass)
    share their work through four small caches: BM25 scores per term list (float32, one
    array per list), allowed rows per filter, documents' records per document, and rows' records."""

    SCORE_CACHE = 8  # term lists (a question uses about 5 distinct ones); 0.4 MB each at 100k chunks
    FILTER_CACHE = 8
    DOCUMENT_CACHE = 16  # documents' records (the chain reads the top article's twice per question)
    RECORD_CACHE = 256  # rows' records: a question reads a row for sentence evidence, as a passage and with
    # its document (at 100k chunks, 300 questions read 77 records each, 54 of them distinct); about 1.5 MB

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.version = snapshot.store_version
        self.size = snapshot.size
        self.ids = snapshot.ids
        self.pos = _Positions(snapshot)
        self.columns = FilterColumns(day=np.asarray(snapshot.day), kind=snapshot.kind_codes,
                                     source=snapshot.source_codes, kinds=snapshot.kinds, sources=snapshot.sources)
        self.month = np.asarray(snapshot.month)
        self.dom = np.asarray(snapshot.dom)
        self.outlets = OutletNames(snapshot.sources)
        self._scores = _Recent(self.SCORE_CACHE)
        self._allowed = _Recent(self.FILTER_CACHE)
        self._documents = _Recent(self.DOCUMENT_CACHE)
        self._records = _Recent(self.RECORD_CACHE)

    @property
    def doc(self) -> np.ndarray:
        """Each chunk's document id."""
        return self.snapshot.doc

    @property
    def boilerplate(self) -> frozenset[int]:
        """Fingerprints of the sentences written in many documents (`vectorstore.lexical.snapshot.boilerplate`)."""
        return self.snapshot.boilerplate

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
        return self.term_scores(self.snapshot.term_ids(query_terms)).astype(np.float64)

    def term_scores(self, ids: tuple[int, ...]) -> np.ndarray:
        """float32 BM25 scores of every chunk for vocabulary ids (cached; do not modify).

        A list that extends a cached one (a who/which question searched again with the name
        its first results support, a clause with it) starts from that one's scores: the terms
        are summed in the same order, so the values are the same."""
        def make() -> np.ndarray:
            with self._scores.lock:
                prefix = max((key for key in self._scores if len(key) < len(ids) and ids[:len(key)] == key),
                             key=len, default=())
                start = self._scores[prefix] if prefix else None
            return self.snapshot.term_scores(ids[len(prefix):], start_from=start)

        return self._scores.fetch(ids, make)

    def question_scores(self, ids: tuple[int, ...], clauses: Sequence[tuple[int, ...]]) -> np.ndarray:
        """float32 BM25 scores of every chunk for a question's vocabulary ids, summed from its
        clauses' (`term_scores`, cached; a ranking asks for them first) where the question's
        ids run through a clause's, and from the postings of the ids between clauses: each
        term's postings are summed once a question, not once for its clause and again for
        the question (do not modify the result).

        The sum goes clause by clause, so its float32 values can differ in the last place from
        a term-by-term sum: the same for every ranking of the same question and clauses."""
        if not clauses:
            return self.term_scores(ids)

        def make() -> np.ndarray:
            out: np.ndarray | None = None
            at = 0
            for clause in clauses:
                start = _find_run(ids, clause, at)
                if start < 0:
                    continue
                if start > at:
                    out = self.snapshot.term_scores(ids[at:start], start_from=out)
                part = self.term_scores(clause)
                out = part.copy() if out is None else np.add(out, part, out=out)
                at = start + len(clause)
            if at < len(ids) or out is None:
                out = self.snapshot.term_scores(ids[at:], start_from=out)
            return out

        return self._scores.fetch(("question", ids, tuple(clauses)), make)

    def allowed_rows(self, filters: SearchFilters | None) -> np.ndarray | None:
        """The rows the filters allow, ascending (None = all; cached per filter)."""
        if filters is None or not filters.active:
            return None

        def rows() -> np.ndarray:
            mask = self.filter_mask(filters)
            return np.flatnonzero(mask) if mask is not None else np.arange(self.size)

        return self._allowed.fetch(filters, rows)

    def source_name(self, i: int) -> str:
        """The outlet of row `i`."""
        return self.snapshot.sources[self.columns.source[i]]

    def kind_name(self, i: int) -> str:
        """The kind of row `i` ("article", "comment")."""
        return self.snapshot.kinds[self.columns.kind[i]]

    def df(self, term: str) -> int:
        """How many chunks write a term (headline, outlet, date or text); 0 for a term the corpus never writes."""
        return self.snapshot.df(term)

    def terms_starting_with(self, prefix: str) -> list[str]:
        """Longer terms of the corpus that start with `prefix` (at most 64; see `Vocabulary.starting_with`)."""
        return terms_starting_with(self.snapshot.vocab, prefix)

    def idf(self, term: str) -> float:
        """The corpus IDF of a term (BM25's: rare terms weigh most; unknown terms most of all)."""
        df = self.snapshot.df(term)
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def date_mask(self, dates: Sequence[MentionedDate], window: int, rows: np.ndarray | None = None) -> np.ndarray:
        """Chunks published within `window` days of a date (month and day only when no year):
        a mask over every chunk, or over `rows` only."""
        day = self.columns.day if rows is None else self.columns.day[rows]
        months = self.month if rows is None else self.month[rows]
        doms = self.dom if rows is None else self.dom[rows]
        mask = np.zeros(len(day), dtype=bool)
        known = day > 0
        for year, month, dom in dates:
            if year:
                mask |= known & (np.abs(day - day_number(date(year, month, dom))) <= window)
            else:
                mask |= known & (months == month) & (np.abs(doms - dom) <= window)
        return mask

    def dates_near(self, dates: Sequence[MentionedDate], window: int, rows: Sequence[int]) -> dict[int, bool]:
        """row -> published within `window` days of a date, for `rows` only (`date_mask`'s test)."""
        at = np.asarray(list(rows), dtype=np.int64)
        return dict(zip(at.tolist(), self.date_mask(dates, window, at).tolist()))

    def filter_mask(self, filters: SearchFilters | None) -> np.ndarray | None:
        """The chunks the filters allow (None = all); outlet names are resolved first."""
        return filter_mask(filters, self.resolve_sources(filters), self.columns)

    def resolve_sources(self, filters: SearchFilters | None) -> list[str] | None:
        """The filters' outlets as stored (None = no outlet filter)."""
        if filters is None or filters.sources is None:
            return None
        return self.outlets.resolve(filters.sources)

    def passage(self, i: int) -> Passage:
        """Chunk `i` as a Passage (its text and metadata from the snapshot's records; its
        sentence analysis handed to `bot.language.analysis` for when it is read)."""
        return Passage.from_record(*self._record(int(i))[:3])

    def analysed(self, i: int) -> AnalysedText:
        """Chunk `i`'s sentences and terms (`bot.language.analysis.analysed`), from the snapshot."""
        return analysed(self._record(int(i))[1])

    def sentence_terms(self, i: int) -> Sequence[Sequence[str]]:
        """Chunk `i`'s sentences' terms, read from its stored analysis without decoding the rest
        (the re-ranker scores ~30 passages a question, most of which nothing else reads)."""
        try:
            return self._record(int(i))[3].sentence_terms()
        except ValueError:
            return self.analysed(i).sentence_keys

    def document_passages(self, doc_id: str, limit: int | None = None) -> list[Passage]:
        """The chunks of one document in order, every one or the first `limit` (new Passage
        objects each time)."""
        rows = self.snapshot.document_rows(doc_id)[:limit]
        records = self._documents.fetch((doc_id, limit), lambda: [self._record(int(i)) for i in rows])
        for _, text, _, stored in records:
            remember(text, stored)
        return [Passage.from_record(*record[:3]) for record in records]

    def _record(self, i: int) -> tuple[str, str, dict, StoredAnalysis]:
        def read() -> tuple[str, str, dict, StoredAnalysis]:
            record = self.snapshot.analysed_record(i)
            remember(record[1], record[3])
            return record

        return self._records.fetch(i, read)


def _find_run(ids: tuple[int, ...], run: tuple[int, ...], start: int) -> int:
    """Where `run` is next written in `ids`, at or after `start` (-1: nowhere; an empty run: nowhere)."""
    for at in range(start, len(ids) - len(run) + 1):
        if run and ids[at:at + len(run)] == run:
            return at
    return -1


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

