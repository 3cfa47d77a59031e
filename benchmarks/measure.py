"""What every benchmark needs: the machine, percentiles, peak memory, latency under load."""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Sequence


def machine() -> dict:
    """The machine the numbers were measured on."""
    import psutil

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1), "cpu": cpu,
            "python": platform.python_version(), "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_latency(ask: Callable[[str], object], questions: Sequence[str], clients: int = 8) -> dict:
    """Latency of retrieve + answer in one warm process: one client, then `clients` at once; with the
    machine's 1-minute load average before and after (other work on a shared machine slows it)."""
    for q in questions[:5]:
        ask(q)  # warm caches and the model
    load_before = os.getloadavg()[0]  # the machine's state: figures from a busy 2-core machine run slower

    def timed(q: str) -> float:
        t0 = time.perf_counter()
        ask(q)
        return (time.perf_counter() - t0) * 1000

    sequential = [timed(q) for q in questions]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        concurrent = list(pool.map(timed, questions))
    wall = time.perf_counter() - t0
    return {
        "load_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "questions": len(questions),
        "p50_ms": round(percentile(sequential, 50), 1), "p95_ms": round(percentile(sequential, 95), 1),
        "mean_ms": round(statistics.fmean(sequential), 1),
        "concurrent_clients": clients,
        "concurrent_p50_ms": round(percentile(concurrent, 50), 1),
        "concurrent_p95_ms": round(percentile(concurrent, 95), 1),
        "concurrent_questions_per_s": round(len(questions) / wall, 1),
        "_sequential": sequential, "_concurrent": concurrent,
    }


