"""Sentence-level evidence: how much of a question's clause one sentence of a chunk matches.

MultiHop-RAG's questions (and many a reader's) are written from single fact sentences, so
the chunk that holds the fact usually has one sentence that matches a clause of the
question densely, while a chunk that matches as much of the question spread thinly over
many sentences holds no fact at all. BM25 over the chunk cannot tell the two apart;
`evidence_scores` can: for each of a ranking's best candidates, the IDF mass of a clause's
terms found together in one sentence (the best sentence, the best clause), rescaled to the
best candidate's. `HybridRetriever.ranked` adds it, weighted by `sentence_weight`, to the
fused score.

Measured on MultiHop-RAG dev (677 answerable questions, k=10, 2026-11-26), at weight 0.4
over the best 20 candidates of questions that name no date: Hits@4 0.907 -> 0.922, MRR@10
0.739 -> 0.769, MAP@10 0.404 -> 0.419, complete@4 0.278 -> 0.312, complete@10 0.480 ->
0.483, Hits@10 0.973 -> 0.970. A clause's share of its own terms instead of the IDF mass
favoured three-term clauses (Hits@10 0.960); two-sentence windows did worse (MRR 0.725).

A chunk's sentences and their terms come from `LexicalIndex.analysed`: the ingester's
analysis, stored with the chunk's record in the snapshot, which the gate and the answerer
read too (`bot.language.analysis`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ..language.terms import question_terms

if TYPE_CHECKING:
    from .lexical import LexicalIndex

ClauseWeights = dict[str, float]


def clause_weights(index: LexicalIndex, clauses: Iterable[str], leave_out: Iterable[str] = ()) -> list[ClauseWeights]:
    """Per clause, its content terms (`question_terms`, less `leave_out`: the outlets' names,
    which chunks carry in their header rather than their sentences) with their corpus IDF."""
    drop = set(leave_out)
    out = []
    for clause in clauses:
        weights = {t: index.idf(t) for t in question_terms(clause) if t not in drop}
        if weights:
            out.append(weights)
    return out


def best_sentence_mass(sentences: Sequence[frozenset[str]], clauses: Sequence[ClauseWeights],
                       every: frozenset[str] | None = None) -> float:
    """The largest IDF mass of one clause's terms found together in one of the sentences
    (each given as its set of terms). `every` is the union of the clauses' terms (worked
    out when not given): a sentence without any of them is passed over at once."""
    if every is None:
        every = frozenset().union(*clauses)
    best = 0.0
    for keys in sentences:
        hit = every & keys
        if not hit:
            continue
        for clause in clauses:
            found = clause.keys() & hit
            if found:
                best = max(best, sum(clause[t] for t in found))
    return best


def evidence_scores(index: LexicalIndex, rows: Sequence[int], clauses: Sequence[ClauseWeights]) -> dict[int, float]:
    """row -> its best sentence's mass (`best_sentence_mass`) over the best row's: 1.0 for the
    densest match among `rows`, 0.0 for a row none of whose sentences holds a clause term."""
    if not clauses or not rows:
        return {}
    every = frozenset().union(*clauses)
    mass = [best_sentence_mass(index.analysed(int(r)).sentence_keys, clauses, every) for r in rows]
    top = max(mass)
    return {int(r): m / top for r, m in zip(rows, mass)} if top > 0 else {}
