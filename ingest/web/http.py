"""HTTP values of the crawler: content types, statuses, `FetchError`, `Fetched`, and URL and
header helpers (hosts, origins, Retry-After). No I/O here; `fetch.py` does the requests."""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

HTML_TYPES = ("text/html", "application/xhtml+xml")
XML_TYPES = ("application/xml", "text/xml", "application/rss+xml", "application/atom+xml",
             "application/rdf+xml", "application/x-gzip", "application/gzip", "application/feed+json")
RETRY_STATUSES = {429, 500, 502, 503, 504, 520, 521, 522, 523, 524}
GONE_STATUSES = {404, 410}


class FetchError(Exception):
    """A URL that could not be fetched, with a reason fit for the user."""

    def __init__(self, reason: str, *, status: int | None = None, host_down: bool = False,
                 robots: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.host_down = host_down
        self.robots = robots

    @property
    def gone(self) -> bool:
        """The page is gone for good (404 Not Found or 410 Gone)."""
        return self.status in GONE_STATUSES


@dataclass
class Fetched:
    """A response worth reading: 200 with its body, or 304 (not modified) with none."""

    url: str  # as asked
    final_url: str  # after redirects
    status: int
    headers: httpx.Headers
    body: bytes
    content_type: str  # the media type, lower case, without parameters

    @property
    def not_modified(self) -> bool:
        """The server said the copy we hold is current (304)."""
        return self.status == 304

    @property
    def etag(self) -> str:
        """The validator to send back as If-None-Match."""
        return self.headers.get("etag", "")

    @property
    def last_modified(self) -> str:
        """The validator to send back as If-Modified-Since."""
        return self.headers.get("last-modified", "")

    @property
    def charset(self) -> str:
        """The charset the Content-Type header names, or ''."""
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip().lower() == "charset":
                return value.strip().strip('"\'')
        return ""


def host_of(url: str) -> str:
    """The host of a URL, lower case, with its port when it has one."""
    return urlsplit(url).netloc.lower()


def origin_of(url: str) -> str:
    """scheme://host[:port]: what robots.txt and the rate limit apply to."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def same_site(host_a: str, host_b: str) -> bool:
    """Hosts that are one site for "same host": equal, or equal but for a leading www."""
    def bare(h: str) -> str:
        return h[4:] if h.startswith("www.") else h
    return bare(host_a.lower()) == bare(host_b.lower())


def describe_connect_error(exc: BaseException, host: str) -> str:
    """A one-line reason for a failed connection: DNS, refused, timed out, or as given."""
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if any(s in lowered for s in ("name or service not known", "nodename nor servname", "getaddrinfo failed",
                                  "no address associated", "temporary failure in name resolution",
                                  "name does not resolve")):
        return f"cannot resolve host {host} (DNS lookup failed)"
    if "refused" in lowered:
        return f"{host} refused the connection"
    if isinstance(exc, httpx.ConnectTimeout) or "timed out" in lowered:
        return f"{host} did not answer (connection timed out)"
    if "unreachable" in lowered:
        return f"{host} is unreachable (network unreachable)"
    return f"cannot connect to {host}: {text}"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds, or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
