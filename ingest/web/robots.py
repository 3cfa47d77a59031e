"""robots.txt, read with Protego (Scrapy's parser: wildcards, Allow/Disallow precedence,
Crawl-delay, Sitemap lines), fetched once per origin and run.

What an answer means follows RFC 9309: a robots.txt that is missing or refused with a 4xx
allows everything; one that cannot be had because the server errs (5xx, after retries)
or cannot be reached means the whole site is off limits for this run, and the host is
reported once as down.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from protego import Protego

from .http import FetchError, origin_of

if TYPE_CHECKING:
    from .fetch import Fetcher

log = logging.getLogger(__name__)

ROBOTS_MAX_BYTES = 512_000  # RFC 9309: parse at least 500 KiB


class RobotsCache:
    """robots.txt rules per origin, fetched on first use through the polite fetcher."""

    def __init__(self, fetcher: "Fetcher") -> None:
        self.fetcher = fetcher
        self._rules: dict[str, Protego | None] = {}  # None = allow everything
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def rules(self, url: str) -> Protego | None:
        """The parsed robots.txt of the URL's origin (None: no rules). Raises FetchError when
        the site is down or its robots.txt answers with a server error."""
        origin = origin_of(url)
        with self._lock:
            if origin in self._rules:
                return self._rules[origin]
            lock = self._locks.setdefault(origin, threading.Lock())
        with lock:
            if origin in self._rules:
                return self._rules[origin]
            rules = self._load(origin)
            with self._lock:
                self._rules[origin] = rules
            return rules

    def _load(self, origin: str) -> Protego | None:
        try:
            fetched = self.fetcher.get(f"{origin}/robots.txt", accept=(), max_bytes=ROBOTS_MAX_BYTES,
                                       check_robots=False)
        except FetchError as exc:
            if exc.host_down:
                raise
            if exc.status is not None and 400 <= exc.status < 500:
                return None  # no robots.txt: everything is allowed
            reason = f"{origin} is not usable: its robots.txt could not be read ({exc.reason})"
            self.fetcher.mark_down(origin, reason)
            raise FetchError(reason, host_down=True) from None
        text = fetched.body.decode(fetched.charset or "utf-8", errors="replace")
        rules = Protego.parse(text)
        delay = rules.crawl_delay(self.fetcher.config.robots_name)
        if delay:
            self.fetcher.set_crawl_delay(origin, float(delay))
        return rules

    def allowed(self, url: str) -> bool:
        """May the crawler fetch `url`? Raises FetchError when the site is down."""
        rules = self.rules(url)
        return rules is None or rules.can_fetch(url, self.fetcher.config.robots_name)

    def sitemaps(self, url: str) -> list[str]:
        """The sitemaps the origin's robots.txt lists."""
        rules = self.rules(url)
        return list(rules.sitemaps) if rules is not None else []
