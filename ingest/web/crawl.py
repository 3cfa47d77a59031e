"""One crawl into the ingest pipeline: seeds (pages, feeds, sitemaps, home pages) to pages,
pages to documents, documents into the store, incrementally.

The steps: (1) read each seed: a page is a page; a feed or sitemap lists pages (a sitemap
index lists sitemaps, read in turn); a site's home page leads to the sitemaps its
robots.txt names, else the feeds it links to. Entries on hosts other than the seeds'
(and `allowed_hosts`) are not followed but reported, as are entries older than `since`
skipped. (2) New pages are written to the crawl state as pending, then pages are fetched
by worker threads (the fetcher keeps to robots.txt and each host's rate limit), with
`If-None-Match` / `If-Modified-Since` when the page's document is in the store. A 304,
or a body with the hash last ingested, is not parsed again. (3) Changed pages are read
like HTML files and go through the same planning as files (so only documents whose
content changed are re-embedded, and comments that vanished are removed), in groups of
`group_pages`; each group's pages are marked done in the crawl state after their chunks
are written. (4) With prune, pages that answer 404/410, or that left a feed or sitemap
read in full this run, are removed from the store.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..decode import BadFileError
from ..loaders import LoadResult, canonical_url
from ..report import FileFailure
from .config import CrawlConfig
from .fetch import HTML_TYPES, Fetched, FetchError, Fetcher, host_of, origin_of, same_site
from .page import page_documents
from .seeds import SeedReading, _display, _SeedRead
from .state import CrawlState

if TYPE_CHECKING:
    from vectorstore.store import DocRecord

    from ..pipeline import Ingestor, _Pending
    from ..report import IngestReport

log = logging.getLogger(__name__)

WEB_ROOT = "web"  # the `root` of every crawled document (files have their folder)


def state_path_for(ingestor: "Ingestor", config: CrawlConfig) -> Path:
    """Where the crawl state lives: `crawl_state` in config, else the store folder."""
    if config.state_file:
        return Path(config.state_file)
    cfg = ingestor.store.config
    return Path(cfg.path) / f"crawl-{cfg.collection}.sqlite3"


@dataclass
class _Target:
    url: str
    seed: str
    date: str = ""
    direct: bool = False  # given on the command line / in the sources
    prefetched: Fetched | None = None  # a seed that turned out to be a page


@dataclass
class _Outcome:
    target: _Target
    fetched: Fetched | None = None
    error: FetchError | None = None
    result: LoadResult | None = None
    bad: str = ""  # the page was fetched but holds no article
    digest: str = ""
    unchanged: bool = False


class WebCrawl(SeedReading):
    """Crawls seeds into `ingestor`'s store, adding to `report`; see the module docstring."""

    def __init__(self, ingestor: "Ingestor", config: CrawlConfig, stored: dict[str, "DocRecord"],
                 seen: set[str], report: "IngestReport", *, prune: bool = False) -> None:
        self.ingestor = ingestor
        self.config = config
        self.stored = stored
        self.seen = seen
        self.report = report
        self.prune = prune
        self.by_file = ingestor.records_by_file(stored)
        self.allowed: set[str] = set()
        self.offhost: dict[str, set[str]] = defaultdict(set)
        self.down_urls: dict[str, int] = defaultdict(int)
        self.robots_skipped = 0
        self.since_skipped = 0
        self.fetcher: Fetcher | None = None
        self.state: CrawlState | None = None
        self._lock = threading.Lock()

    # --- hosts ---------------------------------------------------------------------------------
    def host_allowed(self, host: str) -> bool:
        """Is `host` one of the seeds' hosts (or an allowed extra host)?"""
        return any(same_site(host, allowed) for allowed in self.allowed)

    def _fail(self, url: str, reason: str) -> None:
        self.report.failed.append(FileFailure(_display(url), reason))

    def _fetch_error(self, url: str, exc: FetchError) -> None:
        if exc.host_down:
            with self._lock:
                self.down_urls[origin_of(url)] += 1  # one line per host, at the end
        else:
            self._fail(url, exc.reason)

    # --- the run --------------------------------------------------------------------------------
    def run(self, seeds: list[str]) -> None:
        """Crawl `seeds` (http(s) URLs)."""
        cfg = self.config
        seeds = list(dict.fromkeys(canonical_url(s) if urlsplit(s).path not in ("", "/") else s for s in seeds))
        self.allowed = {host_of(s) for s in seeds} | {h.lower() for h in cfg.allowed_hosts}
        if not cfg.contact and not cfg.user_agent:
            self.report.warnings.append("no crawl contact is set (NEWSDESK_CRAWL_CONTACT): site owners cannot "
                                        "reach whoever runs this crawler")
        self.state = CrawlState(state_path_for(self.ingestor, cfg))
        self.fetcher = Fetcher(cfg, host_allowed=self.host_allowed)
        try:
            reads = self._read_seeds(seeds)
            targets = self._select(seeds, reads)
            self._crawl(targets)
            if self.prune:
                self._prune_left(reads)
        finally:
            self.report.requests += self.fetcher.requests
            self.fetcher.close()
            self.state.close()
            self._summarise()

    def _summarise(self) -> None:
        for origin, count in self.down_urls.items():
            reason = self.fetcher.down_reason(origin) if self.fetcher else None
            more = f"; {count} URL{'s' if count != 1 else ''} on it not fetched" if count > 1 else ""
            self._fail(origin + "/", f"site unreachable: {reason or 'down'}{more}")
        for listing, hosts in self.offhost.items():
            shown = ", ".join(sorted(hosts)[:5]) + (" …" if len(hosts) > 5 else "")
            self._fail(listing, f"lists pages on other hosts ({shown}); not followed "
                                "(add the host with --allow-host to follow them)")
        if self.robots_skipped:
            self.report.warnings.append(f"{self.robots_skipped} listed page(s) disallowed by robots.txt were "
                                        "not fetched")
        if self.since_skipped:
            self.report.warnings.append(f"{self.since_skipped} listed page(s) dated before {self.config.since} "
                                        "were not fetched (--since)")

    # --- which pages this run fetches -----------------------------------------------------------
    def _select(self, seeds: list[str], reads: list[_SeedRead]) -> list[_Target]:
        assert self.state is not None
        cfg = self.config
        targets: dict[str, _Target] = {}
        for read in reads:
            page = read.page
            for url, date in read.listed.items():
                if url in targets:
                    continue
                if page is not None:
                    targets[url] = _Target(url, seed=read.seed, direct=True, prefetched=page)
                elif cfg.since and date and date[:10] < cfg.since[:10]:
                    self.since_skipped += 1
                else:
                    targets[url] = _Target(url, seed=read.seed, date=date)
        for row in self.state.unfinished(seeds):  # an earlier run listed these and stopped before them
            if row.url not in targets and self.host_allowed(host_of(row.url)):
                if not (cfg.since and row.listed_date and row.listed_date[:10] < cfg.since[:10]):
                    targets[row.url] = _Target(row.url, seed=row.seed, date=row.listed_date)
        known = self.state.pages(list(targets))
        for url, target in targets.items():
            self.state.note_listed(url, target.seed if not target.direct else "", target.date)
        self.state.commit()  # the frontier is durable before anything is fetched

        def order(t: _Target) -> tuple:
            row = known.get(t.url)
            new = row is None or row.status != "done"
            return (not t.direct, not new, not t.date, tuple(-ord(c) for c in t.date))

        chosen = sorted(targets.values(), key=order)
        if cfg.max_pages and len(chosen) > cfg.max_pages:
            left = len(chosen) - cfg.max_pages
            self.report.warnings.append(f"--max-pages {cfg.max_pages}: {left} more listed page(s) left for a "
                                        "later run (new pages first, newest first)")
            chosen = chosen[: cfg.max_pages]
        return chosen

    # --- fetching and ingesting ------------------------------------------------------------------
    def _doc_present(self, doc_id: str) -> bool:
        rec = self.stored.get(doc_id)
        return rec is not None and rec.consistent

    def _work(self, target: _Target, etag: str, last_modified: str, known_hash: str) -> _Outcome:
        """In a worker thread: fetch (unless prefetched), hash, and parse when changed."""
        assert self.fetcher is not None
        out = _Outcome(target)
        try:
            fetched = target.prefetched or self.fetcher.get(target.url, accept=HTML_TYPES, etag=etag,
                                                            last_modified=last_modified)
        except FetchError as exc:
            out.error = exc
            return out
        out.fetched = fetched
        if fetched.not_modified:
            out.unchanged = True
            return out
        if fetched.content_type and fetched.content_type not in HTML_TYPES:
            out.bad = f"not a web page ({fetched.content_type})"
            return out
        out.digest = hashlib.sha256(fetched.body).hexdigest()
        if known_hash and out.digest == known_hash:
            out.unchanged = True
            return out
        try:
            out.result = page_documents(fetched, default_source=self.ingestor.default_source,
                                        host_allowed=self.host_allowed)
        except BadFileError as exc:
            out.bad = str(exc)
        except Exception as exc:  # a parser bug must not stop the other pages
            log.exception("unexpected error reading %s", target.url)
            out.bad = f"unexpected error: {type(exc).__name__}: {exc}"
        return out

    def _crawl(self, targets: list[_Target]) -> None:
        assert self.state is not None
        if not targets:
            return
        known = self.state.pages([t.url for t in targets])
        origins = {origin_of(t.url) for t in targets}
        workers = max(1, min(len(targets), self.config.per_host * len(origins), 16))
        bar = self._bar(len(targets))
        group: list[tuple[_Outcome, list["_Pending"], list[str]]] = []
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="newsdesk-crawl")
        try:
            futures: set[Future] = set()
            queue = iter(targets)
            # keep a bounded number of pages in flight, so memory stays flat on a big sitemap
            for target in queue:
                futures.add(self._submit(pool, target, known.get(target.url)))
                if len(futures) >= workers * 4:
                    break
            while futures:
                done, futures = wait(futures, return_when=FIRST_COMPLETED)
                for future in done:
                    outcome = future.result()
                    self._handle(outcome, known.get(outcome.target.url), group)
                    if bar is not None:
                        bar.update(1)
                    nxt = next(queue, None)
                    if nxt is not None:
                        futures.add(self._submit(pool, nxt, known.get(nxt.url)))
                    if len(group) >= self.config.group_pages:
                        self._flush(group)
                        group = []
            self._flush(group)
        except BaseException:
            # Ctrl-C or a store failure: abort the requests in flight rather than wait for their
            # timeouts; what was flushed is in the store and the crawl state, the rest is pending
            assert self.fetcher is not None
            self.fetcher.close()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            if bar is not None:
                bar.close()

    def _submit(self, pool: ThreadPoolExecutor, target: _Target, row) -> Future:  # noqa: ANN001
        conditional = row is not None and row.status == "done" and self._doc_present(row.doc_id)
        return pool.submit(self._work, target, row.etag if conditional else "",
                           row.last_modified if conditional else "", row.content_hash if conditional else "")

    def _handle(self, out: _Outcome, row, group: list) -> None:  # noqa: ANN001
        assert self.state is not None
        url = out.target.url
        if out.error is not None:
            exc = out.error
            if exc.robots and not out.target.direct:
                self.robots_skipped += 1
                return
            if exc.gone and self.prune and row is not None:
                self._remove_page(url)
                return
            self.state.failed(url, exc.reason, gone=exc.gone)
            if exc.gone and row is not None and row.status == "done":
                self._fail(url, f"{exc.reason}; still in the store (--prune removes pages that are gone)")
            else:
                self._fetch_error(url, exc)
            return
        self.report.pages += 1
        if out.unchanged:
            self.report.pages_not_modified += 1
            recs = self.by_file.get((WEB_ROOT, url), [])
            self.report.unchanged += len(recs)
            self.seen.update(r.doc_id for r in recs)
            fetched = out.fetched
            self.state.checked(url, etag=fetched.etag if fetched else "",
                               last_modified=fetched.last_modified if fetched else "")
            return
        if out.bad:
            self.state.failed(url, out.bad)
            self._fail(url, out.bad)
            return
        assert out.result is not None
        docs = out.result.documents
        if docs and docs[0].doc_id in self.seen:  # another URL (a redirect, an alias) led to this article
            self.report.warnings.append(f"{url}: same article as another URL ({docs[0].url}); read once")
            self.state.done(url, doc_id=docs[0].doc_id, etag=out.fetched.etag if out.fetched else "",
                            last_modified=out.fetched.last_modified if out.fetched else "",
                            content_hash=out.digest, seed="" if out.target.direct else out.target.seed)
            return
        pending: list = []
        stale: list[str] = []
        self.ingestor.plan_result(out.result, url, WEB_ROOT, url, self.stored, self.by_file, self.seen,
                                  pending, stale, self.report)
        group.append((out, pending, stale))

    def _flush(self, group: list[tuple[_Outcome, list["_Pending"], list[str]]]) -> None:
        """Embed and write a group of changed pages, then mark them done in the crawl state."""
        assert self.state is not None
        if not group:
            return
        pending = [p for _, items, _ in group for p in items]
        stale = [cid for _, _, ids in group for cid in ids]
        self.ingestor.write(pending, stale, self.report, show_bar=False)
        for out, _, _ in group:
            fetched = out.fetched
            assert fetched is not None and out.result is not None
            docs = out.result.documents
            self.state.done(out.target.url, doc_id=docs[0].doc_id if docs else "", etag=fetched.etag,
                            last_modified=fetched.last_modified, content_hash=out.digest,
                            seed="" if out.target.direct else out.target.seed)
        self.state.commit()

    # --- pruning ------------------------------------------------------------------------------
    def _remove_page(self, url: str) -> None:
        assert self.state is not None
        recs = self.by_file.get((WEB_ROOT, url), [])
        ids = [cid for r in recs for cid in r.chunk_ids]
        if ids:
            self.ingestor.begin_changes()
            self.ingestor.store.delete(ids)
            self.ingestor.note_deleted(ids)
            self.report.chunks_deleted += len(ids)
            self.report.removed += len(recs)
        self.state.forget(url)
        self.state.commit()

    def _prune_left(self, reads: list[_SeedRead]) -> None:
        """Remove pages that left a feed or sitemap read in full this run."""
        assert self.state is not None
        complete = [r.seed for r in reads if r.complete and r.page is None]
        incomplete = [r.seed for r in reads if not r.complete]
        if incomplete:
            self.report.warnings.append("not pruned (not read in full this run): " + ", ".join(incomplete))
        listed_now = {url for r in reads for url in r.listed}
        for row in self.state.listed_by(complete):
            if row.url not in listed_now:
                self._remove_page(row.url)

    # --- progress -----------------------------------------------------------------------------
    def _bar(self, total: int):  # noqa: ANN202 - tqdm or None
        if not self.ingestor.progress or total == 0:
            return None
        from tqdm import tqdm

        return tqdm(total=total, unit="page", desc="crawling", file=sys.stderr, leave=False, dynamic_ncols=True)
