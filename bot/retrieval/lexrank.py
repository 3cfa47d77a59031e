"""The lexical side of one search: BM25 of the whole question and of its clauses, fused and
cut to the candidate pool, computed once per term list and only over the rows filters allow.

`HybridRetriever.ranked` used to score the whole corpus for every ranking it made (the
question, each clause, each part of a multi-part question, the readers' pass), mask,
rescale and sort full-length arrays each time. Here:

- a term list's BM25 scores are computed once and shared by every ranking of the same
  question that uses them (`LexicalIndex.term_scores`, a small cache);
- a filtered ranking (a part's outlet and date, a user's filters) works on the allowed rows
  only, gathered once per filter (`LexicalIndex.allowed_rows`), not on masked full-length
  arrays;
- the fusion is float32, a handful of passes over the rows (each term list's rescaling folded
  into one multiplier; the final rescaling to [0, 1] is applied to the rows asked for only);
- the pool is chosen among the rows that can reach it: the pool-th largest value of every
  16th row is a lower bound of the pool-th largest of all, so only the rows at or above it
  (a few hundred of 100k) are ordered.

Equal scores are ordered by row, lowest first, in every ranking (filtered or not), so a
fresh build and a loaded snapshot, or a filtered and an unfiltered search, agree exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .filters import SearchFilters
    from .lexical import LexicalIndex

# Pools are chosen through a sample of every SAMPLE_STEP-th row once there are MIN_SAMPLED rows.
SAMPLE_STEP = 16
MIN_SAMPLED = 8192


@dataclass
class LexicalRanking:
    """The lexical candidates of one ranking: rows best first, and every row's scores."""

    top: np.ndarray  # rows, best first (at most the pool size; only rows with a score)
    top_values: np.ndarray  # their fused lexical scores (question + best clause, rescaled to [0, 1])
    rows: np.ndarray | None  # the rows `values` are for (None = every row)
    values: np.ndarray  # fused lexical score per row of `rows` before the rescaling (float32)
    scale: float  # the largest of `values` (1.0 when none is positive): values / scale are in [0, 1]
    whole: np.ndarray  # BM25 of the whole question per row of `rows` (float32)

    @property
    def rank(self) -> dict[int, int]:
        """row -> 1-based rank in the pool."""
        return {int(i): r for r, i in enumerate(self.top, start=1)}

    def _at(self, array: np.ndarray, row: int) -> float:
        if self.rows is None:
            return float(array[row])
        at = int(np.searchsorted(self.rows, row))
        return float(array[at]) if at < len(self.rows) and self.rows[at] == row else 0.0

    def lexical(self, row: int) -> float:
        """The fused lexical score of any row, in [0, 1] (0 when filtered out or unmatched)."""
        return self._at(self.values, row) / self.scale

    def full(self, row: int) -> float:
        """The whole question's BM25 score of any row (0 when filtered out or unmatched)."""
        return self._at(self.whole, row)


def rank_lexical(index: LexicalIndex, query_terms: Sequence[str], clause_terms: Sequence[Sequence[str]],
                 filters: SearchFilters | None, clause_weight: float, pool: int) -> LexicalRanking:
    """The lexical pool of a question: BM25 of the whole question, plus `clause_weight` × the
    best of its clauses' BM25 (each rescaled to its maximum), rescaled; the top `pool` rows
    with a score, among the rows `filters` allow. `clause_terms`: the clauses' terms (none,
    or at least two clauses)."""
    rows = index.allowed_rows(filters)

    def allowed(f32: np.ndarray) -> np.ndarray:
        return f32 if rows is None else f32[rows]

    # the clauses first: the question's sum adds theirs (`LexicalIndex.question_scores`)
    clause_ids = [index.snapshot.term_ids(terms) for terms in clause_terms]
    by_clause = [allowed(index.term_scores(ids)) for ids in clause_ids]
    whole = allowed(index.question_scores(index.snapshot.term_ids(query_terms), clause_ids))
    values = fuse(whole, by_clause, clause_weight)
    at = top_rows(values, pool)
    scale = float(values[at[0]]) if len(at) else 1.0
    return LexicalRanking(top=at if rows is None else rows[at], top_values=values[at].astype(np.float64) / scale,
                          rows=rows, values=values, scale=scale, whole=whole)


def fuse(whole: np.ndarray, clauses: Sequence[np.ndarray], clause_weight: float) -> np.ndarray:
    """whole / max(whole) + clause_weight × max over clauses of (clause / max(clause)), in
    float32 (a new array; each term list's rescaling is one multiplier, 0 for an all-zero list)."""
    out = np.multiply(whole, _inverse_max(whole, 1.0))
    if clauses:
        best = np.multiply(clauses[0], _inverse_max(clauses[0], clause_weight))
        scaled = np.empty_like(best)
        for clause in clauses[1:]:
            np.maximum(best, np.multiply(clause, _inverse_max(clause, clause_weight), out=scaled), out=best)
        np.add(out, best, out=out)
    return out


def _inverse_max(values: np.ndarray, weight: float) -> np.float32:
    top = float(values.max()) if values.size else 0.0
    return np.float32(weight / top if top > 0 else 0.0)


def top_rows(values: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n largest positive values, largest first; equal values by position."""
    if n <= 0 or values.size == 0:
        return np.zeros(0, dtype=np.int64)
    at = _reachable(values, n)
    chosen = values[at]
    if len(at) > n:
        kth = np.partition(chosen, len(chosen) - n)[len(chosen) - n]  # the n-th largest
        above = np.flatnonzero(chosen > kth)
        keep = np.sort(np.concatenate([above, np.flatnonzero(chosen == kth)[:n - len(above)]]))
        at, chosen = at[keep], chosen[keep]
    return at[np.argsort(-chosen, kind="stable")]


def _reachable(values: np.ndarray, n: int) -> np.ndarray:
    """Ascending positions of every positive value that may be among the n largest: at or
    above the n-th largest of a sample (a lower bound of the n-th largest of all)."""
    if values.size >= MIN_SAMPLED:
        sample = values[::SAMPLE_STEP]
        if sample.size >= n:
            bound = np.partition(sample, sample.size - n)[sample.size - n]
            if bound > 0:
                return np.flatnonzero(values >= bound)
    return np.flatnonzero(values > 0)
