"""Search filters: one predicate, as a mask over the lexical index and as a Chroma `where`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..language.dates import filter_day_number

# what users type for --kind / :kind / the Discord option -> the kinds searched (None = all)
KIND_CHOICES: dict[str, tuple[str, ...] | None] = {
    "article": ("article",), "articles": ("article",),
    "comment": ("comment",), "comments": ("comment",),
    "all": None,
}


def kinds_for(name: str) -> tuple[str, ...] | None:
    """The kinds a user's "article", "comment" or "all" means; ValueError for anything else."""
    try:
        return KIND_CHOICES[name.strip().lower()]
    except KeyError:
        raise ValueError("kind must be article, comment or all") from None


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions on what a search may return (None = no restriction)."""

    since: str | None = None  # ISO date, inclusive
    until: str | None = None  # ISO date, inclusive
    kinds: tuple[str, ...] | None = None  # ("article",) or ("article", "comment"); None = all
    sources: tuple[str, ...] | None = None  # outlets; None = all

    def day_range(self) -> tuple[int | None, int | None]:
        """(first day, last day) as days since 1970, inclusive; None when open."""
        return filter_day_number(self.since), filter_day_number(self.until)

    @property
    def active(self) -> bool:
        """True when any restriction is set."""
        return bool(self.since or self.until or self.kinds is not None or self.sources is not None)


@dataclass(frozen=True)
class FilterColumns:
    """The per-chunk columns filters look at (numpy arrays of one length)."""

    day: np.ndarray  # int64 days since 1970, 0 = unknown
    kind: np.ndarray  # str
    source: np.ndarray  # str


def filter_mask(filters: SearchFilters | None, sources: Sequence[str] | None, cols: FilterColumns) -> np.ndarray | None:
    """The chunks the filters allow (None = all); `sources` are the outlet names as stored."""
    if filters is None or not filters.active:
        return None
    mask = np.ones(len(cols.day), dtype=bool)
    first, last = filters.day_range()
    if first is not None or last is not None:
        mask &= cols.day > 0
        if first is not None:
            mask &= cols.day >= first
        if last is not None:
            mask &= cols.day <= last
    if filters.kinds is not None:
        mask &= np.isin(cols.kind, list(filters.kinds))
    if sources is not None:
        mask &= np.isin(cols.source, list(sources))
    return mask


def chroma_where(filters: SearchFilters | None, sources: Sequence[str] | None) -> dict[str, Any] | None:
    """The same predicate as `filter_mask`, as a Chroma `where`."""
    if filters is None or not filters.active:
        return None
    clauses: list[dict[str, Any]] = []
    first, last = filters.day_range()
    if first is not None or last is not None:
        clauses.append({"published_day": {"$gt": 0}})
        if first is not None:
            clauses.append({"published_day": {"$gte": first}})
        if last is not None:
            clauses.append({"published_day": {"$lte": last}})
    if filters.kinds is not None:
        clauses.append({"kind": {"$in": list(filters.kinds)}})
    if sources is not None:
        clauses.append({"source": {"$in": list(sources)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
