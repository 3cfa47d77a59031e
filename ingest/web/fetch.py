"""The polite HTTP client: httpx, plus what a well-behaved crawler adds around it.

Per request: robots.txt is obeyed (see `robots`), the User-Agent names Newsdesk and a
contact, requests to one host are spaced by a delay and capped in number in flight,
every request has a timeout (connect/read, and a whole-response deadline so a server
that drips bytes cannot hold a worker), 429 and 5xx are retried with exponential backoff
honouring `Retry-After` (which also pauses the whole host), bodies are capped in size
(Content-Length first, then while streaming, after decompression), and the content type
is checked. Conditional requests (`If-None-Match`, `If-Modified-Since`) are sent when
the caller knows the page's ETag or Last-Modified.

Redirects are followed here rather than by httpx's `follow_redirects`, so that each hop
is checked against robots.txt and the allowed hosts, and a loop is named as one. A host
that cannot be reached (DNS failure, connection refused, connect timeout) is marked down
after its first failure: later URLs on it fail at once with the same reason, so a site
that is down costs one timeout and gives one line, not one per page.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urljoin, urlsplit

import httpx

from .config import CrawlConfig
from .http import (GONE_STATUSES, HTML_TYPES, RETRY_STATUSES, XML_TYPES, Fetched, FetchError,  # noqa: F401
                   describe_connect_error, host_of, origin_of, parse_retry_after, same_site)

log = logging.getLogger(__name__)

class _HostGate:
    """One host's politeness: at most `per_host` requests in flight, `delay` between starts."""

    def __init__(self, per_host: int, delay: float) -> None:
        self.slots = threading.BoundedSemaphore(max(1, per_host))
        self.lock = threading.Lock()
        self.delay = delay
        self.next_start = 0.0

    def enter(self) -> None:
        self.slots.acquire()
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_start)
            self.next_start = start + self.delay
        if start > now:
            time.sleep(start - now)

    def leave(self) -> None:
        self.slots.release()

    def pause_until(self, when: float) -> None:
        """Nobody starts a request to this host before `when` (monotonic), e.g. after Retry-After."""
        with self.lock:
            self.next_start = max(self.next_start, when)


class Fetcher:
    """Fetches URLs politely; thread-safe. Use as a context manager, or call `close()`."""

    def __init__(self, config: CrawlConfig, *, host_allowed: Callable[[str], bool] | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        from .robots import RobotsCache

        self.config = config
        self.host_allowed = host_allowed or (lambda host: True)
        self.client = httpx.Client(
            headers={"User-Agent": config.agent, "Accept-Language": "en, *;q=0.5"},
            timeout=httpx.Timeout(config.timeout),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=max(4, config.per_host * 4),
                                max_keepalive_connections=max(2, config.per_host * 2)),
            transport=transport,
        )
        self.robots = RobotsCache(self)
        self._gates: dict[str, _HostGate] = {}
        self._down: dict[str, str] = {}
        self._lock = threading.Lock()
        self.requests = 0
        self.closed = False

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        if not self.closed:
            self.closed = True
            self.client.close()

    # --- state per host ------------------------------------------------------------------
    def gate(self, origin: str) -> _HostGate:
        """The politeness gate of one origin (created on first use)."""
        with self._lock:
            gate = self._gates.get(origin)
            if gate is None:
                gate = self._gates[origin] = _HostGate(self.config.per_host, self.config.delay)
            return gate

    def set_crawl_delay(self, origin: str, seconds: float) -> None:
        """robots.txt asked for this delay: honour it, up to `max_crawl_delay`."""
        gate = self.gate(origin)
        gate.delay = max(self.config.delay, min(seconds, self.config.max_crawl_delay))

    def down_reason(self, url: str) -> str | None:
        """Why the URL's host is known to be unreachable in this run, or None."""
        return self._down.get(origin_of(url))

    def mark_down(self, url: str, reason: str) -> None:
        """Record that the URL's host cannot be reached; later URLs on it fail at once."""
        with self._lock:
            self._down.setdefault(origin_of(url), reason)

    # --- fetching ----------------------------------------------------------------------------
    def get(self, url: str, *, accept: tuple[str, ...] = HTML_TYPES, etag: str = "", last_modified: str = "",
            max_bytes: int | None = None, check_robots: bool = True) -> Fetched:
        """GET `url` following redirects; returns a 200 (with body) or a 304. Raises `FetchError`."""
        max_bytes = max_bytes or self.config.max_page_bytes
        chain = [url]
        current = url
        for hop in range(self.config.max_redirects + 1):
            down = self.down_reason(current)
            if down:
                raise FetchError(down, host_down=True)
            if hop and not self.host_allowed(host_of(current)):
                raise FetchError(f"redirects to another host ({host_of(current)}); not followed")
            if check_robots and not self.robots.allowed(current):
                raise FetchError("disallowed by robots.txt" + (f" (after a redirect to {current})" if hop else ""),
                                 robots=True)
            headers = {"Accept": _accept_header(accept)}
            if etag and hop == 0:
                headers["If-None-Match"] = etag
            if last_modified and hop == 0:
                headers["If-Modified-Since"] = last_modified
            result = self._request(current, headers, accept, max_bytes)
            if isinstance(result, str):  # a redirect's target
                target = urljoin(current, result)
                if not target.lower().startswith(("http://", "https://")):
                    raise FetchError(f"redirects to a non-web address ({target[:80]})")
                if target in chain:
                    raise FetchError("redirect loop: " + " → ".join(_short(u) for u in [*chain, target][-4:]))
                chain.append(target)
                current = target
                continue
            result.url = url
            return result
        raise FetchError(f"too many redirects (more than {self.config.max_redirects})")

    def _request(self, url: str, headers: dict[str, str], accept: tuple[str, ...],
                 max_bytes: int) -> Fetched | str:
        """One URL with retries: a `Fetched`, a redirect target (str), or `FetchError`."""
        cfg = self.config
        origin = origin_of(url)
        gate = self.gate(origin)
        attempt = 0
        while True:
            gate.enter()
            wait = 0.0
            last_error = ""
            try:
                with self._lock:
                    self.requests += 1
                try:
                    outcome = self._once(url, headers, accept, max_bytes)
                except httpx.ConnectError as exc:
                    reason = describe_connect_error(exc, host_of(url))
                    if "DNS" in reason or attempt >= cfg.retries:
                        self.mark_down(url, reason)
                        raise FetchError(reason, host_down=True) from None
                    wait, last_error = cfg.backoff * 2 ** attempt, reason
                except httpx.ConnectTimeout as exc:
                    reason = describe_connect_error(exc, host_of(url))
                    self.mark_down(url, reason)  # a connect timeout is slow: don't pay it per page
                    raise FetchError(reason, host_down=True) from None
                except (httpx.TimeoutException, _Deadline):
                    last_error = f"timed out after {cfg.timeout:g} s"
                    if attempt >= cfg.retries:
                        raise FetchError(last_error) from None
                    wait = cfg.backoff * 2 ** attempt
                except httpx.HTTPError as exc:  # protocol errors, a connection dropped mid-body
                    last_error = f"HTTP error: {type(exc).__name__}: {str(exc)[:120]}"
                    if attempt >= cfg.retries:
                        raise FetchError(last_error) from None
                    wait = cfg.backoff * 2 ** attempt
                else:
                    if isinstance(outcome, _Retry):
                        last_error = f"HTTP {outcome.status} {outcome.phrase}".strip()
                        backoff = cfg.backoff * 2 ** attempt
                        after = outcome.retry_after
                        if after is not None and after > cfg.max_retry_after:
                            raise FetchError(f"{last_error}; the server asked to retry after {after:.0f} s "
                                             "(more than the crawler waits)", status=outcome.status)
                        if attempt >= cfg.retries:
                            raise FetchError(f"{last_error} (after {attempt + 1} tries)", status=outcome.status)
                        wait = max(backoff, after or 0.0)
                        if after is not None:
                            gate.pause_until(time.monotonic() + wait)
                    else:
                        return outcome
            finally:
                gate.leave()
            attempt += 1
            wait = wait * (1 + random.random() * 0.1)  # noqa: S311 - jitter, not security
            log.debug("retrying %s in %.1f s (%s)", url, wait, last_error)
            time.sleep(wait)

    def _once(self, url: str, headers: dict[str, str], accept: tuple[str, ...],
              max_bytes: int) -> "Fetched | str | _Retry":
        deadline = time.monotonic() + self.config.timeout * 2
        with self.client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if response.is_redirect and response.headers.get("location"):
                return response.headers["location"]
            if status == 304:
                return Fetched(url, url, 304, response.headers, b"", "")
            if status in RETRY_STATUSES:
                return _Retry(status, response.reason_phrase, parse_retry_after(response.headers.get("retry-after")))
            if status != 200:
                raise FetchError(f"HTTP {status} {response.reason_phrase}".strip(), status=status)
            ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype and accept and not _type_ok(ctype, accept):
                raise FetchError(f"{_wanted(accept)} ({ctype})")
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise FetchError(_too_large(int(length), max_bytes))
            body = bytearray()
            for piece in response.iter_bytes():
                body.extend(piece)
                if len(body) > max_bytes:
                    raise FetchError(_too_large(len(body), max_bytes, at_least=True))
                if time.monotonic() > deadline:
                    raise _Deadline()
            return Fetched(url, str(response.url), 200, response.headers, bytes(body), ctype)


@dataclass
class _Retry:
    status: int
    phrase: str
    retry_after: float | None


class _Deadline(Exception):
    """The whole response took longer than allowed."""


def _type_ok(ctype: str, accept: tuple[str, ...]) -> bool:
    if ctype in accept:
        return True
    if any(a in XML_TYPES for a in accept) and (ctype.endswith("+xml") or ctype.endswith("/xml")
                                                or ctype in ("application/octet-stream", "text/plain")):
        return True  # feeds and sitemaps are served under many names; the parser decides
    return False


def _wanted(accept: tuple[str, ...]) -> str:
    html = any(a in HTML_TYPES for a in accept)
    xml = any(a in XML_TYPES for a in accept)
    return ("not a web page, feed or sitemap" if html and xml else "not a web page" if html
            else "not a feed or sitemap" if xml else "unexpected content type")


def _accept_header(accept: tuple[str, ...]) -> str:
    return ", ".join(accept) + ", */*;q=0.1" if accept else "*/*"


def _too_large(size: int, cap: int, at_least: bool = False) -> str:
    more = "more than " if at_least else ""
    return f"too large ({more}{size / 1e6:.1f} MB; the limit is {cap / 1e6:.1f} MB)"


def _short(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

