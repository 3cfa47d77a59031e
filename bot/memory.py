"""Keeping a long-running bot's memory flat: fewer malloc arenas, and free memory handed back.

Measured on a bot at 100k chunks (BENCHMARKS.md, scale section) over 1,200 questions, part
of them from 8 threads at once: glibc gives each thread that allocates at the same time
an arena of its own (up to 8 per core) and keeps what is freed in each for reuse, so the
bot's private memory grew by about 50 MB for the threads alone and freed memory stayed
resident. Two arenas serve the bot's few concurrent questions as well, and trimming
every few hundred questions returns what the heaps no longer use (a few milliseconds).
Once the bot is ready, the objects alive then are frozen out of the garbage collector's
sight and its young generation is collected less often (`settle_after_startup`): its
collections were landing inside questions. Nothing here changes results; where the C
library is not glibc, the malloc settings do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os
import threading

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # mallopt parameter (glibc malloc.h)
ARENAS = 2
TRIM_EVERY = 256  # questions between trims
GC_YOUNG_THRESHOLD = 20_000  # allocations between young-generation collections (Python's default: 700)


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _glibc()
_lock = threading.Lock()
_count = 0


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas (unless MALLOC_ARENA_MAX is set: the operator's choice wins).
    Call before the bot starts its threads. True when applied."""
    if _LIBC is None or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    return bool(_LIBC.mallopt(M_ARENA_MAX, int(arenas)))


def trim() -> None:
    """Return the heaps' free memory to the system now."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def settle_after_startup(young_threshold: int = GC_YOUNG_THRESHOLD) -> None:
    """Call once the bot is ready (model loaded, index open): every object alive now (modules,
    the model, the index) is moved out of the garbage collector's sight (`gc.freeze`), and the
    young generation is collected every `young_threshold` allocations instead of Python's 700.

    Measured at 100k chunks over 1,534 questions in one bot: each young-generation collection
    cost ~5 ms whatever its size, and 145 of them (plus 13 older and 1 full, 50-70 ms) landed
    inside ~10% of the questions; with this, 4 collections and 86 ms in all instead of 910,
    p95 30.9 -> 27.1 ms. Cyclic garbage waits a little longer for its collection (a few MB)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(young_threshold, older, oldest)


def after_question() -> None:
    """Count a question; every `TRIM_EVERY`-th one trims (in the caller's thread)."""
    global _count
    with _lock:
        _count += 1
        due = _count % TRIM_EVERY == 0
    if due:
        trim()
