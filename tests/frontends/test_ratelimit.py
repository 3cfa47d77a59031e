"""Per-user sliding-window rate limit and the global concurrency gate."""

from __future__ import annotations

import asyncio

import pytest

from bot.frontends.discord.ratelimit import BUSY_TEXT, ConcurrencyGate, GateBusy, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_per_user():
    clock = Clock()
    limiter = RateLimiter(3, 60, clock=clock)
    assert [limiter.check("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.check("a") == pytest.approx(60)
    assert limiter.check("b") == 0  # other users are not affected
    clock.now += 20
    assert limiter.check("a") == pytest.approx(40)
    clock.now += 40
    assert limiter.check("a") == 0  # the oldest hit left the window
    assert limiter.check("a") == 0 and limiter.check("a") == 0
    assert limiter.check("a") == pytest.approx(60)  # three new hits at the same moment

def test_refused_questions_do_not_extend_the_wait():
    clock = Clock()
    limiter = RateLimiter(1, 10, clock=clock)
    assert limiter.check(1) == 0
    clock.now += 5
    assert limiter.check(1) == pytest.approx(5)
    assert limiter.check(1) == pytest.approx(5)
    clock.now += 5
    assert limiter.check(1) == 0


def test_idle_users_are_forgotten():
    clock = Clock()
    limiter = RateLimiter(1, 1, clock=clock)
    for user in range(999):
        limiter.check(user)
    clock.now += 5
    limiter.check("last")  # the 1000th check sweeps
    assert list(limiter._hits) == ["last"]


def test_bad_limits_are_rejected():
    with pytest.raises(ValueError):
        RateLimiter(0, 60)


async def test_gate_caps_concurrency_and_queues():
    gate = ConcurrencyGate(limit=2, max_queue=10)
    running = peak = 0

    async def job():
        nonlocal running, peak
        async with gate.slot():
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1

    await asyncio.gather(*(job() for _ in range(8)))
    assert peak == 2 and gate.active == 0 and gate.waiting == 0


async def test_gate_refuses_when_the_queue_is_full():
    gate = ConcurrencyGate(limit=1, max_queue=1)
    release = asyncio.Event()

    async def hold():
        async with gate.slot():
            await release.wait()

    tasks = [asyncio.create_task(hold()) for _ in range(2)]  # one runs, one waits
    await asyncio.sleep(0)
    assert gate.active == 1 and gate.waiting == 1 and gate.full
    with pytest.raises(GateBusy, match="busy"):
        async with gate.slot():
            pass
    release.set()
    await asyncio.gather(*tasks)
    assert not gate.full and "try again shortly" in BUSY_TEXT
