"""Feeds and sitemaps: what a response is, and what it lists (no network, no store)."""

from __future__ import annotations

import gzip

import pytest

from ingest.web.listings import (FEED, PAGE, SITEMAP, SITEMAP_INDEX, ListingError, feeds_linked_from, parse_feed,
                                 parse_sitemap, sniff)
from tests.ingest.site import FictionalSite

BASE = "https://gpfrontline.example"


@pytest.fixture(scope="module")
def offline_site() -> FictionalSite:
    site = FictionalSite()
    site.base = BASE
    site._build()  # the content only; nothing is served
    return site


def test_sniff_tells_pages_feeds_and_sitemaps_apart(offline_site):
    assert sniff(offline_site.rss().encode(), "application/rss+xml")[0] == FEED
    assert sniff(offline_site.atom().encode(), "application/atom+xml")[0] == FEED
    assert sniff(offline_site.atom().encode(), "text/xml")[0] == FEED  # served under a generic type
    assert sniff(offline_site.sitemap(1).encode(), "application/xml")[0] == SITEMAP
    assert sniff(offline_site.sitemap_index().encode(), "")[0] == SITEMAP_INDEX
    assert sniff(offline_site.home().encode(), "text/html")[0] == PAGE
    kind, body = sniff(gzip.compress(offline_site.sitemap(2).encode()), "application/x-gzip")
    assert kind == SITEMAP and body.startswith(b"<?xml")
    assert sniff(b"%PDF-1.4", "application/pdf")[0] == ""


def test_rss_and_atom_entries_with_dates(offline_site):
    rss = parse_feed(offline_site.rss().encode(), BASE + "/feed.rss", "application/rss+xml")
    atom = parse_feed(offline_site.atom().encode(), BASE + "/atom.xml", "application/atom+xml")
    public = offline_site.public()
    assert [e.url for e in rss.entries] == [BASE + a.path for a in public[:7]]
    assert [e.url for e in atom.entries] == [BASE + a.path for a in public[7:]]
    assert rss.entries[0].date.startswith("2025-01-21") and not rss.warnings and not atom.warnings
    assert all(e.date for e in atom.entries)


def test_sitemap_and_index_with_lastmod(offline_site):
    index = parse_sitemap(offline_site.sitemap_index().encode(), BASE + "/sitemap_index.xml")
    assert index.kind == SITEMAP_INDEX
    assert [e.url for e in index.entries] == [BASE + "/sitemaps/2025-h1.xml", BASE + "/sitemaps/2025-h2.xml.gz"]
    first = parse_sitemap(offline_site.sitemap(1).encode(), BASE + "/sitemaps/2025-h1.xml")
    assert first.kind == SITEMAP and len(first.entries) == 8  # 7 articles and the disallowed page
    assert first.entries[0].date == "2025-01-21"


def test_relative_locations_resolve_against_the_sitemap():
    body = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>/news/a</loc></url></urlset>'
    assert parse_sitemap(body, BASE + "/sitemap.xml").entries[0].url == BASE + "/news/a"


@pytest.mark.parametrize("body, message", [
    (b'<?xml version="1.0"?><rss><channel><item><link>', "malformed feed"),
    (b"<urlset><url><loc>https://x/</loc></url>", "malformed sitemap"),
    (b"<html><body>hi</body></html>", "not a sitemap"),
])
def test_malformed_listings_are_refused(body, message):
    with pytest.raises(ListingError, match=message):
        if b"rss" in body:
            parse_feed(body, BASE + "/feed.rss")
        else:
            parse_sitemap(body, BASE + "/sitemap.xml")


def test_entities_are_not_expanded():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.example/&b;</loc>'
            b"</url></urlset>")
    entries = parse_sitemap(bomb, "https://x.example/s.xml").entries
    assert all("aaaaaaaaaa" not in e.url for e in entries)


def test_gzip_bomb_is_capped():
    body = gzip.compress(b"<urlset>" + b" " * 3_000_000 + b"</urlset>")
    with pytest.raises(ListingError, match="too large once decompressed"):
        sniff(body, "application/x-gzip", max_bytes=1_000_000)


def test_home_page_feed_discovery(offline_site):
    found = feeds_linked_from(offline_site.home(), BASE + "/")
    assert found == [BASE + "/feed.rss"]
