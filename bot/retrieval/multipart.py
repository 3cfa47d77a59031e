"""Complete evidence for questions that span several articles: a sub-search per part.

A question that names several outlets or dates ("…as reported by Fortune, TechCrunch and
The Verge", "the October 2 report and the October 7 one") gets, besides its whole-
question ranking, one search per part with the part's outlet and date as filters. The
merged list keeps the whole question's best passage first, then the best of each part in
the question's order (`part_slots` rounds), then the rest of the whole-question ranking.

Each descriptive clause of a question that names outlets ("spends billions to stay the
default search engine", "influences local search rankings") is usually one fact of a
different article, while the parts' slots go to passages matching the question's most
prominent clause. So the best passages of each clause's own search (`HybridRetriever.
clause_picks`) that the merged list lacks take its last places (`merge_parts`' `extra`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

from vectorstore.passage import Passage

from ..language.parts import QuestionPart
from .filters import SearchFilters

RankFn = Callable[[str, int, "SearchFilters | None"], list[Passage]]


def part_filters(part: QuestionPart, base: SearchFilters | None, window_days: int) -> SearchFilters | None:
    """The base filters narrowed to the part's outlet and (when it has a year) its date ± window;
    None when the part adds nothing to them."""
    filters = base or SearchFilters()
    changed = False
    if part.outlet and filters.sources is None:
        filters, changed = replace(filters, sources=(part.outlet,)), True
    if part.date and part.date[0] and not (filters.since or filters.until):
        day = date(*part.date)  # type: ignore[arg-type]
        filters = replace(filters, since=(day - timedelta(days=window_days)).isoformat(),
                          until=(day + timedelta(days=window_days)).isoformat())
        changed = True
    return filters if changed else None


def merge_parts(main: list[Passage], per_part: list[list[Passage]], k: int, *, lead: int = 1,
                slots: int = 2, extra: list[list[Passage]] | None = None) -> list[Passage]:
    """The whole question's first `lead` passages, then `slots` rounds of each part's best,
    then the rest of `main`; no passage twice, at most k. The passages of `extra` (per
    clause, its best first, taken round by round) that would not be in the top k otherwise
    take its last places, in place of the last of `main`'s."""
    out: list[Passage] = []
    seen: set[str] = set()

    def take(p: Passage) -> None:
        if p.chunk_id not in seen and len(out) < k:
            seen.add(p.chunk_id)
            out.append(p)

    for p in main[:lead]:
        take(p)
    for r in range(slots):
        for found in per_part:
            if r < len(found):
                take(found[r])
    if extra:
        rest = [p for p in main if p.chunk_id not in seen]
        have = seen | {p.chunk_id for p in rest[:k - len(out)]}
        wanted: list[Passage] = []
        for r in range(max(len(found) for found in extra)):
            for found in extra:
                if r < len(found) and found[r].chunk_id not in have:
                    have.add(found[r].chunk_id)
                    wanted.append(found[r])
        for p in rest[:max(0, k - len(out) - len(wanted))] + wanted:
            take(p)
    for p in main:
        take(p)
    for rank, p in enumerate(out, start=1):
        p.ranks["fused"] = rank
    return out


def search_parts(rank: RankFn, parts: list[QuestionPart], filters: SearchFilters | None, n: int, *,
                 window_days: int) -> list[list[Passage]]:
    """Each part's filtered ranking (its best `n` passages), for the parts that narrow the
    search (`part_filters`)."""
    per_part = []
    for part in parts:
        narrowed = part_filters(part, filters, window_days)
        if narrowed is not None:
            per_part.append(rank(part.text, n, narrowed))
    return per_part
