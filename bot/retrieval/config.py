"""The tunable numbers of hybrid retrieval, in one frozen dataclass (`RetrievalConfig`)."""

from __future__ import annotations

from dataclasses import dataclass


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
    rerank: bool = True  # re-order the merged rankings' pool with the learned model (`rerank.py`); False = the
    # fixed merge rules alone
    rerank_pool: int = 20  # ... the whole question's ranking contributes this many passages to the pool (plus
    # each part's `rerank_part_pool` and each clause's picks). CV complete@10 with 20 / 10: 0.558; 12 / 5: 0.547; 10 / 4: 0.523
    rerank_part_pool: int = 10  # ... each part's ranking contributes this many
    rerank_without_evidence: bool = True  # a re-ranked question's rankings skip sentence evidence: the model reads
    # it itself (`rerank.pool_features`). MultiHop dev, 5-fold CV: MRR 0.841 -> 0.835, complete@10 0.558 -> 0.557;
    # search at 100k chunks +3.3 -> +2.4 ms p50, +5.5 -> +2.9 ms p95 over the fixed merge (min of 3 passes)
    k1: float = 1.2  # BM25 term-frequency saturation
    b: float = 0.75  # BM25 length normalisation

    def __post_init__(self) -> None:
        if self.dense not in ("auto", "always", "never"):
            raise ValueError("dense must be 'auto', 'always' or 'never'")
