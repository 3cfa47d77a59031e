"""Sentence-level evidence (bot/retrieval/evidence.py): the chunk whose one sentence holds a
clause beats the chunk that spreads the same words over many sentences."""

from __future__ import annotations

import math

from bot.retrieval.evidence import SentenceTerms, best_sentence_mass, clause_weights, evidence_scores
from bot.language.terms import term_set

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
    """What evidence.py reads of a LexicalIndex: records and IDF."""

    def __init__(self, texts: list[str]) -> None:
        self.snapshot = _Snapshot(texts)
        self.df: dict[str, int] = {}
        for text in texts:
            for t in term_set(text):
                self.df[t] = self.df.get(t, 0) + 1
        self.size = len(texts)

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


def test_best_sentence_mass_is_the_single_best_sentence() -> None:
    sentences = (frozenset({"a", "b"}), frozenset({"c"}))
    clauses = [{"a": 1.0, "b": 2.0, "c": 4.0}]
    assert best_sentence_mass(sentences, clauses) == 4.0  # not 7.0: the terms are in different sentences
    assert best_sentence_mass(sentences, [{"a": 1.0, "b": 2.0}, {"c": 0.5}]) == 3.0
    assert best_sentence_mass((), clauses) == 0.0


def test_sentences_are_read_once_per_chunk() -> None:
    index = _Index([DENSE, DIFFUSE])
    cache = SentenceTerms(size=1)
    first = cache.of(index, 0)
    assert len(first) == 3 and cache.of(index, 0) is first
    assert index.snapshot.reads == 1
    cache.of(index, 1)
    cache.of(index, 0)  # evicted by row 1 (size 1): read again
    assert index.snapshot.reads == 3


def test_no_clause_or_no_match_gives_no_evidence() -> None:
    index = _Index([NOTHING])
    assert evidence_scores(index, SentenceTerms(), [0], []) == {}
    assert evidence_scores(index, SentenceTerms(), [0], clause_weights(index, ["chipmaker income"])) == {}
