"""Retrieval by publication day: the newest of the relevant candidates for "What's the latest
on X?", and the coverage of a period for "What happened on 16 May 2025?" or "What's new?"."""

from __future__ import annotations

from datetime import date

import numpy as np

from vectorstore.passage import Passage

from ..language.dates import day_number, filter_day_number
from .filters import SearchFilters
from .lexical import LexicalIndex


def newness_of(index: LexicalIndex, cand: dict) -> dict[int, float]:
    """Each dated candidate's publication day scaled to [0, 1] between the pool's oldest and
    newest (keyed by the candidate's id(); an undated one is left out). `cand`: the
    candidates of `HybridRetriever.ranked` (a row "i", or None and a "passage")."""
    days: dict[int, int] = {}
    for c in cand.values():
        if c["i"] is not None:
            day = int(index.columns.day[c["i"]])
        else:
            day = filter_day_number(c["passage"].published[:10] or None) or 0
        if day > 0:
            days[id(c)] = day
    if not days:
        return {}
    lo, hi = min(days.values()), max(days.values())
    return {key: (day - lo) / (hi - lo) if hi > lo else 1.0 for key, day in days.items()}


def published(index: LexicalIndex, first: date | None, last: date | None, k: int = 10,
              filters: SearchFilters | None = None) -> list[Passage]:
    """The opening chunk of each article published between two days (inclusive; None: open),
    newest first, then readers' comments of that period (one per article they are on), at
    most k."""
    rows = document_leads(index, day_number(first) if first else None, day_number(last) if last else None,
                          filters, 3 * k)
    out: list[Passage] = []
    seen: set[str] = set()
    for row in rows:
        passage = index.passage(row)
        if passage.article_id in seen:
            continue
        seen.add(passage.article_id)
        out.append(passage)
        if len(out) == k:
            break
    return out


def document_leads(index: LexicalIndex, first_day: int | None, last_day: int | None,
                   filters: SearchFilters | None, limit: int) -> list[int]:
    """The first chunk's row of each document published between two days (days since 1970,
    inclusive; None: open) that the filters allow: articles before readers' comments, newest
    first, at most `limit`. Undated documents are never listed."""
    day = index.columns.day
    mask = day > 0
    if first_day is not None:
        mask &= day >= first_day
    if last_day is not None:
        mask &= day <= last_day
    allowed = index.filter_mask(filters)
    if allowed is not None:
        mask &= allowed
    rows = np.flatnonzero(mask)
    if not len(rows):
        return []
    leads = index.snapshot.first_rows(np.unique(index.snapshot.doc_codes[rows]))
    comment = np.asarray([name != "article" for name in index.columns.kinds])[index.columns.kind[leads]]
    order = np.lexsort((leads, -day[leads], comment))  # the last key sorts first
    return [int(i) for i in leads[order[:limit]]]
