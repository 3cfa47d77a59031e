"""Learned re-ranking of a search's candidate pool.

`HybridRetriever.search` builds its answer from several rankings: the whole question's,
one per part (outlet or date), one per descriptive clause, merged by fixed rules
(`multipart.merge_parts`). Each ranking knows one thing about a passage; which should win
depends on the question. A gradient-boosted tree ensemble (LightGBM lambdarank, trained
on MultiHop-RAG dev by `benchmarks/train_reranker.py`, evaluated by `trees.py`) scores
each passage of the pool from features of all of them (`pool_features`): its place in
the merged list, the whole question's ranking and each part's and clause's, how densely its
best sentence matches each clause (`evidence.py`), its place in its article, and how many
of the pool's passages come from the same article.

Measured by 5-fold cross-validation over the 677 answerable dev questions (a held-out
question's pool ranked by a model trained without it): see BENCHMARKS.md and the
training script's output.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from vectorstore.passage import Passage

from ..language.dates import find_dates
from ..language.questions import split_clauses
from ..language.terms import question_terms, term_set, terms
from .evidence import clause_weights
from .trees import TreeEnsemble

MODEL_PATH = Path(__file__).with_name("reranker.json")
ABSENT = 99  # the rank of a passage a ranking does not hold

FEATURES = (
    "final_rank", "main_rank", "main_score", "lex_full", "lex_rank", "part_rank", "n_parts", "pick_rank",
    "n_picks", "evidence", "outlet", "near", "doc_n", "doc_best_main", "doc_best_part", "chunk_index",
    "title_overlap", "q_parts", "q_picks", "q_dates", "q_outlets", "q_terms", "q_name", "cov_best", "cov_mean",
    "clause_argmax", "clause_rel_mean", "best_sent_idx", "n_sent", "n_clauses", "rank_in_doc",
)


def question_key(question: str) -> str:
    """A short digest of a question, as the model's metadata lists the questions it was trained on."""
    return hashlib.sha256(" ".join(question.split()).encode("utf-8")).hexdigest()[:16]


def trained_on(questions: Iterable[str], model_path: Path = MODEL_PATH) -> tuple[int, dict]:
    """How many of `questions` trained the shipped model, and the cross-validated figures the
    trainer recorded: an evaluation on its own training questions is optimistic."""
    meta = TreeEnsemble.load(model_path).meta
    seen = set(meta.get("questions", ()))
    return sum(question_key(q) in seen for q in questions), dict(meta.get("cross_validated", {}))


@dataclass
class CandidatePool:
    """The rankings one search merges: `merged` is what the fixed rules return (the top k).
    Only a question that names outlets or dates is re-ranked: the model learnt from questions
    whose evidence spans several articles, and for a plain question it prefers other
    articles to the rest of the one that answers ("When does the winter access fund close?")."""

    query: str  # the question as asked
    searched: str  # the question as searched (with the answer feedback's name, if any)
    merged: list[Passage]
    main: list[Passage]  # the whole question's ranking, longer than k
    parts: list[list[Passage]] = field(default_factory=list)  # per part (outlet or date), its filtered ranking
    picks: list[list[Passage]] = field(default_factory=list)  # per descriptive clause, its best passages
    name: str | None = None  # the answer feedback's name
    several: bool = False  # the question names outlets or dates (it has parts or picks): re-rank it


def pool_features(index, pool: CandidatePool) -> tuple[list[Passage], np.ndarray]:
    """Every distinct passage of the pool (merged first) and its feature row (`FEATURES` order)."""
    passages: dict[str, Passage] = {}
    for found in [pool.merged, pool.main, *pool.parts, *pool.picks]:
        for p in found:
            passages.setdefault(p.chunk_id, p)
    ids = list(passages)
    if not ids:
        return [], np.zeros((0, len(FEATURES)))
    f = {name: np.zeros(len(ids)) for name in FEATURES}
    at = {cid: j for j, cid in enumerate(ids)}
    for name in ("final_rank", "main_rank", "lex_rank", "part_rank", "pick_rank"):
        f[name][:] = ABSENT
    for rank, p in enumerate(pool.merged, start=1):
        f["final_rank"][at[p.chunk_id]] = rank
    top = max((p.score for p in pool.main), default=0.0) or 1.0
    for rank, p in enumerate(pool.main, start=1):
        j = at[p.chunk_id]
        f["main_rank"][j], f["main_score"][j] = rank, p.score / top
        f["lex_full"][j], f["lex_rank"][j] = p.scores.get("lexical", 0.0), p.ranks.get("lexical", ABSENT)
    for key, lists in (("part", pool.parts), ("pick", pool.picks)):
        for found in lists:
            for rank, p in enumerate(found, start=1):
                j = at[p.chunk_id]
                f[f"{key}_rank"][j] = min(f[f"{key}_rank"][j], rank)
                f[f"n_{key}s"][j] += 1

    rows = [index.pos.get(cid) for cid in ids]
    outlets = set(index.outlets.mentioned_in(pool.query))
    named = {t for outlet in outlets for t in question_terms(outlet)}
    clauses = split_clauses(pool.searched, terms)
    weights = clause_weights(index, clauses if len(clauses) > 1 else [pool.searched], named)
    best = np.zeros((len(ids), len(weights)))
    for j, row in enumerate(rows):
        if row is not None:
            best[j], f["best_sent_idx"][j], f["n_sent"][j] = _clause_masses(index.sentence_terms(row), weights)
    if weights:
        mass = best.max(axis=1)
        f["evidence"] = mass / mass.max() if mass.max() > 0 else mass
        totals = np.array([sum(w.values()) or 1.0 for w in weights])
        coverage = best / totals
        f["cov_best"], f["cov_mean"] = coverage.max(axis=1), coverage.mean(axis=1)
        pool_best = best.max(axis=0)
        f["clause_argmax"] = ((best > 0) & (best >= pool_best)).sum(axis=1)
        f["clause_rel_mean"] = (best / np.where(pool_best > 0, pool_best, 1.0)).mean(axis=1)

    dates = find_dates(pool.query)
    near = index.dates_near(dates, 1, [r for r in rows if r is not None]) if dates else {}
    asked = set(question_terms(pool.query))
    docs: dict[str, list[int]] = {}
    for j, cid in enumerate(ids):
        p = passages[cid]
        docs.setdefault(p.doc_id, []).append(j)
        f["outlet"][j] = p.source in outlets
        f["near"][j] = bool(near.get(rows[j])) if rows[j] is not None else False
        f["chunk_index"][j] = p.chunk_index
        f["title_overlap"][j] = len(asked & _title_terms(p.title or "")) / max(1, len(asked))
    for members in docs.values():
        f["doc_n"][members] = len(members)
        f["doc_best_main"][members] = f["main_rank"][members].min()
        f["doc_best_part"][members] = f["part_rank"][members].min()
        order = sorted(members, key=lambda j: -f["main_score"][j])
        f["rank_in_doc"][order] = np.arange(1, len(order) + 1)
    question = {"q_parts": len(pool.parts), "q_picks": len(pool.picks), "q_dates": len(dates),
                "q_outlets": len(outlets), "q_terms": len(asked), "q_name": bool(pool.name), "n_clauses": len(weights)}
    for name, value in question.items():
        f[name][:] = value
    return [passages[cid] for cid in ids], np.column_stack([f[name] for name in FEATURES])


def _clause_masses(sentences, weights) -> tuple[np.ndarray, int, int]:
    """Per clause, the largest IDF mass of its terms in one sentence; the best sentence's
    place; the number of sentences."""
    best = np.zeros(len(weights))
    every = frozenset().union(*weights) if weights else frozenset()
    top, where = 0.0, 0
    for s, keys in enumerate(sentences):
        hit = every.intersection(keys)
        if not hit:
            continue
        for c, clause in enumerate(weights):
            mass = sum(clause[t] for t in sorted(clause.keys() & hit))  # in one order: the same sum in every process
            best[c] = max(best[c], mass)
            if mass > top:
                top, where = mass, s
    return best, where, len(sentences)


@lru_cache(maxsize=4096)
def _title_terms(title: str) -> frozenset[str]:
    return frozenset(term_set(title))


class Reranker:
    """Re-orders a `CandidatePool` by the tree ensemble's scores (ties keep the merged order)."""

    def __init__(self, model: TreeEnsemble) -> None:
        if tuple(model.features) != FEATURES:
            raise ValueError("the re-ranking model was trained on other features; retrain it "
                             "(benchmarks/train_reranker.py)")
        self.model = model

    @classmethod
    def default(cls) -> Reranker:
        """The model shipped with the package."""
        return cls(TreeEnsemble.load(MODEL_PATH))

    def rerank(self, index, pool: CandidatePool, k: int) -> list[Passage]:
        """The pool's best k passages by the model, with `ranks["fused"]` renumbered."""
        passages, x = pool_features(index, pool)
        if len(passages) <= 1:
            return passages[:k]
        scores = self.model.predict(x)
        order = sorted(range(len(passages)), key=lambda j: (-scores[j], j))[:k]
        out = [passages[j] for j in order]
        for rank, p in enumerate(out, start=1):
            p.ranks["fused"] = rank
        return out
