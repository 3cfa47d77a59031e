"""Complete evidence for questions that span several articles: a sub-search per part.

A question that names several outlets or dates ("…as reported by Fortune, TechCrunch and
The Verge", "the October 2 report and the October 7 one") gets, besides its whole-
question ranking, one search per part with the part's outlet and date as filters. The
merged list keeps the whole question's best passage first, then the best of each part in
the question's order (`part_slots` rounds), then the rest of the whole-question ranking.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Callable

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
                slots: int = 2) -> list[Passage]:
    """The whole question's first `lead` passages, then `slots` rounds of each part's best,
    then the rest of `main`; no passage twice, at most k."""
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
    for p in main:
        take(p)
    for rank, p in enumerate(out, start=1):
        p.ranks["fused"] = rank
    return out


def search_parts(rank: RankFn, parts: list[QuestionPart], main: list[Passage], k: int,
                 filters: SearchFilters | None, *, lead: int, slots: int, window_days: int) -> list[Passage]:
    """Merge the whole-question ranking with a filtered sub-search per part."""
    per_part = []
    for part in parts:
        narrowed = part_filters(part, filters, window_days)
        if narrowed is not None:
            per_part.append(rank(part.text, slots, narrowed))
    return merge_parts(main, per_part, k, lead=lead, slots=slots) if per_part else main[:k]
