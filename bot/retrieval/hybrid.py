"""Hybrid retrieval: BM25 over "title | outlet | date" + chunk text, news-aware boosts, dense fusion.

How one search scores a chunk (all measured on MultiHop-RAG's dev questions, see BENCHMARKS.md):

1. Lexical: BM25 over the chunk's header and text (`bot.language.terms`). Multi-part
   questions ("Does the X article say A, while the Y article says B?") are also split into
   clauses; each clause is scored on its own, and the chunk's best clause score is added
   (`clause_weight`) to its whole-question score. A gold passage usually answers one
   clause well rather than the whole question a little.
2. News awareness: outlets named in the question and dates ("7 October", "2023-10-07")
   *boost* chunks from those outlets and published within a day of those dates. Nothing
   is filtered out by the question text.
3. Dense: MiniLM cosine from Chroma over a pool of `candidates` chunks, min-max normalised
   in the pool and added with a small weight. In the default `dense="auto"` mode the
   encoder runs only for short questions (at most `dense_max_terms` terms, where term
   overlap is thin and encoding cheap) or when BM25 finds nothing.
4. Final score = (lexical + dense_weight * dense) x comment_weight for readers' comments
   (unless the question is about readers) + source_boost [named outlet] + date_boost [near
   a named date] + sentence_weight x sentence evidence (`evidence.py`: how densely the
   chunk's best sentence matches a clause, for the best `sentence_pool` candidates of a
   question that names no date); then at most `per_doc_cap` chunks of one document in
   the top k.
5. Clause picks: a question that names outlets and has several descriptive clauses
   ("spends billions to stay the default search engine, influences local search rankings
   …, according to The Verge and TechCrunch") gets each clause's best `clause_slots`
   passages (plain BM25 of the clause, among the named outlets' chunks) in the last places
   of the top k, when not already there (`clause_picks`, `multipart.merge_parts`).
6. Answer feedback: a who/which question describes its answer ("Which company, covered by
   Engadget and Polygon, is set to release …?") while each article's facts name it
   ("Valve has announced …"). The name the first results most support is added to the
   question, and to each part's text, for a second search.
7. Readers first: a question about readers ("What did readers say about X?") gets the
   best readers' comments first, then the reporting, of which the best `readers_reporting`
   passages always stay in the top k (the comments may be about something else).

Filters (`SearchFilters`) apply on both sides: a Chroma `where` for the dense query and the
same predicate as a mask over the lexical index.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np

from vectorstore.passage import Passage
from vectorstore.store import NewsStore

from ..language.dates import asks_for_latest, find_dates, published_near
from ..language.entities import likely_answer
from ..language.parts import descriptive_clauses, question_parts
from ..language.questions import asks_about_readers, split_clauses
from ..language.terms import question_terms, term_set, terms
from .config import RetrievalConfig
from .evidence import clause_weights, evidence_scores
from .filters import SearchFilters, chroma_where
from .lexical import LexicalIndex, LiveLexicalIndex
from .lexrank import rank_lexical
from .multipart import merge_parts, search_parts
from .recency import newness_of, published
from .rerank import CandidatePool, Reranker


class HybridRetriever:
    """BM25 + dense retrieval over a `NewsStore`, aware of outlets and dates named in questions."""

    def __init__(self, store: NewsStore, config: RetrievalConfig | None = None, *,
                 refresh_interval: float = 1.0, **overrides: Any) -> None:
        self.store = store
        self.config = replace(config or RetrievalConfig(), **overrides)
        self._reranker: Reranker | None = None
        self.lexical = LiveLexicalIndex(store, k1=self.config.k1, b=self.config.b, refresh_interval=refresh_interval)

    # --- the index ---------------------------------------------------------------------------
    def index(self) -> LexicalIndex:
        """The current lexical index (built on first use)."""
        return self.lexical.current()

    def refresh_if_stale(self, *, wait: bool = False) -> bool:
        """Follow a re-ingest (see `LiveLexicalIndex.refresh_if_stale`)."""
        return self.lexical.refresh_if_stale(wait=wait)

    def wait_for_refresh(self, timeout: float | None = None) -> None:
        """Wait for a background rebuild, if one is running."""
        self.lexical.wait_for_refresh(timeout)

    @property
    def sources(self) -> list[str]:
        """The outlets present in the store (as of the lexical index)."""
        return list(self.index().sources)

    def idf(self, term: str) -> float:
        """The corpus IDF of a term."""
        return self.index().idf(term)

    def df(self, term: str) -> int:
        """How many chunks of the corpus write a term."""
        return self.index().df(term)

    def terms_starting_with(self, prefix: str) -> list[str]:
        """Longer terms of the corpus that start with `prefix`."""
        return self.index().terms_starting_with(prefix)

    def document_passages(self, doc_id: str, limit: int | None = None) -> list[Passage]:
        """The chunks of one document in order, every one or the first `limit` (from the lexical
        index: no store call)."""
        return self.index().document_passages(doc_id, limit)

    def published(self, first: date | None, last: date | None, k: int = 10,
                  filters: SearchFilters | None = None) -> list[Passage]:
        """What "What happened on 16 May 2025?" or "What's new?" lists (`recency.published`)."""
        return published(self.index(), first, last, k, filters)

    # --- search ------------------------------------------------------------------------------
    def reranker(self) -> Reranker:
        """The learned re-ranker (`rerank.py`), loaded on first use."""
        if self._reranker is None:
            self._reranker = Reranker.default()
        return self._reranker

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None, *,
               about_readers: bool | None = None) -> list[Passage]:
        """Top-k passages, readers' comments first for questions about readers (`about_readers`;
        None = decide from the query).

        Each Passage has .score (fused) and .ranks/.scores dicts with keys "dense", "lexical",
        "fused" (rank 1-based; a missing key = not in that list): scores["dense"] is the
        cosine similarity, scores["lexical"] the BM25 score of the whole question.
        """
        pool = self.candidate_pool(query, k, filters)
        found = self.reranker().rerank(self.index(), pool, k) if pool.several else pool.merged
        if about_readers is None:
            about_readers = asks_about_readers(query)
        # "What did Dr Hedgerow say?": the named commenter's comments lead
        # (from the merged list too: the re-ranker never saw a comment in training)
        by_named = list({p.chunk_id: p for p in found + pool.merged if named_commenter(query, p)}.values())
        if by_named:
            named_ids = {p.chunk_id for p in by_named}
            return (by_named + [p for p in found if p.chunk_id not in named_ids])[:k]
        if about_readers and (filters is None or filters.kinds is None):
            comments = self.ranked(query, k, replace(filters or SearchFilters(), kinds=("comment",)))
            found = readers_first(comments, found, k, self.config.readers_reporting)
        return found[:k]

    def candidate_pool(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> CandidatePool:
        """The rankings a search merges, and their merge by the fixed rules (`CandidatePool.merged`,
        the top k): the whole question's (searched again with the answer feedback's name, for a
        who/which question), each part's (`multipart`) and each descriptive clause's picks. A
        question with parts or picks (one that names outlets or dates) is `several`: its
        rankings are longer, for the re-ranker."""
        cfg = self.config
        parts = question_parts(query, self.index().outlets) if cfg.part_slots > 0 else []
        clauses = self.pick_clauses(query) if cfg.clause_slots > 0 else []
        several = cfg.rerank and bool(parts or clauses)
        pool_size = max(k, cfg.rerank_pool) if several else k
        evidence = not (several and cfg.rerank_without_evidence)
        found = self.ranked(query, k, filters, pool=pool_size, evidence=evidence)
        name = self.answer_feedback(query, found[:k]) if cfg.answer_feedback and found else None
        searched = f"{query} {name}" if name else query
        if name:
            found = self.ranked(searched, k, filters, pool=pool_size, evidence=evidence)
        picks = self.clause_picks(query, name, filters, clauses=clauses) if clauses else []
        if parts and name:
            parts = [replace(p, text=f"{p.text} {name}") for p in parts]
        per_part = search_parts(lambda q, n, f: self.ranked(q, n, f, dense=cfg.part_dense, candidates=cfg.part_candidates,
                                                            evidence=evidence),
                                parts, filters, max(cfg.part_slots, cfg.rerank_part_pool if several else 0),
                                window_days=cfg.part_window_days) if parts else []
        main = list(found)
        if per_part or picks:
            merged = merge_parts(found, per_part, k, lead=cfg.part_lead, slots=cfg.part_slots, extra=picks)
        else:
            merged = found[:k]
        return CandidatePool(query, searched, merged, main, per_part, picks, name, several)

    def pick_clauses(self, query: str) -> list[str]:
        """The descriptive clauses `clause_picks` searches: none unless the question names an
        outlet and no date."""
        index = self.index()
        if not index.outlets.mentioned_in(query) or find_dates(query):
            return []
        return descriptive_clauses(query, index.outlets)

    def clause_picks(self, query: str, name: str | None = None, filters: SearchFilters | None = None, *,
                     clauses: list[str] | None = None) -> list[list[Passage]]:
        """Per descriptive clause of a question that names outlets (`descriptive_clauses`;
        none for a question that names a date), its best `clause_slots` passages by BM25 of
        the clause (plus `name`, the answer feedback's) among the named outlets' chunks, and
        reporting only unless the question is about readers. One lexical ranking per clause
        over cached term scores, no dense query, no sentence evidence (measured: no better)."""
        index = self.index()
        named = tuple(dict.fromkeys(index.outlets.mentioned_in(query)))
        clauses = self.pick_clauses(query) if clauses is None else clauses
        if not clauses:
            return []
        scope = filters or SearchFilters()
        if scope.sources is None:
            scope = replace(scope, sources=named)
        if scope.kinds is None and not asks_about_readers(query):
            scope = replace(scope, kinds=("article",))
        out = []
        for clause in clauses:
            lex = rank_lexical(index, terms(f"{clause} {name}" if name else clause), [], scope, 0.0,
                               self.config.clause_slots)
            found = []
            for rank, (i, value) in enumerate(zip(lex.top, lex.top_values), start=1):
                p = index.passage(int(i))
                p.ranks, p.scores = {"lexical": rank, "fused": rank}, {"lexical": float(value), "fused": float(value)}
                p.score = float(value)
                found.append(p)
            out.append(found)
        return out

    def answer_feedback(self, query: str, found: list[Passage]) -> str | None:
        """For a who/which question, the name its best passages most support ("Valve",
        "Sam Bankman-Fried"): the second search adds it, since the facts of each article
        about that entity name it while the question only describes it. None unless the
        best passage writes the name."""
        name = likely_answer(query, [(p.text, 1.0 / r) for r, p in enumerate(found, start=1)], self.index().sources)
        # a name the best passage never writes would pull the question towards another story
        return name if name and name.split()[-1] in found[0].text else None

    def ranked(self, query: str, k: int = 10, filters: SearchFilters | None = None, *,
               dense: bool | None = None, candidates: int | None = None, pool: int | None = None,
               evidence: bool = True) -> list[Passage]:
        """Top-k passages by fused score (no readers-first reordering); `dense` overrides the
        configured mode (False: lexical only), `candidates` the pool size; with `pool` > k, the
        next passages by score follow the top k, up to `pool` in all."""
        cfg = self.config
        index = self.index()
        if k <= 0 or not query.strip():
            return []
        allowed = index.allowed_rows(filters)
        if allowed is not None and not len(allowed):
            return []  # nothing the filters allow (comments, in a store without any): no store query either
        sources = index.resolve_sources(filters)

        # 1. lexical: the whole question, plus its best-matching clause (among the allowed rows)
        q_terms = terms(query)
        clauses = split_clauses(query, terms) if cfg.clause_weight > 0 else []
        lex = rank_lexical(index, q_terms, [terms(c) for c in clauses] if len(clauses) > 1 else [], filters,
                           cfg.clause_weight, candidates or cfg.candidates)
        n_lex, lex_top, lex_rank = len(lex.top), lex.top, lex.rank

        # 2. dense pool (Chroma, same filters)
        dense_hits: list[Passage] = []
        use_dense = cfg.dense == "always" or (cfg.dense == "auto" and (len(q_terms) <= cfg.dense_max_terms or n_lex == 0))
        if dense is not None:
            use_dense = dense and use_dense
        if use_dense:
            vector = self.store.embedder.encode_query(query)
            dense_hits = self.store.query(vector, candidates or cfg.candidates, where=chroma_where(filters, sources))

        # 3. fuse over the union of both pools
        # keyed by row (a chunk id only for a dense hit the index does not hold): reading ids is not free
        cand: dict[int | str, dict[str, Any]] = {int(i): {"i": int(i), "lex": float(v)}
                                                 for i, v in zip(lex_top, lex.top_values)}
        if dense_hits:
            sims = np.array([p.score for p in dense_hits])
            lo, hi = float(sims.min()), float(sims.max())
            for r, p in enumerate(dense_hits, start=1):
                row = index.pos.get(p.chunk_id)
                c = cand.setdefault(p.chunk_id if row is None else row, {"i": row, "lex": 0.0})
                if c["i"] is not None and c["lex"] == 0.0:
                    c["lex"] = lex.lexical(c["i"])
                c["dense_rank"], c["dense_sim"] = r, float(p.score)
                c["dense_norm"] = (p.score - lo) / (hi - lo) if hi > lo else 1.0
                c["passage"] = p
        if not cand:
            return []
        outlets = set(index.outlets.mentioned_in(query)) if cfg.source_boost else set()
        # Readers' comments are short, so their headline (indexed with them) weighs more in
        # BM25 than in a long article chunk; unless the question is about readers, they
        # count less than reporting.
        comment_factor = 1.0 if asks_about_readers(query) else cfg.comment_weight
        dates = find_dates(query) if cfg.date_boost else []
        near = index.dates_near(dates, cfg.date_window_days, [c["i"] for c in cand.values() if c["i"] is not None]) \
            if dates else None
        newness = newness_of(index, cand) if cfg.recency_boost and asks_for_latest(query) else {}
        for c in cand.values():
            i = c["i"]
            source = index.source_name(i) if i is not None else c["passage"].source
            kind = index.kind_name(i) if i is not None else c["passage"].kind
            score = (c["lex"] + cfg.dense_weight * c.get("dense_norm", 0.0)) * (
                comment_factor if kind == "comment" else 1.0)
            if source in outlets:
                score += cfg.source_boost
            if near is not None and (near[i] if i is not None
                                     else published_near(c["passage"].published, dates, cfg.date_window_days)):
                score += cfg.date_boost
            c["fused"] = score + cfg.recency_boost * newness.get(id(c), 0.0)
        if evidence and cfg.sentence_weight > 0 and not (cfg.sentence_undated_only and (dates or find_dates(query))):
            self._add_sentence_evidence(index, query, clauses, cand)
        ordered = sorted(cand.items(), key=lambda kv: -kv[1]["fused"])
        ordered = _cap_per_doc(ordered, index, max(cfg.per_doc_cap, k // 2), k)

        # 4. passages with ranks and scores
        out: list[Passage] = []
        for rank, (_, c) in enumerate(ordered[:max(k, pool or 0)], start=1):
            p = c.get("passage") or index.passage(c["i"])
            p.ranks, p.scores = {}, {}
            if "dense_rank" in c:
                p.ranks["dense"] = c["dense_rank"]
                p.scores["dense"] = c["dense_sim"]
            if c["i"] is not None and c["i"] in lex_rank:
                p.ranks["lexical"] = lex_rank[c["i"]]
                p.scores["lexical"] = lex.full(c["i"])
            p.ranks["fused"] = rank
            p.scores["fused"] = p.score = float(c["fused"])
            out.append(p)
        return out

    def _add_sentence_evidence(self, index: LexicalIndex, query: str, clauses: list[str],
                               cand: dict[int | str, dict[str, Any]]) -> None:
        """Add `sentence_weight` x sentence evidence (`evidence.evidence_scores`) to the fused
        score of the best `sentence_pool` candidates, matched against the question's clauses
        (or the whole question when it has one)."""
        cfg = self.config
        named = {t for outlet in index.outlets.mentioned_in(query) for t in question_terms(outlet)}
        weights = clause_weights(index, clauses if len(clauses) > 1 else [query], named)
        best = sorted((c for c in cand.values() if c["i"] is not None), key=lambda c: -c["fused"])[:cfg.sentence_pool]
        evidence = evidence_scores(index, [c["i"] for c in best], weights)
        for c in best:
            c["fused"] += cfg.sentence_weight * evidence.get(c["i"], 0.0)


def named_commenter(query: str, passage: Passage) -> bool:
    """True when the passage is a reader's comment whose author's whole name the question writes."""
    if not (passage.is_comment and passage.author):
        return False
    name = term_set(passage.author)
    return bool(name) and name <= term_set(query)


def readers_first(comments: list[Passage], found: list[Passage], k: int, reporting: int) -> list[Passage]:
    """Readers' comments on the stories `found` reports first, then the best `reporting` of its
    reporting passages, then the other comments and the rest of `found`. A question about
    what GPs think of a scheme is answered from the comments on it when there are some; when
    the best-matching comments are on other stories, the reporting that names the scheme
    still comes before them (and the gate sees it)."""
    stories = {p.article_id for p in found if not p.is_comment}
    kept = [p for p in found if not p.is_comment][:min(reporting, k)]
    lead = [p for p in comments if p.article_id in stories][:k - len(kept)]
    ids: set[str] = set()
    out = []
    for p in lead + kept + comments + found:
        if p.chunk_id not in ids:
            ids.add(p.chunk_id)
            out.append(p)
    return out




def _cap_per_doc(ordered: list, index: LexicalIndex, cap: int, k: int) -> list:
    """At most `cap` chunks of one document in the first k; the rest keep their order after."""
    if cap <= 0:
        return ordered
    head, tail, seen = [], [], {}
    for item in ordered:
        c = item[1]
        doc = index.doc[c["i"]] if c["i"] is not None else c["passage"].doc_id
        if len(head) < k and seen.get(doc, 0) < cap:
            head.append(item)
            seen[doc] = seen.get(doc, 0) + 1
        else:
            tail.append(item)
    return head + tail
