"""Fixtures of the crawler tests: the fictional site on loopback, and a fast crawl config."""

from __future__ import annotations

import pytest

from ingest.web.config import CrawlConfig
from tests.ingest.site import FictionalSite


@pytest.fixture
def site():
    """A fresh copy of the fictional site (tests may edit and remove pages), on 127.0.0.1."""
    served = FictionalSite().serve()
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture
def crawl_config(tmp_path) -> CrawlConfig:
    """Polite but quick: small delays and timeouts, one retry."""
    return CrawlConfig(contact="crawler-tests@newsdesk.example", delay=0.01, per_host=4, timeout=1.0, retries=1,
                       backoff=0.05, max_retry_after=5.0, group_pages=4)


@pytest.fixture
def shared_model(monkeypatch, embedder):
    """`newsdesk` commands run in-process reuse the session's loaded model instead of loading
    their own (the command itself is unchanged: it still builds its store from the settings)."""
    import vectorstore.store

    monkeypatch.setattr(vectorstore.store, "Embedder", lambda *args, **kwargs: embedder)
    return embedder
