"""bot/memory.py: the allocator settings a long-running bot applies, and when it trims."""

from __future__ import annotations

from bot import memory


def test_the_operators_malloc_arena_max_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert memory.limit_arenas() is False


def test_a_trim_every_trim_every_questions(monkeypatch):
    trims = []
    monkeypatch.setattr(memory, "trim", lambda: trims.append(1))
    monkeypatch.setattr(memory, "_count", 0)
    for _ in range(memory.TRIM_EVERY * 2 + 5):
        memory.after_question()
    assert len(trims) == 2


def test_without_glibc_nothing_happens(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.setattr(memory, "_LIBC", None)
    assert memory.limit_arenas() is False
    memory.trim()  # no error
