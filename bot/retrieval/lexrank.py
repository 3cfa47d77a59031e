"""The lexical side of one search: BM25 of the whole question and of its clauses, fused and
cut to the candidate pool, computed once per term list and only over the rows filters allow.

`HybridRetriever.ranked` used to score the whole corpus for every ranking it made (the
question, each clause, each part of a multi-part question, the readers' pass), mask,
rescale and sort full-length arrays each time. Here:

- a term list's BM25 scores are computed once and shared by every ranking of the same
  question that uses them (`LexicalIndex.term_scores`, a small cache);
- a filtered ranking (a part's outlet and date, a user's filters) works on the allowed rows
  only, gathered once per filter (`LexicalIndex.allowed_rows`), not on masked full-length
  arrays.

The arithmetic is the same, in the same order and precision, so every score is the value
the full-length computation gives, and so is the pool: when equal scores make the choice
or order of the pool depend on how `np.argpartition` breaks ties, the full-length array is
built and asked (synthetic corpora with repeated passages do this often; real ones rarely).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    from .filters import SearchFilters
    from .lexical import LexicalIndex


@dataclass
class LexicalRanking:
    """The lexical candidates of one ranking: rows best first, and every row's scores."""

    top: np.ndarray  # rows, best first (at most the pool size; only rows with a score)
    top_values: np.ndarray  # their fused lexical scores (question + best clause, rescaled to [0, 1])
    rows: np.ndarray | None  # the rows `values` are for (None = every row)
    values: np.ndarray  # fused lexical score per row of `rows`
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
        """The fused lexical score of any row (0 when filtered out or unmatched)."""
        return self._at(self.values, row)

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

    def scores(terms: Sequence[str]) -> np.ndarray:
        f32 = index.term_scores(index.snapshot.term_ids(terms))
        return f32 if rows is None else f32[rows]

    # the clauses first: the first one's terms begin the question's, whose sum starts from it
    by_clause = [scores(terms) for terms in clause_terms]
    whole = scores(query_terms)
    # float64 arithmetic on the float32 sums, in place: no full-length copies beyond these
    lexical = _scaled(whole)
    if by_clause:
        best = np.zeros(len(whole))
        scaled = np.empty(len(whole))
        for clause in by_clause:
            np.maximum(best, _scaled(clause, out=scaled), out=best)
        np.multiply(best, clause_weight, out=best)
        np.add(lexical, best, out=lexical)
        _scaled(lexical, out=lexical)
    n = min(pool, int(np.count_nonzero(lexical)))
    at = _top(lexical, n)
    if rows is None:
        return LexicalRanking(top=at, top_values=lexical[at], rows=None, values=lexical, whole=whole)
    top = rows[at]
    if _tied(lexical, at):
        # Equal scores in the pool: which of them make it, and in what order, is up to
        # np.argpartition over the full-length array, as before; ask it the same question.
        dense = np.zeros(index.size)
        dense[rows] = lexical
        top = _top(dense, n)
    return LexicalRanking(top=top, top_values=lexical[np.searchsorted(rows, top)], rows=rows, values=lexical,
                          whole=whole)


def _tied(values: np.ndarray, at: np.ndarray) -> bool:
    """True when two of the chosen values are equal, or the last chosen equals one left out."""
    if len(at) == 0:
        return False
    chosen = values[at]
    return bool(np.any(chosen[1:] == chosen[:-1])) or int(np.count_nonzero(values >= chosen[-1])) > len(at)


def _scaled(values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """`values` (float32 or float64) divided by their maximum, in float64 (into `out`, if given)."""
    top = float(values.max()) if values.size else 0.0
    if out is None:
        out = np.empty(values.shape)
    if top > 0:
        return np.divide(values, top, out=out, dtype=np.float64)
    out[...] = values
    return out


def _top(values: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n largest values, largest first."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    if n >= values.size:
        return np.argsort(-values, kind="stable")
    part = np.argpartition(-values, n - 1)[:n]
    return part[np.argsort(-values[part], kind="stable")]
