"""The crawl state: one small SQLite file in the store folder.

Per page URL: the validators the server gave (ETag, Last-Modified), the hash of the body
last ingested, the document id it produced, which seed (feed, sitemap or page given on
the command line) listed it last, and a status: `pending` (listed, not yet ingested),
`done`, `error` (the last try failed) or `gone` (404/410). Per feed or sitemap: its
validators and the entries it listed, so a 304 on a feed still yields its pages.

A page's row becomes `done`, with its new validators and hash, only after its chunks
are in the store: a crash at any point leaves rows that make the next run fetch the page
again (unconditionally when its document is missing from the store). New pages are
written as `pending` before any is fetched, so a run that dies half-way is finished by
the next one even when the feed has moved on meanwhile.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def _serialised(method: F) -> F:
    """One connection shared by the crawl's threads: one statement at a time."""
    @functools.wraps(method)
    def locked(self: "CrawlState", *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)
    return locked  # type: ignore[return-value]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL DEFAULT '',
    etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending',
    seed TEXT NOT NULL DEFAULT '',
    listed_date TEXT NOT NULL DEFAULT '',
    checked_at REAL NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS pages_seed ON pages (seed, status);
CREATE TABLE IF NOT EXISTS listings (
    url TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    entries TEXT NOT NULL DEFAULT '[]',
    checked_at REAL NOT NULL DEFAULT 0
);
"""


@dataclass
class PageState:
    """What the crawler knows about one page URL."""

    url: str
    doc_id: str = ""
    etag: str = ""
    last_modified: str = ""
    content_hash: str = ""
    status: str = "pending"
    seed: str = ""
    listed_date: str = ""
    error: str = ""


@dataclass
class ListingState:
    """A feed or sitemap as last read: its validators and entries [(url, date)]."""

    url: str
    kind: str
    etag: str
    last_modified: str
    entries: list[tuple[str, str]]


class CrawlStateError(RuntimeError):
    """The crawl state file cannot be opened."""


class CrawlState:
    """The crawl state in `path` (created on first use). One connection; thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise CrawlStateError(f"crawl state {path} was written by a newer Newsdesk")
            self.db.executescript(_SCHEMA)
            self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self.db.commit()
        except sqlite3.Error as exc:
            raise CrawlStateError(f"cannot open the crawl state {path}: {exc}") from None

    @_serialised
    def close(self) -> None:
        """Commit and close."""
        self.db.commit()
        self.db.close()

    @_serialised
    def commit(self) -> None:
        """Make the changes so far durable."""
        self.db.commit()

    # --- pages ----------------------------------------------------------------------------
    @_serialised
    def page(self, url: str) -> PageState | None:
        """The row of one page, or None."""
        row = self.db.execute(
            "SELECT url, doc_id, etag, last_modified, content_hash, status, seed, listed_date, error "
            "FROM pages WHERE url = ?", (url,)).fetchone()
        return PageState(*row) if row else None

    @_serialised
    def pages(self, urls: list[str]) -> dict[str, PageState]:
        """The rows of many pages (those that exist)."""
        found: dict[str, PageState] = {}
        for start in range(0, len(urls), 500):
            part = urls[start:start + 500]
            marks = ",".join("?" * len(part))
            for row in self.db.execute(
                    "SELECT url, doc_id, etag, last_modified, content_hash, status, seed, listed_date, error "
                    f"FROM pages WHERE url IN ({marks})", part):
                found[row[0]] = PageState(*row)
        return found

    @_serialised
    def note_listed(self, url: str, seed: str, date: str) -> None:
        """A seed lists this page: a new row is `pending`; a known one records the seed."""
        self.db.execute(
            "INSERT INTO pages (url, seed, listed_date) VALUES (?, ?, ?) "
            "ON CONFLICT(url) DO UPDATE SET seed = excluded.seed, listed_date = excluded.listed_date",
            (url, seed, date))

    @_serialised
    def unfinished(self, seeds: list[str]) -> list[PageState]:
        """Pages of these seeds that an earlier run listed but never ingested."""
        return self._pages_of(seeds, pending_only=True)

    @_serialised
    def listed_by(self, seeds: list[str]) -> list[PageState]:
        """Every page whose last listing was by one of these seeds."""
        return self._pages_of(seeds, pending_only=False)

    def _pages_of(self, seeds: list[str], *, pending_only: bool) -> list[PageState]:
        if not seeds:
            return []
        marks = ",".join("?" * len(seeds))
        pending = "status = 'pending' AND " if pending_only else ""
        rows = self.db.execute(
            "SELECT url, doc_id, etag, last_modified, content_hash, status, seed, listed_date, error "
            f"FROM pages WHERE {pending}seed IN ({marks})", seeds)
        return [PageState(*row) for row in rows]

    @_serialised
    def done(self, url: str, *, doc_id: str, etag: str, last_modified: str, content_hash: str,
             seed: str) -> None:
        """The page's documents are in the store, as of this body."""
        self.db.execute(
            "INSERT INTO pages (url, doc_id, etag, last_modified, content_hash, status, seed, checked_at) "
            "VALUES (?, ?, ?, ?, ?, 'done', ?, ?) ON CONFLICT(url) DO UPDATE SET doc_id = excluded.doc_id, "
            "etag = excluded.etag, last_modified = excluded.last_modified, content_hash = excluded.content_hash, "
            "status = 'done', seed = excluded.seed, checked_at = excluded.checked_at, error = ''",
            (url, doc_id, etag, last_modified, content_hash, seed, time.time()))

    @_serialised
    def checked(self, url: str, *, etag: str = "", last_modified: str = "") -> None:
        """The page was found unchanged; keep newer validators when the server sent them."""
        self.db.execute(
            "UPDATE pages SET checked_at = ?, error = '', etag = CASE WHEN ? != '' THEN ? ELSE etag END, "
            "last_modified = CASE WHEN ? != '' THEN ? ELSE last_modified END WHERE url = ?",
            (time.time(), etag, etag, last_modified, last_modified, url))

    @_serialised
    def failed(self, url: str, reason: str, *, gone: bool = False) -> None:
        """The last try failed (`gone`: 404/410). A page never ingested stays pending-able."""
        self.db.execute(
            "UPDATE pages SET error = ?, checked_at = ?, "
            "status = CASE WHEN ? THEN 'gone' WHEN status = 'done' THEN 'done' ELSE 'error' END WHERE url = ?",
            (reason[:300], time.time(), 1 if gone else 0, url))

    @_serialised
    def forget(self, url: str) -> None:
        """The page was pruned from the store."""
        self.db.execute("DELETE FROM pages WHERE url = ?", (url,))

    # --- feeds and sitemaps ------------------------------------------------------------------
    @_serialised
    def listing(self, url: str) -> ListingState | None:
        """A feed or sitemap as last read, or None."""
        row = self.db.execute("SELECT url, kind, etag, last_modified, entries FROM listings WHERE url = ?",
                              (url,)).fetchone()
        if not row:
            return None
        try:
            entries = [tuple(e) for e in json.loads(row[4])]
        except (ValueError, TypeError):
            return None
        return ListingState(row[0], row[1], row[2], row[3], entries)  # type: ignore[arg-type]

    @_serialised
    def save_listing(self, url: str, kind: str, etag: str, last_modified: str,
                     entries: list[tuple[str, str]]) -> None:
        """Remember a feed or sitemap's validators and entries."""
        self.db.execute(
            "INSERT INTO listings (url, kind, etag, last_modified, entries, checked_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(url) DO UPDATE SET kind = excluded.kind, etag = excluded.etag, "
            "last_modified = excluded.last_modified, entries = excluded.entries, checked_at = excluded.checked_at",
            (url, kind, etag, last_modified, json.dumps(entries), time.time()))

    @_serialised
    def counts(self) -> dict[str, int]:
        """Pages per status (for reports and tests)."""
        return dict(self.db.execute("SELECT status, COUNT(*) FROM pages GROUP BY status").fetchall())
