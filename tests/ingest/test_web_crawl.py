"""Crawling the fictional site into a real store with the real embedding model: what is
fetched, what a re-crawl costs, edits, removals, bad input, a crash half-way, and
answers that cite the page's URL."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from ingest.pipeline import Ingestor
from ingest.web.crawl import state_path_for
from ingest.web.fetch import Fetched
from ingest.web.page import page_documents
from ingest.web.state import CrawlState
from tests.conftest import SAMPLE
from tests.ingest.site import PRIVATE, page_path

pytestmark = pytest.mark.slow


def _page_requests(site) -> list:  # noqa: ANN001
    return [r for r in site.log if r.path.startswith(("/news/", "/private/"))]


def _invoke(args: list[str]):  # noqa: ANN202 - click Result
    """Run the command as a fresh process would: the log handler an earlier invocation bound to
    its (now closed) captured stderr is dropped first, so `newsdesk` sets up its own again."""
    import logging

    from bot.frontends.cli import app

    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_newsdesk", False)]:
        root.removeHandler(handler)
    return CliRunner().invoke(app, args)


def _docs_by_url(store) -> dict[str, set[str]]:  # noqa: ANN001
    found: dict[str, set[str]] = {}
    for rec in store.doc_records().values():
        found.setdefault(rec.doc_id.split("#", 1)[0], set()).add(rec.doc_id)
    return found


def test_crawl_recrawl_edit_prune_and_cite(site, crawl_config, store_factory):
    store = store_factory("web")
    seeds = [site.base + "/", site.base + "/feed.rss", site.base + "/atom.xml"]
    public = site.public()

    first = Ingestor(store, progress=False).run(seeds, crawl=crawl_config)
    assert first.ok, first.failed
    # only allowed pages were fetched, each once; the disallowed one the sitemap lists never
    fetched = sorted(r.path for r in _page_requests(site))
    assert fetched == sorted(a.path for a in public)
    assert site.requests_for(PRIVATE) == []
    assert any("disallowed by robots.txt" in w for w in first.warnings)
    assert first.pages == len(public) == 13 and first.pages_not_modified == 0
    records = store.doc_records()
    articles = {r.doc_id for r in records.values() if "#" not in r.doc_id}
    assert articles == {f"url:{site.base.split('://')[1]}{a.path}" for a in public}
    assert first.added == len(records) > 13  # the readers' comments are documents too
    # the page's metadata and comments were read from the markup
    passages = store.get_passages([cid for r in records.values() if r.doc_id.endswith("#c1") for cid in r.chunk_ids])
    comment = next(p for p in passages if "training-places" in p.url)
    assert comment.kind == "comment" and comment.source == "GP Frontline" and comment.url.startswith(site.base)
    staffing = page_path(site, "staffing fund so surgeries")
    article = next(p for p in store.get_passages(records[f"url:{site.base.split('://')[1]}{staffing}"].chunk_ids))
    assert article.published.startswith("2025-01-21") and article.title.startswith("NHS England adds £146m")

    # a second run re-embeds nothing, and asks with If-None-Match for every page
    site.clear_log()
    second = Ingestor(store, progress=False).run(seeds, crawl=crawl_config)
    assert second.ok, second.failed
    assert second.chunks_written == 0 and second.added == second.updated == second.removed == 0
    assert second.unchanged == first.added and second.pages_not_modified == 13
    pages = _page_requests(site)
    assert len(pages) == 13 and all(r.status == 304 and r.headers.get("if-none-match") for r in pages)
    assert second.requests == len(site.log) and second.requests / second.pages < 1.6

    # an edited page is fetched again and replaced; the others stay 304
    kettlebridge = page_path(site, "Kettlebridge")
    site.edit(kettlebridge, "9,400 patients registered at Harrow Lane", "9,750 patients registered at Harrow Lane")
    site.clear_log()
    third = Ingestor(store, progress=False).run(seeds, crawl=crawl_config)
    assert third.ok, third.failed
    assert third.updated == 1 and third.added == 0 and 0 < third.chunks_written <= 4
    assert [r.status for r in _page_requests(site)].count(200) == 1
    doc = store.doc_records()[f"url:{site.base.split('://')[1]}{kettlebridge}"]
    text = " ".join(p.text for p in store.get_passages(doc.chunk_ids))
    assert "9,750 patients" in text and "9,400 patients registered" not in text

    # a removed page (404, gone from the feeds and sitemaps) is pruned with --prune
    pension = page_path(site, "pension")
    gone_id = f"url:{site.base.split('://')[1]}{pension}"
    gone_docs = _docs_by_url(store)[gone_id]
    assert len(gone_docs) >= 2  # the article and its readers' comments
    site.remove(pension)
    kept = Ingestor(store, progress=False).run(seeds, crawl=crawl_config)
    assert kept.removed == 0 and gone_id in _docs_by_url(store)  # without --prune nothing is dropped
    fourth = Ingestor(store, progress=False).run(seeds, crawl=crawl_config, prune=True)
    assert fourth.ok, fourth.failed
    assert gone_id not in _docs_by_url(store) and fourth.removed == len(gone_docs)
    assert len(_docs_by_url(store)) == 12
    state = CrawlState(state_path_for(Ingestor(store, progress=False), crawl_config))
    try:
        assert state.page(site.base + pension) is None and state.counts()["done"] == 12
    finally:
        state.close()

    # answers cite the page's URL
    from bot.chain import build_chain
    from bot.retrieval import HybridRetriever

    chain = build_chain(retriever=HybridRetriever(store))
    answer = chain.ask("How many patients are registered at Harrow Lane Surgery?")
    assert answer.found and "9,750" in answer.answer
    assert answer.citations[0].url == site.base + kettlebridge


def test_bad_input_is_reported_per_url_and_the_rest_is_ingested(site, tmp_path, monkeypatch, shared_model):
    site.slow_seconds = 2.0
    monkeypatch.setenv("NEWSDESK_CRAWL_TIMEOUT", "0.4")
    monkeypatch.setenv("NEWSDESK_CRAWL_RETRIES", "1")
    monkeypatch.setenv("NEWSDESK_CRAWL_DELAY", "0")
    monkeypatch.setenv("NEWSDESK_CRAWL_MAX_PAGE_MB", "0.2")
    monkeypatch.setenv("NEWSDESK_CRAWL_CONTACT", "crawler-tests@newsdesk.example")
    store = str(tmp_path / "store")
    good = site.base + site.public()[0].path
    first = _invoke(["ingest", str(SAMPLE / "export.jsonl"), good, "--json", "--store", store])
    assert first.exit_code == 0, first.output
    before = json.loads(first.stdout.strip().splitlines()[-1])
    assert before["added"] > 2 and before["pages"] == 1

    dead = "http://127.0.0.1:9"  # the discard port: nothing listens
    bad = {
        "/bad/500": "HTTP 500 Internal Server Error (after 2 tries)",
        "/bad/slow": "timed out after 0.4 s",
        "/bad/loop-a": "redirect loop: /bad/loop-a → /bad/loop-b → /bad/loop-a",
        "/bad/report.pdf": "not a web page, feed or sitemap (application/pdf)",
        "/bad/huge": "too large",
        "/bad/malformed.xml": "malformed feed",
        "/bad/offhost.rss": "lists pages on other hosts (elsewhere.example); not followed",
        "/no-such-story": "HTTP 404 Not Found",
    }
    args = [site.base + path for path in bad] + [f"{dead}/feed.rss", f"{dead}/news/a", f"{dead}/news/b"]
    second = _invoke(["ingest", str(SAMPLE / "export.jsonl"), good, *args, "--store", store])
    assert second.exit_code == 1
    out = " ".join(second.output.split())
    assert "Traceback" not in second.output, second.output
    for path, reason in bad.items():
        assert f"failed {site.base}{path}: {reason}" in out, (path, out)
    # a site that is down: one clear line, not one per URL
    assert out.count("failed http://127.0.0.1:9") == 1
    assert "failed http://127.0.0.1:9/: site unreachable: 127.0.0.1:9 refused the connection; 3 URLs on it" in out

    again = _invoke(["ingest", str(SAMPLE / "export.jsonl"), good, "--json", "--store", store])
    after = json.loads(again.stdout.strip().splitlines()[-1])
    assert after["unchanged"] == before["added"] and after["chunks"] == before["chunks"]  # nothing was lost
    assert after["pages_not_modified"] == 1


def test_a_crash_half_way_loses_nothing_and_the_next_run_resumes(site, crawl_config, store_factory, monkeypatch):
    store = store_factory("crash")
    config = crawl_config.with_(group_pages=1, per_host=1)
    feed = site.base + "/atom.xml"
    calls = {"n": 0}
    real_upsert = store.upsert

    def crashing_upsert(*args, **kwargs):  # noqa: ANN002, ANN003
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the process dies in the middle of the third group
        return real_upsert(*args, **kwargs)

    monkeypatch.setattr(store, "upsert", crashing_upsert)
    crashed = Ingestor(store, progress=False).run([feed], crawl=config)
    assert crashed.interrupted
    written = {d.split("#")[0] for d in store.doc_records()}
    state = CrawlState(state_path_for(Ingestor(store, progress=False), config))
    counts = state.counts()
    state.close()
    assert len(written) == 2  # two pages made it before the crash
    assert counts == {"done": 2, "pending": 4}  # and the state says exactly that

    # meanwhile the feed moved on: it no longer lists the pages that were not reached
    everything = site.public()
    listed = everything[7:]  # what the Atom feed listed
    monkeypatch.setattr(site, "public", lambda: everything[:7] + listed[:3])
    monkeypatch.setattr(store, "upsert", real_upsert)
    resumed = Ingestor(store, progress=False).run([feed], crawl=config)
    assert resumed.ok, resumed.failed
    assert {d.split("#")[0] for d in store.doc_records()} == {
        f"url:{site.base.split('://')[1]}{a.path}" for a in listed}
    still_listed = {f"url:{site.base.split('://')[1]}{a.path}" for a in listed[:3]}
    # the pages written before the crash are not embedded again (those still listed answer 304) ...
    assert resumed.pages_not_modified == len(written & still_listed) and resumed.updated == 0
    # ... and every page that was pending is fetched, listed or not
    assert resumed.pages == len(written & still_listed) + 4
    assert resumed.added == sum(1 for d in store.doc_records() if d.split("#")[0] not in written)


def test_since_and_max_pages_take_the_newest_entries(site, crawl_config, store_factory):
    store = store_factory("since")
    report = Ingestor(store, progress=False).run([site.base + "/atom.xml"],
                                                 crawl=crawl_config.with_(since="2025-08-01", max_pages=1))
    assert report.ok, report.failed
    newest = max((a for a in site.public() if a.published), key=lambda a: a.published)
    assert [r.path for r in _page_requests(site)] == [newest.path]
    assert any("dated before 2025-08-01" in w for w in report.warnings)
    assert any("--max-pages 1: 2 more" in w for w in report.warnings)
    # the next run goes on with the next newest page not yet ingested
    site.clear_log()
    Ingestor(store, progress=False).run([site.base + "/atom.xml"],
                                        crawl=crawl_config.with_(since="2025-08-01", max_pages=1))
    second = sorted((a for a in site.public() if a.published and a.path != newest.path),
                    key=lambda a: a.published)[-1]
    assert [r.path for r in _page_requests(site)] == [second.path]


def test_canonical_link_to_another_site_is_not_trusted():
    html = (b'<html><head><title>Story</title><link rel="canonical" href="https://spam.example/x"></head><body>'
            b"<article><h1>Story</h1><p>" + b"A paragraph of the story that is long enough to be the body. " * 5
            + b"</p></article></body></html>")
    fetched = Fetched("https://news.example/story", "https://news.example/story", 200,
                      httpx.Headers({"content-type": "text/html; charset=utf-8"}), html, "text/html")
    result = page_documents(fetched, host_allowed=lambda host: host == "news.example")
    assert result.documents[0].url == "https://news.example/story"
    assert result.documents[0].doc_id == "url:news.example/story"
    assert "canonical link points elsewhere" in result.warnings[0]
