"""Sentence-level evidence (bot/retrieval/evidence.py): the chunk whose one sentence holds a
clause beats the chunk that spreads the same words over many sentences."""

from __future__ import annotations

import math

import numpy as np

from bot.language.terms import term_set
from bot.retrieval.evidence import (
    SentenceTerms,
    best_sentence_mass,
    clause_weights,
    evidence_scores,
)

DENSE = ("The weather was mild. Operating income in the third quarter rose 20% at the chipmaker. "
         "Shares closed flat.")
DIFFUSE = ("Operating costs were discussed. Income from games was small. The third act of the play opened. "
           "A new quarter of the city was built.")
NOTHING = "Nothing here matches at all. Another sentence about gardens."


class _Snapshot:
    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.reads = 0

    def record(self, i: int) -> tuple[str, str, dict]:
        self.reads += 1
        return str(i), self.texts[i], {}


class _Index:
    """What evidence.py reads of a LexicalIndex: records, vocabulary and IDF."""

    def __init__(self, texts: list[str]) -> None:
        self.snapshot = _Snapshot(texts)
        self.df: dict[str, int] = {}
        for text in texts:
            for t in term_set(text):
                self.df[t] = self.df.get(t, 0) + 1
        self.size = len(texts)
        self.vocab = {t: i for i, t in enumerate(sorted(self.df))}

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))


def test_dense_sentence_beats_diffuse_chunk() -> None:
    index = _Index([DENSE, DIFFUSE, NOTHING])
    clauses = clause_weights(index, ["What was the chipmaker's operating income in the third quarter?"])
    scores = evidence_scores(index, SentenceTerms(), [0, 1, 2], clauses)
    assert scores[0] == 1.0
    assert scores[1] < 0.5  # every term is in the chunk, but no sentence holds more than two
    assert scores[2] == 0.0


def test_best_clause_counts_and_outlet_names_are_left_out() -> None:
    index = _Index([DENSE, DIFFUSE, "TechCrunch TechCrunch TechCrunch said so."])
    clauses = clause_weights(index, ["as reported by TechCrunch", "operating income third quarter"],
                             leave_out={"techcrunch"})
    assert len(clauses) == 1  # the first clause is only the outlet's name
    scores = evidence_scores(index, SentenceTerms(), [0, 1, 2], clauses)
    assert scores[2] == 0.0 and scores[0] == 1.0


def _row(*sentences: tuple[int, ...]):
    ids = [i for s in sentences for i in s]
    numbers = [n for n, s in enumerate(sentences) for _ in s]
    return np.array(ids, dtype=np.int32), np.array(numbers, dtype=np.int32), max(1, len(sentences))


def test_best_sentence_mass_is_the_single_best_sentence() -> None:
    vocab = {"a": 0, "b": 1, "c": 2, "d": 3}
    rows = [_row((0, 1), (2,)), _row((0, 1, 3)), _row(), _row((3,), (0, 2))]
    mass = best_sentence_mass(rows, [{"a": 1.0, "b": 2.0, "c": 4.0}], vocab)
    # row 0: 4.0, not 7.0 (its terms are in different sentences); row 2 has no sentence
    assert mass.tolist() == [4.0, 3.0, 0.0, 5.0]
    mass = best_sentence_mass(rows, [{"a": 1.0, "b": 2.0}, {"c": 0.5, "unknown": 9.0}], vocab)
    assert mass.tolist() == [3.0, 3.0, 0.0, 1.0]  # the best clause of each sentence; unknown terms count nothing
    assert best_sentence_mass(rows, [{"unknown": 1.0}], vocab).tolist() == [0.0] * 4


def test_sentences_are_read_once_per_chunk() -> None:
    index = _Index([DENSE, DIFFUSE])
    cache = SentenceTerms(size=1)
    first = cache.of(index, 0)
    assert first[2] == 3 and cache.of(index, 0) is first
    assert sorted(first[1].tolist()) == first[1].tolist()  # sentence numbers, in order
    assert index.snapshot.reads == 1
    cache.of(index, 1)
    cache.of(index, 0)  # evicted by row 1 (size 1): read again
    assert index.snapshot.reads == 3


def test_no_clause_or_no_match_gives_no_evidence() -> None:
    index = _Index([NOTHING])
    assert evidence_scores(index, SentenceTerms(), [0], []) == {}
    assert evidence_scores(index, SentenceTerms(), [0], clause_weights(index, ["chipmaker income"])) == {}
