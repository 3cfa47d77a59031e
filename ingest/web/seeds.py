"""Reading the seeds of a crawl: pages, feeds, sitemaps and sitemap indexes, and a site's
home page (its sitemaps from robots.txt, else the feeds it links to), into the pages they list.

`SeedReading` is the part of `WebCrawl` that reads seeds; it uses the crawl's fetcher,
state, config and report (see crawl.py).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..loaders import canonical_url
from ..report import FileFailure
from .fetch import HTML_TYPES, XML_TYPES, Fetched, FetchError, host_of
from .listings import PAGE, SITEMAP_INDEX, ListingError, feeds_linked_from, parse_listing, sniff

log = logging.getLogger("ingest.web.crawl")

SEED_TYPES = HTML_TYPES + XML_TYPES


@dataclass
class _SeedRead:
    seed: str
    complete: bool = True
    listed: dict[str, str] = field(default_factory=dict)  # url -> date
    page: Fetched | None = None  # the seed is a page (fetched already)


class SeedReading:
    """Seed reading, mixed into `WebCrawl`."""

    # --- seeds, feeds and sitemaps -------------------------------------------------------------
    def _read_seeds(self, seeds: list[str]) -> list[_SeedRead]:
        """Read the seeds in parallel (each host's gate still spaces its requests); failures are
        reported in the order the seeds were given."""
        if len(seeds) == 1:
            return [self._read_seed(seeds[0])]
        before = len(self.report.failed)
        with ThreadPoolExecutor(max_workers=min(len(seeds), 8), thread_name_prefix="newsdesk-seeds") as pool:
            reads = list(pool.map(self._read_seed, seeds))
        order = {_display(seed): n for n, seed in enumerate(seeds)}
        new: list[FileFailure] = self.report.failed[before:]
        new.sort(key=lambda f: order.get(f.path, len(order)))
        self.report.failed[before:] = new
        return reads

    def _read_seed(self, seed: str) -> _SeedRead:
        read = _SeedRead(seed)
        self._read_reporting(seed, seed, read, depth=0, visited=set(), direct=True)
        return read

    def _read_reporting(self, url: str, seed: str, read: _SeedRead, *, depth: int, visited: set[str],
                        direct: bool) -> None:
        """`_read`, with a failure reported for `url` (and the seed's listing marked incomplete)."""
        try:
            self._read(url, seed, read, depth=depth, visited=visited, direct=direct)
        except FetchError as exc:
            read.complete = False
            self._fetch_error(url, exc)
        except ListingError as exc:
            read.complete = False
            self._fail(url, str(exc))

    def _read(self, url: str, seed: str, read: _SeedRead, *, depth: int, visited: set[str], direct: bool) -> None:
        """Read one seed or listed sitemap: pages go to `read.listed` (or a direct page to `read.page`)."""
        assert self.fetcher is not None and self.state is not None
        visited.add(url)
        cached = self.state.listing(url)
        etag, last_modified = (cached.etag, cached.last_modified) if cached else ("", "")
        row = self.state.page(canonical_url(url)) if direct and cached is None else None
        if row is not None and row.status == "done" and self._doc_present(row.doc_id):
            etag, last_modified = row.etag, row.last_modified  # a page given directly, ingested before
        fetched = self.fetcher.get(url, accept=SEED_TYPES if direct else XML_TYPES, etag=etag,
                                   last_modified=last_modified, max_bytes=self.config.max_listing_bytes)
        if fetched.not_modified and cached is None and row is not None:
            read.listed[canonical_url(url)] = ""
            read.page = fetched
            return
        if fetched.not_modified and cached is not None:
            kind, entries, warnings = cached.kind, list(cached.entries), []
        else:
            kind, body = sniff(fetched.body, fetched.content_type, max_bytes=self.config.max_listing_bytes)
            if kind == PAGE:
                if not direct:
                    raise ListingError(f"{url} is a web page, not a sitemap")
                if urlsplit(fetched.final_url).path in ("", "/"):
                    self._read_home(fetched, seed, read, visited)
                    return
                if len(fetched.body) > self.config.max_page_bytes:
                    raise ListingError(f"too large ({len(fetched.body) / 1e6:.1f} MB; the page limit is "
                                       f"{self.config.max_page_bytes / 1e6:.1f} MB)")
                read.listed[canonical_url(url)] = ""
                read.page = fetched
                return
            if not kind:
                what = fetched.content_type or "unknown content type"
                raise ListingError(f"not a web page, feed or sitemap ({what}): malformed or unsupported")
            listing = parse_listing(kind, body, fetched.final_url, fetched.content_type)
            entries = [(e.url, e.date) for e in listing.entries]
            warnings = listing.warnings
            self.state.save_listing(url, listing.kind, fetched.etag, fetched.last_modified, entries)
        self.report.warnings.extend(f"{url}: {w}" for w in warnings)
        if kind == SITEMAP_INDEX:
            for child, _date in entries:
                if not self.host_allowed(host_of(child)):
                    self.offhost[url].add(host_of(child))
                    read.complete = False
                    continue
                if child in visited or depth + 1 > self.config.max_sitemap_depth:
                    continue
                self._read_reporting(child, seed, read, depth=depth + 1, visited=visited, direct=False)
            return
        for entry_url, date in entries:
            if not entry_url.lower().startswith(("http://", "https://")):
                continue
            if not self.host_allowed(host_of(entry_url)):
                self.offhost[url].add(host_of(entry_url))
                continue
            read.listed.setdefault(canonical_url(entry_url), date)

    def _read_home(self, fetched: Fetched, seed: str, read: _SeedRead, visited: set[str]) -> None:
        """A site's home page: its sitemaps (from robots.txt), else the feeds it links to."""
        assert self.fetcher is not None
        found = [u for u in self.fetcher.robots.sitemaps(fetched.final_url) if self.host_allowed(host_of(u))]
        kind = "sitemap"
        if not found:
            text = fetched.body.decode(fetched.charset or "utf-8", errors="replace")
            found = [u for u in feeds_linked_from(text, fetched.final_url) if self.host_allowed(host_of(u))]
            kind = "feed"
        if not found:
            raise ListingError("a home page with no sitemap in robots.txt and no linked feed; "
                               "give the URL of an article, a feed or a sitemap")
        log.debug("%s: following %d %s(s): %s", seed, len(found), kind, ", ".join(found[:5]))
        for url in found[:5]:
            if url in visited:
                continue
            self._read_reporting(url, seed, read, depth=1, visited=visited, direct=False)


def _display(url: str) -> str:
    """A URL fit for a report or a log: without a user name and password in it."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()
