"""Flood control for the Discord bot: a per-user rate limit and a global concurrency gate."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable, Hashable

BUSY_TEXT = "I'm busy answering other questions right now; try again shortly."


class RateLimiter:
    """A sliding window: each user may ask `count` questions in any `seconds`."""

    def __init__(self, count: int, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if count < 1 or seconds <= 0:
            raise ValueError("count must be >= 1 and seconds > 0")
        self.count = count
        self.seconds = seconds
        self._clock = clock
        self._hits: dict[Hashable, deque[float]] = {}
        self._checks = 0

    def check(self, user_id: Hashable) -> float:
        """0 when the user may ask now (and counts this question), else the seconds to wait."""
        now = self._clock()
        self._checks += 1
        if self._checks % 1000 == 0:
            self._forget_idle(now)
        hits = self._hits.setdefault(user_id, deque())
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        if len(hits) >= self.count:
            return max(hits[0] + self.seconds - now, 0.001)
        hits.append(now)
        return 0.0

    def _forget_idle(self, now: float) -> None:
        """Drop users whose every question is outside the window (keeps memory bounded)."""
        for user_id in [u for u, hits in self._hits.items() if not hits or hits[-1] <= now - self.seconds]:
            del self._hits[user_id]


class GateBusy(Exception):
    """The concurrency gate's queue is full."""


class ConcurrencyGate:
    """At most `limit` questions answered at once, and at most `max_queue` waiting for a turn."""

    def __init__(self, limit: int, max_queue: int) -> None:
        self.limit = limit
        self.max_queue = max_queue
        self._semaphore = asyncio.Semaphore(limit)
        self.active = 0
        self.waiting = 0

    @property
    def full(self) -> bool:
        """True when a new question would be refused."""
        return self.active >= self.limit and self.waiting >= self.max_queue

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for a turn (raises `GateBusy` at once when the queue is full)."""
        if self.full:
            raise GateBusy(BUSY_TEXT)
        self.waiting += 1
        try:
            await self._semaphore.acquire()
        finally:
            self.waiting -= 1
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1
            self._semaphore.release()
