"""Start-up bench (part of `make bench`): a fresh `newsdesk ask` process on the MultiHop-RAG
store against the same on a small store (the seed pages), in wall time and peak memory;
the small store's ask against a bare `python -c "import chromadb"` (the floor: every
process that opens a store imports chromadb); and where a fresh process's import time
goes (`python -X importtime`).

Each `ask` runs in a new process, as a user's command would; its peak RSS is GNU time's maximum resident set
size of that process. The first run of each kind is a warm-up (it lets the OS cache
the files, and writes the lexical snapshot if the store has none). Then the kinds take
turns, round after round, so that a busy machine weighs on them alike; each ratio is the
median of the per-round ratios, with its lowest and highest (how noisy the machine was).
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


def _bare_chromadb() -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of a fresh `python -c "import chromadb"`."""
    t0 = time.perf_counter()
    proc = subprocess.run([TIME, "-f", "maxrss_kb=%M", sys.executable, "-c", "import chromadb"], cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    found = re.findall(r"maxrss_kb=(\d+)", proc.stderr)
    if proc.returncode != 0 or not found:
        raise RuntimeError(f"import chromadb failed: {proc.stderr[-1000:]}")
    return wall, int(found[-1]) / 1024


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


def fresh_asks(stores: dict[str, tuple[Path, str]], runs: int = 7) -> dict[str, dict]:
    """Median wall time and peak RSS of `runs` fresh `ask` processes per store and of as many
    bare `import chromadb` processes (key "chromadb"), after one warm-up each, the kinds
    taking turns; "rounds" keeps each round's figures for the per-round ratios."""
    _bare_chromadb()
    for store, collection in stores.values():
        _ask(store, collection, QUESTION)
    walls: dict[str, list[float]] = {name: [] for name in [*stores, "chromadb"]}
    peaks: dict[str, list[float]] = {name: [] for name in walls}
    for _ in range(runs):
        wall, peak = _bare_chromadb()
        walls["chromadb"].append(wall)
        peaks["chromadb"].append(peak)
        for name, (store, collection) in stores.items():
            wall, peak, _ = _ask(store, collection, QUESTION)
            walls[name].append(wall)
            peaks[name].append(peak)
    return {name: {"wall_s": round(statistics.median(walls[name]), 2),
                   "peak_rss_mb": round(statistics.median(peaks[name])), "runs": runs,
                   "_walls": walls[name], "_peaks": peaks[name]} for name in walls}


def _round_ratio(top: list[float], bottom: list[float]) -> dict:
    """Median, lowest and highest of the per-round ratios top/bottom."""
    ratios = [a / b for a, b in zip(top, bottom)]
    return {"median": round(statistics.median(ratios), 3), "min": round(min(ratios), 3),
            "max": round(max(ratios), 3)}


PACKAGES = ("chromadb", "numpy", "scipy", "numba", "bm25s", "Stemmer", "pydantic", "pydantic_settings", "typer",
            "langchain_core", "filelock", "psutil", "openvino", "onnxruntime", "torch", "transformers",
            "sentence_transformers")


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
    small, big, bare = asked["small"], asked["big"], asked["chromadb"]
    wall = _round_ratio(big.pop("_walls"), small["_walls"])
    peak = _round_ratio(big.pop("_peaks"), small["_peaks"])
    over_chromadb = _round_ratio(small.pop("_walls"), bare.pop("_walls"))
    small.pop("_peaks"), bare.pop("_peaks")
    return {"question": QUESTION, "small": small, "big": big, "chromadb": bare,
            "wall_ratio": wall["median"], "wall_ratio_range": [wall["min"], wall["max"]],
            "peak_ratio": peak["median"], "peak_ratio_range": [peak["min"], peak["max"]],
            "small_over_chromadb": over_chromadb["median"],
            "small_over_chromadb_range": [over_chromadb["min"], over_chromadb["max"]],
            "imports_big": import_breakdown(big_store, big_collection)}
