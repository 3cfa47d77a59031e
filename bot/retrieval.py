"""Hybrid retrieval: BM25 over "title | outlet | date" + chunk text, news-aware boosts, dense fusion.

How one search scores a chunk (all measured on MultiHop-RAG's dev questions, see BENCHMARKS.md):

1. Lexical: BM25 (bm25s; PyStemmer English stemming; English stopwords) over the chunk's
   header and text. Multi-part questions ("Does the X article say A, while the Y article
   says B?") are also split into clauses at commas, semicolons and "while"/"but"/"and
   the"...; each clause is scored on its own, and the chunk's best clause score is added
   (`clause_weight`) to its whole-question score. A gold passage usually answers one
   clause well rather than the whole question a little.
2. News awareness: outlets named in the question (matched against the outlets in the
   store: full name, the name before " | " / " - " / ": ", and without a leading "The";
   a match must not be all lower case, so "the age of" is not The Age) and dates
   ("7 October", "October 7, 2023", "2023-10-07") *boost* chunks from those outlets and
   published within a day of those dates. Nothing is filtered out by the question text.
3. Dense: MiniLM cosine from Chroma over a pool of `candidates` chunks, min-max
   normalised in the pool and added with a small weight. Encoding a question costs
   ~25 ms (short) to ~60 ms (long) on one thread of this 2-core machine and, on the
   benchmark's long questions, dense fusion changes nothing measurable; so in the
   default `dense="auto"` mode the encoder runs only for short questions (at most
   `dense_max_terms` content terms, where term overlap is thin and encoding cheap) or
   when BM25 finds nothing. `dense="always"` / `"never"` force it on or off.
4. Final score = lexical (scaled to max 1) + dense_weight * dense + source_boost * [named
   outlet] + date_boost * [near a named date]; then at most `per_doc_cap` chunks of one
   document in the top k (later chunks of a crowding article move down, they are not
   dropped), so one long article cannot take every slot.

Filters (`SearchFilters`) apply on both sides: a Chroma `where` for the dense query and
the same predicate as a mask over the lexical index. Date filters exclude chunks with
unknown dates only when a date filter is set.

The lexical index is an immutable snapshot of the store's contents; `refresh_if_stale`
rebuilds it in a background thread when `store.version()` changed and swaps it in
atomically, so `search` may run from several threads at once and no question waits for
a rebuild.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Sequence

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from vectorstore.passage import Passage
from vectorstore.store import NewsStore

from .terms import asks_about_readers

log = logging.getLogger(__name__)

_EPOCH = date(1970, 1, 1)


# --- filters ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchFilters:
    """Restrictions on what a search may return (None = no restriction)."""

    since: str | None = None  # ISO date, inclusive
    until: str | None = None  # ISO date, inclusive
    kinds: tuple[str, ...] | None = None  # ("article",) or ("article", "comment"); None = all
    sources: tuple[str, ...] | None = None  # outlets; None = all

    def day_range(self) -> tuple[int | None, int | None]:
        """(first day, last day) as days since 1970, inclusive; None when open."""
        return _iso_day(self.since), _iso_day(self.until)

    @property
    def active(self) -> bool:
        """True when any restriction is set."""
        return bool(self.since or self.until or self.kinds is not None or self.sources is not None)


def _iso_day(iso: str | None) -> int | None:
    if not iso:
        return None
    try:
        return (date.fromisoformat(str(iso)[:10]) - _EPOCH).days
    except ValueError:
        raise ValueError(f"not an ISO date: {iso!r} (use YYYY-MM-DD)") from None


# --- text analysis -----------------------------------------------------------------------------
_TOKEN = re.compile(r"\w\w+|\d")
_CLAUSE_SPLIT = re.compile(
    r"\s*[;:?!]\s*|\s*,(?!\s*\d{4})\s*"  # punctuation (not the comma in "October 7, 2023")
    r"|\s+(?:while|whereas|but|and then|and the|and that|and has|and is|and was)\s+", re.I)

_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), start=1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_MON = (r"(january|february|march|april|may|june|july|august|september|october|november|december"
        r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?")
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(\d{4}))?"
_DATE_PATTERNS = (
    (re.compile(rf"\b{_MON}\s+{_DAY}\b{_YEAR}", re.I), ("m", "d", "y")),  # October 7, 2023
    (re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MON}{_YEAR}\b", re.I), ("d", "m", "y")),  # 7 October 2023
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), ("y", "mi", "d")),  # 2023-10-07
)


class _Tokenizer:
    """Lower-case word tokens, English stopwords removed, Snowball-stemmed (PyStemmer)."""

    def __init__(self) -> None:
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN

        self._stemmer = Stemmer.Stemmer("english")
        self._stop = frozenset(STOPWORDS_EN)
        self._lock = threading.Lock()  # a PyStemmer object is not safe to share across threads

    def __call__(self, text: str) -> list[str]:
        words = [w for w in _TOKEN.findall(text.lower()) if w not in self._stop]
        with self._lock:
            return self._stemmer.stemWords(words)


def find_dates(text: str) -> list[tuple[int | None, int, int]]:
    """Dates mentioned in a question as (year or None, month, day)."""
    found: list[tuple[int | None, int, int]] = []
    taken: list[tuple[int, int]] = []
    for pattern, order in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            parts = dict(zip(order, m.groups()))
            month = int(parts["mi"]) if "mi" in parts else _MONTHS.get(parts["m"].lower().rstrip("."))
            day = int(parts["d"])
            year = int(parts["y"]) if parts.get("y") else None
            try:
                date(year or 2000, month or 0, day)
            except ValueError:
                continue
            taken.append((m.start(), m.end()))
            found.append((year, month, day))
    return found


def outlet_aliases(sources: Iterable[str]) -> dict[str, set[str]]:
    """Lower-cased names a question may use for each outlet -> the outlets they mean.

    The full name; the part before " | ", " - " or ": " ("Cnbc | World Business News
    Leader" -> "Cnbc"); and either without a leading "The" when what remains is at least
    five letters ("The Verge" -> "Verge", but "The Age" stays whole).
    """
    aliases: dict[str, set[str]] = {}
    for source in sources:
        name = source.strip()
        if not name:
            continue
        names = {name}
        short = re.split(r"\s+[|\-–—]\s+|:\s+", name)[0].strip()
        if short:
            names.add(short)
        for n in list(names):
            if n.lower().startswith("the ") and len(n) - 4 >= 5:
                names.add(n[4:])
        for n in names:
            if len(n) >= 3:
                aliases.setdefault(n.lower(), set()).add(source)
    return aliases


def split_clauses(text: str, tokenize: _Tokenizer, min_terms: int = 3) -> list[str]:
    """The parts of a multi-part question, each with at least `min_terms` content terms."""
    out: list[str] = []
    buf = ""
    for part in _CLAUSE_SPLIT.split(text):
        if not part or not part.strip():
            continue
        buf = f"{buf} {part}".strip()
        if len(tokenize(buf)) >= min_terms:
            out.append(buf)
            buf = ""
    if buf and out:
        out[-1] = f"{out[-1]} {buf}"
    return out


# --- the lexical index snapshot ------------------------------------------------------------------
class _LexicalIndex:
    """An immutable BM25 index of the store's chunks, with the metadata arrays filters need."""

    def __init__(self, records: Sequence[tuple[str, str, dict]], version: int, tokenize: _Tokenizer,
                 k1: float, b: float) -> None:
        import bm25s

        if logging.getLogger().level > logging.DEBUG:
            logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import
        self.version = version
        self.ids = [r[0] for r in records]
        self.texts = [r[1] for r in records]
        self.metas = [r[2] for r in records]
        self.pos = {cid: i for i, cid in enumerate(self.ids)}
        self.size = len(self.ids)
        self.source = np.array([str(m.get("source", "")) for m in self.metas], dtype=object)
        self.kind = np.array([str(m.get("kind", "article")) for m in self.metas], dtype=object)
        self.doc = np.array([str(m.get("doc_id", "")) for m in self.metas], dtype=object)
        self.day = np.array([int(m.get("published_day", 0) or 0) for m in self.metas], dtype=np.int64)
        self.by_doc: dict[str, list[int]] = {}
        for i, m in enumerate(self.metas):
            self.by_doc.setdefault(str(m.get("doc_id", "")), []).append(i)
        for rows in self.by_doc.values():
            rows.sort(key=lambda i: int(self.metas[i].get("chunk_index", 0) or 0))
        dates = [_EPOCH.fromordinal(_EPOCH.toordinal() + int(d)) if d > 0 else None for d in self.day]
        self.month = np.array([d.month if d else 0 for d in dates], dtype=np.int64)
        self.dom = np.array([d.day if d else 0 for d in dates], dtype=np.int64)
        self.sources = sorted({s for s in self.source if s})
        self.aliases = outlet_aliases(self.sources)
        alts = sorted(self.aliases, key=len, reverse=True)
        self.alias_rx = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, alts)) + r")(?!\w)", re.I) if alts else None
        self.bm25 = None
        self.vocab: dict[str, int] = {}
        if self.size:
            docs = [tokenize(f"{m.get('header', '')}\n{t}") for t, m in zip(self.texts, self.metas)]
            self.bm25 = bm25s.BM25(k1=k1, b=b)
            self.bm25.index(docs, show_progress=False)
            self.vocab = dict(self.bm25.vocab_dict)

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk for the query terms (zeros when none is known)."""
        ids = [self.vocab[t] for t in terms if t in self.vocab]
        if not ids or self.bm25 is None:
            return np.zeros(self.size, dtype=np.float64)
        return np.asarray(self.bm25.get_scores(ids), dtype=np.float64)

    def outlets_in(self, text: str) -> list[str]:
        """Outlets of the store named in a text."""
        found: list[str] = []
        if self.alias_rx is None:
            return found
        for m in self.alias_rx.finditer(text):
            if m.group(0) == m.group(0).lower():  # "the age of", "a fortune": not outlet names
                continue
            for source in sorted(self.aliases[m.group(0).lower()]):
                if source not in found:
                    found.append(source)
        return found

    def resolve_sources(self, wanted: Iterable[str]) -> list[str]:
        """Outlet names as stored, for names typed by users (case-insensitive, aliases allowed)."""
        out: list[str] = []
        for name in wanted:
            key = str(name).strip().lower()
            hits = sorted(self.aliases.get(key, set())) or [s for s in self.sources if s.lower() == key] or [name]
            out.extend(h for h in hits if h not in out)
        return out

    def date_mask(self, dates: Sequence[tuple[int | None, int, int]], window: int) -> np.ndarray:
        """Chunks published within `window` days of a date (month and day only when no year)."""
        mask = np.zeros(self.size, dtype=bool)
        known = self.day > 0
        for year, month, day in dates:
            if year:
                target = (date(year, month, day) - _EPOCH).days
                mask |= known & (np.abs(self.day - target) <= window)
            else:
                mask |= known & (self.month == month) & (np.abs(self.dom - day) <= window)
        return mask

    def filter_mask(self, filters: SearchFilters | None, sources: Sequence[str] | None) -> np.ndarray | None:
        """The chunks the filters allow (None = all)."""
        if filters is None or not filters.active:
            return None
        mask = np.ones(self.size, dtype=bool)
        first, last = filters.day_range()
        if first is not None or last is not None:
            mask &= self.day > 0
            if first is not None:
                mask &= self.day >= first
            if last is not None:
                mask &= self.day <= last
        if filters.kinds is not None:
            mask &= np.isin(self.kind, list(filters.kinds))
        if sources is not None:
            mask &= np.isin(self.source, list(sources))
        return mask

    def passage(self, i: int) -> Passage:
        return Passage.from_record(self.ids[i], self.texts[i], self.metas[i])


def chroma_where(filters: SearchFilters | None, sources: Sequence[str] | None) -> dict[str, Any] | None:
    """The same predicate as `_LexicalIndex.filter_mask`, as a Chroma `where`."""
    if filters is None or not filters.active:
        return None
    clauses: list[dict[str, Any]] = []
    first, last = filters.day_range()
    if first is not None or last is not None:
        clauses.append({"published_day": {"$gt": 0}})
        if first is not None:
            clauses.append({"published_day": {"$gte": first}})
        if last is not None:
            clauses.append({"published_day": {"$lte": last}})
    if filters.kinds is not None:
        clauses.append({"kind": {"$in": list(filters.kinds)}})
    if sources is not None:
        clauses.append({"source": {"$in": list(sources)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


# --- the retriever -------------------------------------------------------------------------------
class HybridRetriever:
    """BM25 + dense retrieval over a `NewsStore`, aware of outlets and dates named in questions.

    Scores are described in the module docstring. Defaults were tuned on MultiHop-RAG's
    dev questions (256-token chunks): Hits@10 0.96, Hits@4 0.88, MRR@10 0.73.
    """

    def __init__(self, store: NewsStore, *, candidates: int = 50, clause_weight: float = 2.0,
                 source_boost: float = 0.3, date_boost: float = 0.1, date_window_days: int = 1,
                 dense: str = "auto", dense_weight: float = 0.1, dense_max_terms: int = 16,
                 per_doc_cap: int = 3, k1: float = 1.2, b: float = 0.75, comment_weight: float = 0.7,
                 refresh_interval: float = 1.0) -> None:
        if dense not in ("auto", "always", "never"):
            raise ValueError("dense must be 'auto', 'always' or 'never'")
        self.store = store
        self.candidates = candidates
        self.clause_weight = clause_weight
        self.source_boost = source_boost
        self.date_boost = date_boost
        self.date_window_days = date_window_days
        self.dense = dense
        self.dense_weight = dense_weight
        self.dense_max_terms = dense_max_terms
        self.per_doc_cap = per_doc_cap
        self.comment_weight = comment_weight
        self.k1 = k1
        self.b = b
        self.refresh_interval = refresh_interval
        self._tokenize = _Tokenizer()
        self._index: _LexicalIndex | None = None
        self._build_lock = threading.Lock()
        self._checked_at = 0.0
        self.last_build: dict[str, float] = {}  # size and timings of the last index build
        self._refresh_thread: threading.Thread | None = None

    # --- index lifecycle -------------------------------------------------------------------
    def _build(self) -> _LexicalIndex:
        t0 = time.perf_counter()
        version = self.store.version()  # read first: a write during the build triggers a rebuild
        records = list(self.store.iter_records(include_documents=True))
        t1 = time.perf_counter()
        index = _LexicalIndex(records, version, self._tokenize, self.k1, self.b)
        t2 = time.perf_counter()
        self.last_build = {"chunks": index.size, "fetch_s": round(t1 - t0, 2), "index_s": round(t2 - t1, 2)}
        log.info("lexical index: %d chunks in %.1fs (read %.1fs, index %.1fs)", index.size, t2 - t0, t1 - t0, t2 - t1)
        return index

    def index(self) -> _LexicalIndex:
        """The current lexical index (built on first use)."""
        index = self._index
        if index is None:
            with self._build_lock:
                if self._index is None:
                    self._index = self._build()
                    self._checked_at = time.monotonic()
                index = self._index
        return index

    def refresh_if_stale(self, *, wait: bool = False) -> bool:
        """Rebuild the lexical index if the store changed since it was built.

        Checks the store's version at most once per `refresh_interval` seconds. A new index
        is built in a background thread (at 100k chunks that takes half a minute, and no
        question should wait for it): searches meanwhile use the old index, and the new one
        is swapped in atomically. With `wait`, the rebuild happens now, in this thread.
        Returns True when a rebuild was done (`wait`) or started.
        """
        if self._index is None:
            self.index()
            return True
        now = time.monotonic()
        if now - self._checked_at < self.refresh_interval:
            return False
        if not self._build_lock.acquire(blocking=False):
            return False  # another thread is checking or rebuilding
        try:
            self._checked_at = time.monotonic()
            stale = self.store.version() != self._index.version
        except BaseException:
            self._build_lock.release()
            raise
        if not stale:
            self._build_lock.release()
            return False
        if wait:
            self._rebuild_and_release()
            return True
        self._refresh_thread = threading.Thread(target=self._rebuild_and_release, name="lexical-index-refresh",
                                                daemon=True)
        self._refresh_thread.start()
        return True

    def _rebuild_and_release(self) -> None:
        """Build the index and swap it in (the caller holds the build lock)."""
        try:
            self._index = self._build()
        except Exception as exc:  # the store went away: keep serving the old index, retry later
            log.warning("lexical index refresh failed (%s); keeping the previous index", exc)
        finally:
            self._checked_at = time.monotonic()
            self._build_lock.release()

    def wait_for_refresh(self, timeout: float | None = None) -> None:
        """Wait until a background rebuild started by `refresh_if_stale` (if any) is done."""
        thread = self._refresh_thread
        if thread is not None:
            thread.join(timeout)

    @property
    def sources(self) -> list[str]:
        """The outlets present in the store (as of the lexical index)."""
        return list(self.index().sources)

    # --- search ----------------------------------------------------------------------------
    def outlet_aliases(self) -> dict[str, set[str]]:
        """Lower-cased names (and short forms) of the store's outlets -> the outlets."""
        return self.index().aliases

    def document_passages(self, doc_id: str) -> list[Passage]:
        """Every chunk of one document, in order (from the in-memory index: no store call)."""
        index = self.index()
        return [index.passage(i) for i in index.by_doc.get(doc_id, [])]

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> list[Passage]:
        """Top-k passages; each Passage has .score (fused) and .ranks/.scores dicts with keys
        "dense", "lexical", "fused" (rank 1-based; missing key = not in that list).

        scores["dense"] is the cosine similarity, scores["lexical"] the BM25 score of the whole
        question, scores["fused"] the final score (also in .score).
        """
        index = self.index()
        if k <= 0 or not query.strip():
            return []
        sources = index.resolve_sources(filters.sources) if filters and filters.sources is not None else None
        allowed = index.filter_mask(filters, sources)

        # 1. lexical: the whole question, plus its best-matching clause
        terms = self._tokenize(query)
        full = index.scores(terms)
        if allowed is not None:
            full = np.where(allowed, full, 0.0)
        lexical = _scaled(full)
        clauses = split_clauses(query, self._tokenize) if self.clause_weight > 0 else []
        if len(clauses) > 1:
            best = np.zeros(index.size)
            for clause in clauses:
                part = index.scores(self._tokenize(clause))
                if allowed is not None:
                    part = np.where(allowed, part, 0.0)
                np.maximum(best, _scaled(part), out=best)
            lexical = _scaled(lexical + self.clause_weight * best)

        n_lex = min(self.candidates, int(np.count_nonzero(lexical)))
        lex_top = _top(lexical, n_lex)
        lex_rank = {int(i): r for r, i in enumerate(lex_top, start=1)}

        # 2. dense pool (Chroma, same filters)
        dense_hits: list[Passage] = []
        if self.dense == "always" or (self.dense == "auto" and (len(terms) <= self.dense_max_terms or n_lex == 0)):
            vector = self.store.embedder.encode_query(query)
            dense_hits = self.store.query(vector, self.candidates, where=chroma_where(filters, sources))

        # 3. fuse over the union of both pools
        cand: dict[str, dict[str, Any]] = {}
        for i in lex_top:
            cand[index.ids[i]] = {"i": int(i), "lex": float(lexical[i])}
        if dense_hits:
            sims = np.array([p.score for p in dense_hits])
            lo, hi = float(sims.min()), float(sims.max())
            for r, p in enumerate(dense_hits, start=1):
                c = cand.setdefault(p.chunk_id, {"i": index.pos.get(p.chunk_id), "lex": 0.0})
                if c["i"] is not None and "lex" in c and c["lex"] == 0.0:
                    c["lex"] = float(lexical[c["i"]])
                c["dense_rank"], c["dense_sim"] = r, float(p.score)
                c["dense_norm"] = (p.score - lo) / (hi - lo) if hi > lo else 1.0
                c["passage"] = p
        if not cand:
            return []
        outlets = set(index.outlets_in(query)) if self.source_boost else set()
        # Readers' comments are short, so their headline (indexed with them) weighs more in
        # BM25 than in a long article chunk; unless the question is about readers, they
        # count less than reporting.
        comment_factor = 1.0 if asks_about_readers(query) else self.comment_weight
        dates = find_dates(query) if self.date_boost else []
        near = index.date_mask(dates, self.date_window_days) if dates else None
        for c in cand.values():
            i = c["i"]
            meta_source = index.source[i] if i is not None else c["passage"].source
            kind = index.kind[i] if i is not None else c["passage"].kind
            score = (c["lex"] + self.dense_weight * c.get("dense_norm", 0.0)) * (
                comment_factor if kind == "comment" else 1.0)
            if meta_source in outlets:
                score += self.source_boost
            if near is not None and i is not None and near[i]:
                score += self.date_boost
            elif near is not None and i is None and _near_day(c["passage"], dates, self.date_window_days):
                score += self.date_boost
            c["fused"] = score
        ordered = sorted(cand.items(), key=lambda kv: -kv[1]["fused"])
        ordered = _cap_per_doc(ordered, index, max(self.per_doc_cap, k // 2), k)

        # 4. passages with ranks and scores
        out: list[Passage] = []
        for rank, (cid, c) in enumerate(ordered[:k], start=1):
            p = c.get("passage") or index.passage(c["i"])
            p.ranks, p.scores = {}, {}
            if "dense_rank" in c:
                p.ranks["dense"] = c["dense_rank"]
                p.scores["dense"] = c["dense_sim"]
            if c["i"] is not None and c["i"] in lex_rank:
                p.ranks["lexical"] = lex_rank[c["i"]]
                p.scores["lexical"] = float(full[c["i"]])
            p.ranks["fused"] = rank
            p.scores["fused"] = p.score = float(c["fused"])
            out.append(p)
        return out


def _scaled(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else values


def _top(values: np.ndarray, n: int) -> np.ndarray:
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    if n >= values.size:
        return np.argsort(-values, kind="stable")
    part = np.argpartition(-values, n - 1)[:n]
    return part[np.argsort(-values[part], kind="stable")]


def _near_day(p: Passage, dates: Sequence[tuple[int | None, int, int]], window: int) -> bool:
    try:
        d = date.fromisoformat(p.published[:10])
    except ValueError:
        return False
    for year, month, day in dates:
        if year and abs((d - date(year, month, day)).days) <= window:
            return True
        if not year and d.month == month and abs(d.day - day) <= window:
            return True
    return False


def _cap_per_doc(ordered: list, index: _LexicalIndex, cap: int, k: int) -> list:
    """At most `cap` chunks of one document in the first k; the rest keep their order after."""
    if cap <= 0:
        return ordered
    head, tail, seen = [], [], {}
    for item in ordered:
        c = item[1]
        doc = index.doc[c["i"]] if c["i"] is not None else c["passage"].doc_id
        if len(head) < k and seen.get(doc, 0) < cap:
            head.append(item)
            seen[doc] = seen.get(doc, 0) + 1
        else:
            tail.append(item)
    return head + tail


# --- LangChain ---------------------------------------------------------------------------------
class NewsRetriever(BaseRetriever):
    """LangChain adapter: a `HybridRetriever` returning `Document`s (metadata: every Passage field)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: HybridRetriever
    k: int = 10
    filters: SearchFilters | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        passages = self.retriever.search(query, k=self.k, filters=self.filters)
        return [Document(page_content=p.text, metadata=dataclasses.asdict(p), id=p.chunk_id) for p in passages]
