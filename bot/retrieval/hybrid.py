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

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np

from vectorstore.passage import Passage
from vectorstore.store import NewsStore

from ..language.dates import asks_for_latest, find_dates, near_date
from ..language.entities import likely_answer
from ..language.parts import descriptive_clauses, question_parts
from ..language.questions import asks_about_readers, split_clauses
from ..language.terms import question_terms, term_set, terms
from .evidence import clause_weights, evidence_scores
from .filters import SearchFilters, chroma_where
from .lexical import LexicalIndex, LiveLexicalIndex
from .lexrank import rank_lexical
from .multipart import merge_parts, search_parts
from .recency import newness_of, published


@dataclass(frozen=True)
class RetrievalConfig:
    """Tunable numbers of hybrid retrieval (tuned on MultiHop-RAG dev, 256-token chunks)."""

    candidates: int = 50  # pool size of each side (lexical, dense) before fusion
    clause_weight: float = 2.0  # weight of a chunk's best clause score beside its whole-question score
    source_boost: float = 0.3  # added for a chunk from an outlet the question names
    date_boost: float = 0.1  # added for a chunk published near a date the question names
    date_window_days: int = 1  # "near" a date: within this many days
    recency_boost: float = 0.2  # "What's the latest on X?": up to this much for the newest candidates (linear in
    # their publication day between the pool's oldest and newest; undated: 0)
    dense: str = "auto"  # "auto" (short questions only), "always" or "never"
    dense_weight: float = 0.1  # weight of the min-max normalised cosine beside the lexical score
    dense_max_terms: int = 16  # "auto": questions with at most this many terms use the encoder
    per_doc_cap: int = 3  # most chunks of one document in the top k (at least k // 2)
    comment_weight: float = 0.7  # readers' comments weigh this much unless the question is about readers
    readers_reporting: int = 3  # a question about readers: reporting passages kept in the top k after the comments
    part_slots: int = 2  # multi-part questions: rounds of each part's best passages after the lead (0 = off)
    part_lead: int = 2  # ... placed after this many of the whole question's best
    answer_feedback: bool = True  # who/which questions: search again with the name the first results support
    part_window_days: int = 1  # a part's date filter: within this many days
    part_candidates: int = 10  # a part's pool (it gives part_slots passages): MultiHop dev figures the same with
    # 10, 20 or 50; at 100k chunks 10 saves ~0.9 ms a question of fusing candidates no part slot takes
    part_dense: bool = False  # parts are searched lexically: a filtered dense query per part cost ~40 ms for
    # complete@10 0.4535 vs 0.4505 on dev (measured 2026-11-26)
    sentence_weight: float = 0.4  # weight of a chunk's best-sentence match (0..1, see evidence.py); 0 = off:
    # MultiHop dev MRR 0.739 -> 0.769, MAP 0.404 -> 0.419, complete@4 0.278 -> 0.312 (weights 0.3 / 0.5:
    # MRR 0.763 / 0.765, complete@10 0.479 / 0.484)
    sentence_pool: int = 10  # ... scored for this many of the best candidates (20: MRR 0.769, complete@10
    # 0.483, Hits@10 0.970; 10: 0.769, 0.487, 0.972, with half the sentences to read; 50: slower still)
    sentence_undated_only: bool = True  # ... not for a question (or part) that names a date: temporal questions
    # ask how dated reports changed, in other words than their sentences' (temporal Hits@4 0.886 -> 0.823 with,
    # 0.869 without; all types Hits@4 0.910 -> 0.922)
    clause_slots: int = 2  # questions naming outlets and no date: each descriptive clause's best passages
    # (BM25 of the clause over the named outlets' chunks; one lexical ranking per clause, no dense query)
    # that take the last places of the top k when missing; 0 = off. MultiHop dev (2026-11-26): complete@10
    # 0.487 -> 0.505 (inference 0.290 -> 0.331, comparison 0.708 -> 0.716, temporal 0.440), Hits@10 0.972 ->
    # 0.978, MAP 0.420 -> 0.421, answer_quotes_fact 0.805 -> 0.815; 1 slot: 0.498, 3: 0.486 (they push the
    # whole question's own finds out); scored as full rankings with sentence evidence: 0.504, ~3x the time;
    # for dated questions too: temporal 0.440 -> 0.434; for questions naming no outlet (whole corpus): no
    # change but null questions refused 87.8% -> 86.7%. Cost: 1.9 lexical rankings a question on average (2.9 for
    # the 65% that get picks); +0.64 ms a question on the 7.5k-chunk dev store, +1.45 ms (search p50 +0.9 ms) on
    # the 100k-chunk snapshot, lexical side only
    k1: float = 1.2  # BM25 term-frequency saturation
    b: float = 0.75  # BM25 length normalisation

    def __post_init__(self) -> None:
        if self.dense not in ("auto", "always", "never"):
            raise ValueError("dense must be 'auto', 'always' or 'never'")


class HybridRetriever:
    """BM25 + dense retrieval over a `NewsStore`, aware of outlets and dates named in questions."""

    def __init__(self, store: NewsStore, config: RetrievalConfig | None = None, *,
                 refresh_interval: float = 1.0, **overrides: Any) -> None:
        self.store = store
        self.config = replace(config or RetrievalConfig(), **overrides)
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
    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None, *,
               about_readers: bool | None = None) -> list[Passage]:
        """Top-k passages, readers' comments first for questions about readers (`about_readers`;
        None = decide from the query).

        Each Passage has .score (fused) and .ranks/.scores dicts with keys "dense", "lexical",
        "fused" (rank 1-based; a missing key = not in that list): scores["dense"] is the
        cosine similarity, scores["lexical"] the BM25 score of the whole question.
        """
        found = self.ranked(query, k, filters)
        name = self.answer_feedback(query, found) if self.config.answer_feedback else None
        if name:
            found = self.ranked(f"{query} {name}", k, filters)
        picks = self.clause_picks(query, name, filters) if self.config.clause_slots > 0 else []
        parts = question_parts(query, self.index().outlets) if self.config.part_slots > 0 else []
        if parts and name:
            parts = [replace(p, text=f"{p.text} {name}") for p in parts]
        if parts:
            found = search_parts(lambda q, n, f: self.ranked(q, n, f, dense=self.config.part_dense,
                                                             candidates=self.config.part_candidates), parts, found,
                                 k, filters,
                                 lead=self.config.part_lead, slots=self.config.part_slots,
                                 window_days=self.config.part_window_days, extra=picks)
        elif picks:
            found = merge_parts(found, [], k, lead=self.config.part_lead, slots=0, extra=picks)
        if about_readers is None:
            about_readers = asks_about_readers(query)
        # "What did Dr Hedgerow say?": the named commenter's comments lead
        by_named = [p for p in found if named_commenter(query, p)]
        if by_named:
            return (by_named + [p for p in found if not named_commenter(query, p)])[:k]
        if about_readers and (filters is None or filters.kinds is None):
            comments = self.ranked(query, k, replace(filters or SearchFilters(), kinds=("comment",)))
            found = readers_first(comments, found, k, self.config.readers_reporting)
        return found[:k]

    def clause_picks(self, query: str, name: str | None = None, filters: SearchFilters | None = None,
                     ) -> list[list[Passage]]:
        """Per descriptive clause of a question that names outlets (`descriptive_clauses`;
        none for a question that names a date), its best `clause_slots` passages by BM25 of
        the clause (plus `name`, the answer feedback's) among the named outlets' chunks, and
        reporting only unless the question is about readers. One lexical ranking per clause
        over cached term scores, no dense query, no sentence evidence (measured: no better)."""
        index = self.index()
        named = tuple(dict.fromkeys(index.outlets.mentioned_in(query)))
        if not named or find_dates(query):
            return []
        clauses = descriptive_clauses(query, index.outlets)
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
               dense: bool | None = None, candidates: int | None = None) -> list[Passage]:
        """Top-k passages by fused score (no readers-first reordering); `dense` overrides the
        configured mode (False: lexical only), `candidates` the pool size."""
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
            if near is not None and (near[i] if i is not None else _near(c["passage"], dates, cfg.date_window_days)):
                score += cfg.date_boost
            c["fused"] = score + cfg.recency_boost * newness.get(id(c), 0.0)
        if cfg.sentence_weight > 0 and not (cfg.sentence_undated_only and (dates or find_dates(query))):
            self._add_sentence_evidence(index, query, clauses, cand)
        ordered = sorted(cand.items(), key=lambda kv: -kv[1]["fused"])
        ordered = _cap_per_doc(ordered, index, max(cfg.per_doc_cap, k // 2), k)

        # 4. passages with ranks and scores
        out: list[Passage] = []
        for rank, (_, c) in enumerate(ordered[:k], start=1):
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


def _near(p: Passage, dates: list, window: int) -> bool:
    try:
        return near_date(date.fromisoformat(p.published[:10]), dates, window)
    except ValueError:
        return False


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
