"""Start-up bench (part of `make bench`): a fresh `newsdesk ask` process on the MultiHop-RAG
store against the same on a small store (the seed pages), in wall time and peak memory,
and where a fresh process's import time goes (`python -X importtime`).

Each `ask` runs in a new process, as a user's command would; its peak RSS is GNU time's maximum resident set
size of that process. The first run on each store is a warm-up (it lets the OS cache
the files, and writes the lexical snapshot if the store has none); the figures are the
median of the runs after it.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIME = "/usr/bin/time"  # GNU time

# answered from the lexical side on both stores (more terms than the dense side's "auto" limit)
QUESTION = ("Which company, reported on by more than one outlet in the coverage of the last months of the year, "
            "announced that it would change the way it trains its staff and pays its partners?")


def _ask(store: Path, collection: str, question: str, extra: list[str] | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, stderr) of one fresh `ask` process.

    The peak comes from GNU time (`/usr/bin/time -f %M`): a child forked straight from this
    process would inherit this process's (much larger) high-water mark in `ru_maxrss`."""
    env = {**os.environ, "NEWSDESK_COLLECTION": collection, "NEWSDESK_LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT)}
    cmd = [TIME, "-f", "maxrss_kb=%M", sys.executable, *(extra or []), "-m", "bot.frontends.cli", "ask", question,
           "--store", str(store), "--json"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    found = re.findall(r"maxrss_kb=(\d+)", proc.stderr)
    if proc.returncode not in (0, 1) or not found:
        raise RuntimeError(f"ask failed on {store}: {proc.stderr[-1000:]}")
    return wall, int(found[-1]) / 1024, proc.stderr


def fresh_asks(stores: dict[str, tuple[Path, str]], runs: int = 3) -> dict[str, dict]:
    """Median wall time and peak RSS of `runs` fresh `ask` processes per store (after one
    warm-up each), the stores taking turns so that a busy machine weighs on them alike."""
    for store, collection in stores.values():
        _ask(store, collection, QUESTION)
    walls: dict[str, list[float]] = {name: [] for name in stores}
    peaks: dict[str, list[float]] = {name: [] for name in stores}
    for _ in range(runs):
        for name, (store, collection) in stores.items():
            wall, peak, _ = _ask(store, collection, QUESTION)
            walls[name].append(wall)
            peaks[name].append(peak)
    return {name: {"wall_s": round(statistics.median(walls[name]), 2),
                   "peak_rss_mb": round(statistics.median(peaks[name])), "runs": runs} for name in stores}


PACKAGES = ("chromadb", "numpy", "scipy", "numba", "bm25s", "Stemmer", "pydantic", "pydantic_settings", "typer",
            "langchain_core", "filelock", "psutil", "torch", "transformers", "sentence_transformers")


def import_breakdown(store: Path, collection: str) -> dict:
    """Import time of a fresh `ask` process (`python -X importtime`): in all, and of each
    heavy package (cumulative, where it is first imported; nested packages count in both)."""
    _, _, stderr = _ask(store, collection, QUESTION, ["-X", "importtime"])
    total, packages = 0, {}
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( +)(\S+)$", line)
        if not m:
            continue
        if len(m.group(2)) == 1:  # a top-level import: the sum of these is the whole
            total += int(m.group(1))
        if m.group(3) in PACKAGES:
            packages[m.group(3)] = max(packages.get(m.group(3), 0), int(m.group(1)))
    return {"total_s": round(total / 1e6, 2),
            "top": [{"module": k, "seconds": round(v / 1e6, 3)} for k, v in sorted(packages.items(), key=lambda kv: -kv[1])],
            "torch_imported": "torch" in packages,
            "sentence_transformers_imported": "sentence_transformers" in packages}


def run_startup(small_store: Path, small_collection: str, big_store: Path, big_collection: str) -> dict:
    """Fresh `ask` on the small store and on the big one, their ratios, and import times."""
    asked = fresh_asks({"small": (small_store, small_collection), "big": (big_store, big_collection)})
    small, big = asked["small"], asked["big"]
    return {"question": QUESTION, "small": small, "big": big,
            "wall_ratio": round(big["wall_s"] / small["wall_s"], 3),
            "peak_ratio": round(big["peak_rss_mb"] / small["peak_rss_mb"], 3),
            "imports_big": import_breakdown(big_store, big_collection)}
