"""`CrawlConfig`: every knob of the crawler, as a plain dataclass the front ends fill in."""

from __future__ import annotations

from dataclasses import dataclass, replace

VERSION = "0.1"


@dataclass(frozen=True)
class CrawlConfig:
    """How to crawl. Times are in seconds.

    `delay` is the least time between two requests to one host (robots.txt's Crawl-delay
    raises it, up to `max_crawl_delay`); `per_host` caps requests in flight to one host.
    `allowed_hosts` adds hosts to those of the URLs given (feeds and sitemaps are followed
    to their own host only, otherwise). `max_pages` = 0 means no limit; `since` is an ISO
    date: feed and sitemap entries dated before it are not fetched (undated ones are).
    """

    contact: str = ""
    user_agent: str = ""  # empty: "Newsdesk/<version> (+<contact>)"
    delay: float = 1.0
    per_host: int = 2
    timeout: float = 20.0
    retries: int = 3
    backoff: float = 1.0  # first retry waits this long, doubling each time
    max_retry_after: float = 120.0  # a longer Retry-After gives up on the URL for this run
    max_crawl_delay: float = 30.0
    max_page_bytes: int = 5_000_000
    max_listing_bytes: int = 50_000_000  # a sitemap may hold 50,000 URLs
    max_redirects: int = 5
    allowed_hosts: tuple[str, ...] = ()
    max_pages: int = 0
    since: str = ""
    group_pages: int = 16  # pages embedded and committed together (the unit a crash can lose)
    max_sitemap_depth: int = 3
    state_file: str = ""  # empty: crawl-<collection>.sqlite3 in the store folder

    @property
    def agent(self) -> str:
        """The User-Agent header: names Newsdesk and, when configured, a contact."""
        if self.user_agent:
            return self.user_agent
        contact = f"; +{self.contact}" if self.contact else ""
        return f"Newsdesk/{VERSION} (news question-answering bot{contact})"

    @property
    def robots_name(self) -> str:
        """The product token matched against robots.txt `User-agent` lines."""
        return self.agent.split("/", 1)[0].split()[0] if self.agent.strip() else "Newsdesk"

    def with_(self, **changes: object) -> "CrawlConfig":
        """A copy with some fields changed (e.g. the command line's --max-pages)."""
        return replace(self, **changes)
