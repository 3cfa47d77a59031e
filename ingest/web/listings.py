"""Feeds and sitemaps: what a fetched URL is, and the pages it lists with their dates.

Feeds (RSS 0.9x/1.0/2.0, Atom) are read with feedparser: entry links, and the entry's
published (else updated) date. Sitemaps (urlset and sitemap index, plain or gzipped)
are read here with lxml, by hand, because neither library fitted: trafilatura's sitemap
code fetches by itself and keeps only the links (the `lastmod` that `--since` needs is
dropped), and ultimate-sitemap-parser pins python-dateutil<3, which chromadb's
kubernetes client cannot live with. The sitemap format is five elements
(sitemaps.org); the parser refuses entities and network access and caps the entries.
A site's home page is searched for linked feeds with trafilatura's feed discovery.
"""

from __future__ import annotations

import io
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import urljoin

import feedparser
from lxml import etree

from ..dates import parse_date

MAX_SITEMAP_ENTRIES = 50_000  # sitemaps.org's own limit per file

FEED = "feed"
SITEMAP = "sitemap"
SITEMAP_INDEX = "sitemapindex"
PAGE = "page"


class ListingError(ValueError):
    """A feed or sitemap that cannot be read."""


@dataclass
class Entry:
    """A URL a feed or sitemap lists, with its date (ISO 8601) when it gives one."""

    url: str
    date: str = ""


@dataclass
class Listing:
    """A parsed feed, sitemap, or sitemap index (whose entries are sitemaps)."""

    kind: str
    entries: list[Entry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _gunzip(body: bytes, max_bytes: int) -> bytes:
    """Decompress a gzipped sitemap, refusing to grow past `max_bytes` (a gzip bomb)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflater.decompress(body, max_bytes + 1)
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise ListingError(f"sitemap too large once decompressed (over {max_bytes / 1e6:.0f} MB)")
    return out


def _root_tag(body: bytes) -> str:
    """The local name of the document's root element, or '' when it is not XML."""
    try:
        for _event, el in etree.iterparse(io.BytesIO(body), events=("start",), resolve_entities=False,
                                          no_network=True, huge_tree=False, load_dtd=False):
            return etree.QName(el).localname.lower()
    except etree.XMLSyntaxError:
        return ""
    return ""


def sniff(body: bytes, content_type: str, *, max_bytes: int = 50_000_000) -> tuple[str, bytes]:
    """What a response is (PAGE, FEED, SITEMAP or SITEMAP_INDEX, or '' when none), and its
    body (decompressed when it was a gzipped sitemap)."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = _gunzip(body, max_bytes)
        except (OSError, zlib.error, EOFError) as exc:
            raise ListingError(f"malformed gzip: {exc}") from None
    head = body[:2048].lstrip().lower()
    if content_type in ("text/html", "application/xhtml+xml") or head.startswith((b"<!doctype html", b"<html")):
        if not head.startswith(b"<?xml") or b"<html" in head:
            return PAGE, body
    root = _root_tag(body)
    if root in ("rss", "feed", "rdf", "channel"):
        return FEED, body
    if root == "urlset":
        return SITEMAP, body
    if root == "sitemapindex":
        return SITEMAP_INDEX, body
    if root == "html":
        return PAGE, body
    if head.startswith(b"<?xml") or "xml" in content_type or "rss" in content_type or "atom" in content_type:
        return "", body  # XML, or meant to be, but no feed or sitemap: malformed
    return "", body


def parse_feed(body: bytes, base_url: str, content_type: str = "") -> Listing:
    """The entries of an RSS or Atom feed, with their dates."""
    parsed = feedparser.parse(body, response_headers={"content-location": base_url,
                                                      "content-type": content_type or "application/xml"})
    entries: list[Entry] = []
    for item in parsed.entries:
        link = item.get("link") or ""
        if not link:
            for alt in item.get("links", []):
                if alt.get("rel", "alternate") == "alternate" and alt.get("href"):
                    link = alt["href"]
                    break
        if not link:
            continue
        when = item.get("published_parsed") or item.get("updated_parsed")
        date = time.strftime("%Y-%m-%dT%H:%M:%S", when) if when else parse_date(item.get("published") or "")
        entries.append(Entry(urljoin(base_url, link.strip()), date or ""))
    listing = Listing(FEED, entries)
    if parsed.bozo and not entries:
        raise ListingError(f"malformed feed: {_bozo_reason(parsed)}")
    if parsed.bozo and not isinstance(parsed.get("bozo_exception"), _HARMLESS):
        listing.warnings.append(f"feed is not well-formed ({_bozo_reason(parsed)}); read what could be")
    if not parsed.entries and not parsed.feed:
        raise ListingError("not a feed: no channel and no entries")
    return listing


_HARMLESS = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def _bozo_reason(parsed: feedparser.FeedParserDict) -> str:
    exc = parsed.get("bozo_exception")
    text = getattr(exc, "getMessage", lambda: str(exc))() if exc is not None else "unknown error"
    return " ".join(str(text).split())[:160]


def parse_sitemap(body: bytes, base_url: str) -> Listing:
    """The entries of a sitemap (pages) or sitemap index (sitemaps), with `lastmod`."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ListingError(f"malformed sitemap: {exc}") from None
    kind = etree.QName(root).localname.lower()
    if kind not in (SITEMAP_INDEX, "urlset"):
        raise ListingError(f"not a sitemap (root element <{kind}>)")
    child_name = "sitemap" if kind == SITEMAP_INDEX else "url"
    listing = Listing(SITEMAP_INDEX if kind == SITEMAP_INDEX else SITEMAP)
    for el in root:
        if not isinstance(el.tag, str) or etree.QName(el).localname.lower() != child_name:
            continue
        loc = lastmod = ""
        for part in el:
            if not isinstance(part.tag, str):
                continue
            name = etree.QName(part).localname.lower()
            if name == "loc":
                loc = (part.text or "").strip()
            elif name == "lastmod":
                lastmod = parse_date((part.text or "").strip())
        if loc:
            listing.entries.append(Entry(urljoin(base_url, loc), lastmod or ""))
        if len(listing.entries) >= MAX_SITEMAP_ENTRIES:
            listing.warnings.append(f"more than {MAX_SITEMAP_ENTRIES} entries; the rest were not read")
            break
    return listing


def parse_listing(kind: str, body: bytes, base_url: str, content_type: str = "") -> Listing:
    """Parse a body `sniff` called a feed or a sitemap."""
    if kind == FEED:
        return parse_feed(body, base_url, content_type)
    return parse_sitemap(body, base_url)


def feeds_linked_from(html: str, page_url: str) -> list[str]:
    """Feed URLs a home page links to (<link rel="alternate" type="application/rss+xml">, and
    links that look like feeds), by trafilatura's feed discovery; same host only."""
    from trafilatura.feeds import FeedParameters, determine_feed, get_hostinfo

    domain, base = get_hostinfo(page_url)
    params = FeedParameters(base, domain, page_url, False, None)
    return determine_feed(html, params)
