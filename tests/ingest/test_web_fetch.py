"""The polite fetcher against the fictional site: robots.txt, User-Agent, rate limit and
concurrency cap, retries honouring Retry-After, timeouts, size/redirect/content-type
limits, conditional requests, and unreachable hosts. No embedding, no store."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ingest.web.fetch import FetchError, Fetcher, describe_connect_error, parse_retry_after
from tests.ingest.site import PRIVATE


def test_robots_txt_is_obeyed_and_read_once(site, crawl_config):
    with Fetcher(crawl_config) as fetcher:
        with pytest.raises(FetchError) as info:
            fetcher.get(site.base + PRIVATE)
        assert info.value.robots and "robots.txt" in info.value.reason
        page = site.public()[0]
        assert fetcher.get(site.base + page.path).status == 200
    assert site.requests_for(PRIVATE) == []
    assert len(site.requests_for("/robots.txt")) == 1


def test_user_agent_names_newsdesk_and_the_contact(site, crawl_config):
    with Fetcher(crawl_config) as fetcher:
        fetcher.get(site.base + site.public()[0].path)
    agents = {r.headers["user-agent"] for r in site.log}
    assert len(agents) == 1
    agent = agents.pop()
    assert agent.startswith("Newsdesk/") and "crawler-tests@newsdesk.example" in agent


def test_per_host_delay_and_concurrency_cap(site, crawl_config):
    config = crawl_config.with_(delay=0.15, per_host=1)
    paths = [a.path for a in site.public()[:5]]
    with Fetcher(config) as fetcher:
        fetcher.robots.allowed(site.base + "/")  # robots.txt first, so only the pages are timed
        site.clear_log()
        with ThreadPoolExecutor(max_workers=5) as pool:
            list(pool.map(lambda p: fetcher.get(site.base + p), paths))
    starts = sorted(r.at for r in site.log)
    assert len(starts) == 5
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert min(gaps) >= 0.13, gaps  # requests to one host are spaced by the delay
    assert site.max_in_flight == 1


def test_retry_after_is_honoured_then_the_page_is_fetched(site, crawl_config):
    with Fetcher(crawl_config) as fetcher:
        started = time.monotonic()
        fetched = fetcher.get(site.base + "/bad/flaky-429")
        elapsed = time.monotonic() - started
    assert fetched.status == 200 and b"Recovered" in fetched.body
    tries = site.requests_for("/bad/flaky-429")
    assert [t.status for t in tries] == [429, 200]
    assert tries[1].at - tries[0].at >= 0.95 and elapsed >= 0.95  # Retry-After: 1


def test_retry_after_longer_than_allowed_gives_up(site, crawl_config):
    with Fetcher(crawl_config.with_(max_retry_after=0.5)) as fetcher:
        with pytest.raises(FetchError) as info:
            fetcher.get(site.base + "/bad/flaky-503")
    assert "retry after 1 s" in info.value.reason
    assert len(site.requests_for("/bad/flaky-503")) == 1


def test_server_error_is_retried_with_backoff_then_reported(site, crawl_config):
    with Fetcher(crawl_config.with_(retries=2)) as fetcher:
        with pytest.raises(FetchError) as info:
            fetcher.get(site.base + "/bad/500")
    assert info.value.reason == "HTTP 500 Internal Server Error (after 3 tries)"
    tries = site.requests_for("/bad/500")
    assert len(tries) == 3
    assert tries[2].at - tries[1].at > tries[1].at - tries[0].at  # the wait doubles


def test_slow_page_times_out(site, crawl_config):
    site.slow_seconds = 1.5
    with Fetcher(crawl_config.with_(timeout=0.3, retries=0)) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchError) as info:
            fetcher.get(site.base + "/bad/slow")
    assert "timed out after 0.3 s" in info.value.reason
    assert time.monotonic() - started < 1.2


def test_redirect_loop_and_redirect_limit(site, crawl_config):
    with Fetcher(crawl_config) as fetcher:
        with pytest.raises(FetchError) as loop:
            fetcher.get(site.base + "/bad/loop-a")
        assert loop.value.reason.startswith("redirect loop: /bad/loop-a → /bad/loop-b → /bad/loop-a")
        moved = fetcher.get(site.base + "/moved")
        assert moved.final_url == site.base + site.public()[-1].path and moved.url == site.base + "/moved"
    with Fetcher(crawl_config.with_(max_redirects=0)) as strict:
        with pytest.raises(FetchError) as limit:
            strict.get(site.base + "/moved")
    assert "too many redirects" in limit.value.reason


def test_size_cap_and_content_type(site, crawl_config):
    with Fetcher(crawl_config.with_(max_page_bytes=100_000)) as fetcher:
        with pytest.raises(FetchError) as big:
            fetcher.get(site.base + "/bad/huge")
        assert big.value.reason.startswith("too large") and "limit is 0.1 MB" in big.value.reason
        with pytest.raises(FetchError) as pdf:
            fetcher.get(site.base + "/bad/report.pdf")
        assert pdf.value.reason == "not a web page (application/pdf)"
        with pytest.raises(FetchError) as missing:
            fetcher.get(site.base + "/no/such/page")
        assert missing.value.gone and missing.value.reason == "HTTP 404 Not Found"


def test_conditional_requests_get_304(site, crawl_config):
    url = site.base + site.public()[2].path
    with Fetcher(crawl_config) as fetcher:
        first = fetcher.get(url)
        assert first.etag and first.last_modified
        again = fetcher.get(url, etag=first.etag, last_modified=first.last_modified)
        by_date = fetcher.get(url, last_modified=first.last_modified)
    assert again.not_modified and again.body == b"" and by_date.not_modified
    sent = site.requests_for(site.public()[2].path)
    assert sent[1].headers["if-none-match"] == first.etag
    assert sent[1].headers["if-modified-since"] == first.last_modified


def test_unreachable_host_is_marked_down_after_one_failure(crawl_config):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.close()  # nothing listens here now
    with Fetcher(crawl_config.with_(retries=0)) as fetcher:
        with pytest.raises(FetchError) as first:
            fetcher.get(f"http://127.0.0.1:{port}/a")
        sent = fetcher.requests
        with pytest.raises(FetchError) as second:
            fetcher.get(f"http://127.0.0.1:{port}/b")
        assert fetcher.requests == sent  # no second connection attempt
    assert first.value.host_down and "refused the connection" in first.value.reason
    assert second.value.reason == first.value.reason


def test_dns_failure_is_named(monkeypatch, crawl_config):
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003 - no DNS query leaves the machine
        if host == "news.unresolvable.test":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with Fetcher(crawl_config) as fetcher:
        with pytest.raises(FetchError) as info:
            fetcher.get("http://news.unresolvable.test/feed.rss")
    assert info.value.host_down
    assert info.value.reason == "cannot resolve host news.unresolvable.test (DNS lookup failed)"


def test_helpers():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert "refused" in describe_connect_error(ConnectionRefusedError("[Errno 111] Connection refused"), "h")


def test_fetcher_is_safe_to_share_between_threads(site, crawl_config):
    paths = [a.path for a in site.public()]
    errors: list[BaseException] = []
    with Fetcher(crawl_config.with_(delay=0.0, per_host=3)) as fetcher:
        def worker(chunk: list[str]) -> None:
            try:
                for p in chunk:
                    assert fetcher.get(site.base + p).status == 200
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
        threads = [threading.Thread(target=worker, args=(paths[i::3],)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert fetcher.requests == len(paths) + 1  # the pages and one robots.txt
    assert not errors and site.max_in_flight <= 3
