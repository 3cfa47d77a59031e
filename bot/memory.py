"""Keeping a long-running bot's memory flat: fewer malloc arenas, and free memory handed back.

Measured on a bot at 100k chunks (BENCHMARKS.md, scale section) over 1,200 questions, part
of them from 8 threads at once: glibc gives each thread that allocates at the same time
an arena of its own (up to 8 per core) and keeps what is freed in each for reuse, so the
bot's private memory grew by about 50 MB for the threads alone and freed memory stayed
resident. Two arenas serve the bot's few concurrent questions as well, and trimming
every few hundred questions returns what the heaps no longer use (a few milliseconds).
Nothing here changes results; where the C library is not glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import threading

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # mallopt parameter (glibc malloc.h)
ARENAS = 2
TRIM_EVERY = 256  # questions between trims


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


def after_question() -> None:
    """Count a question; every `TRIM_EVERY`-th one trims (in the caller's thread)."""
    global _count
    with _lock:
        _count += 1
        due = _count % TRIM_EVERY == 0
    if due:
        trim()
