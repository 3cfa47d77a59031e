"""Keeping the store in step with its sources: one sync, and the schedules that repeat it.

A source is anything `newsdesk ingest` takes: a folder, a file, a glob, or the URL of a
page, feed, sitemap or site. `sync_once` ingests them all in one run (one lock, one
report); `run_every` repeats it in a thread (the `newsdesk sync --every` loop) and
`run_periodically` in an asyncio program (the Discord bot's background sync), each
without ever letting one failed run stop the schedule.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from typing import TYPE_CHECKING, Awaitable, Callable, TypeVar

if TYPE_CHECKING:
    from .pipeline import IngestReport, Ingestor
    from .web.config import CrawlConfig

log = logging.getLogger(__name__)

T = TypeVar("T")

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_INTERVAL = 60.0


def parse_interval(text: str, *, minimum: float = MIN_INTERVAL) -> float:
    """"30m", "1h", "1h30m", "90s", "2d" (or plain seconds) -> seconds. ValueError when it is
    not a duration or is shorter than `minimum` (a crawler should not hammer a site)."""
    raw = (text or "").strip().lower().replace(" ", "")
    if not raw:
        raise ValueError("empty interval")
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        seconds = float(raw)
    else:
        parts = re.findall(r"(\d+(?:\.\d+)?)([smhd])", raw)
        if not parts or "".join(n + u for n, u in parts) != raw:
            raise ValueError(f"not an interval: {text!r} (use e.g. 30m, 1h, 1h30m, 90s)")
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds < minimum:
        raise ValueError(f"interval {text!r} is shorter than the minimum of {minimum:g} s")
    return seconds


def sync_once(ingestor: "Ingestor", sources: list[str], *, crawl: "CrawlConfig | None" = None,
              prune: bool = False) -> "IngestReport":
    """Ingest every source once (files, folders, globs, URLs); returns the run's report.
    Raises only what `Ingestor.run` raises (another ingest holds the lock; the store is down)."""
    if not sources:
        raise ValueError("no sources to sync: set NEWSDESK_SOURCES (folders, feeds, sitemaps, pages)")
    return ingestor.run(list(sources), prune=prune, crawl=crawl)


def run_every(interval: float, job: Callable[[], T], *, stop: threading.Event | None = None,
              on_result: Callable[[T], None] | None = None,
              on_error: Callable[[BaseException], None] | None = None, runs: int | None = None) -> int:
    """Run `job` now and then every `interval` seconds (from the start of each run) until
    `stop` is set or `runs` runs are done; returns the number of runs. A run that raises is
    handed to `on_error` and the schedule goes on; KeyboardInterrupt ends it."""
    stop = stop or threading.Event()
    done = 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            result = job()
        except Exception as exc:  # one bad run must not end the schedule
            if on_error is not None:
                on_error(exc)
            else:
                log.exception("scheduled sync failed")
        else:
            if on_result is not None:
                on_result(result)
        done += 1
        if runs is not None and done >= runs:
            break
        stop.wait(max(0.0, started + interval - time.monotonic()))
    return done


async def run_periodically(interval: float, job: Callable[[], T], *, is_busy: Callable[[], bool] = lambda: False,
                           on_result: Callable[[T], Awaitable[None] | None] | None = None,
                           on_error: Callable[[BaseException], None] | None = None,
                           first_delay: float | None = None) -> None:
    """In an asyncio program: every `interval` seconds run the blocking `job` in a worker
    thread (the event loop never blocks), skipping a turn while `is_busy()` (e.g. a manual
    re-ingest is running). Runs until cancelled; a failed run is logged and the loop goes on."""
    delay = interval if first_delay is None else first_delay
    while True:
        await asyncio.sleep(delay)
        delay = interval
        if is_busy():
            log.info("background sync skipped: another ingest is running")
            continue
        try:
            result = await asyncio.to_thread(job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if on_error is not None:
                on_error(exc)
            else:
                log.exception("background sync failed")
            continue
        if on_result is not None:
            maybe = on_result(result)
            if asyncio.iscoroutine(maybe):
                await maybe
