"""Sentence-level evidence (bot/retrieval/evidence.py): the chunk whose one sentence holds a
clause beats the chunk that spreads the same words over many sentences."""

from __future__ import annotations

import math

from bot.language.analysis import analysed
from bot.language.terms import term_set
from bot.retrieval.evidence import best_sentence_mass, clause_weights, evidence_scores

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
    """What evidence.py reads of a LexicalIndex: analysed records, vocabulary and IDF."""

    def __init__(self, texts: list[str]) -> None:
        self.snapshot = _Snapshot(texts)
        self.df: dict[str, int] = {}
        for text in texts:
            for t in term_set(text):
                self.df[t] = self.df.get(t, 0) + 1
        self.size = len(texts)
        self.vocab = {t: i for i, t in enumerate(sorted(self.df))}

    def analysed(self, i: int):  # noqa: ANN201 - an AnalysedText
        return analysed(self.snapshot.record(i)[1])

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))


def test_dense_sentence_beats_diffuse_chunk() -> None:
    index = _Index([DENSE, DIFFUSE, NOTHING])
    clauses = clause_weights(index, ["What was the chipmaker's operating income in the third quarter?"])
    scores = evidence_scores(index, [0, 1, 2], clauses)
    assert scores[0] == 1.0
    assert scores[1] < 0.5  # every term is in the chunk, but no sentence holds more than two
    assert scores[2] == 0.0


def test_best_clause_counts_and_outlet_names_are_left_out() -> None:
    index = _Index([DENSE, DIFFUSE, "TechCrunch TechCrunch TechCrunch said so."])
    clauses = clause_weights(index, ["as reported by TechCrunch", "operating income third quarter"],
                             leave_out={"techcrunch"})
    assert len(clauses) == 1  # the first clause is only the outlet's name
    scores = evidence_scores(index, [0, 1, 2], clauses)
    assert scores[2] == 0.0 and scores[0] == 1.0


def test_best_sentence_mass_is_the_single_best_sentence() -> None:
    rows = [[frozenset("ab"), frozenset("c")], [frozenset("abd")], [], [frozenset("d"), frozenset("ac")]]
    clause = {"a": 1.0, "b": 2.0, "c": 4.0}
    # row 0: 4.0, not 7.0 (its terms are in different sentences); row 2 has no sentence
    assert [best_sentence_mass(r, [clause]) for r in rows] == [4.0, 3.0, 0.0, 5.0]
    clauses = [{"a": 1.0, "b": 2.0}, {"c": 0.5, "unknown": 9.0}]
    # the best clause of each sentence; unknown terms count nothing
    assert [best_sentence_mass(r, clauses) for r in rows] == [3.0, 3.0, 0.0, 1.0]
    assert [best_sentence_mass(r, [{"unknown": 1.0}]) for r in rows] == [0.0] * 4


def test_sentences_come_from_the_analysis_the_answerer_reads() -> None:
    """A candidate's sentences are worked out once: the gate and the answerer, reading the
    same passage afterwards, find its analysis done."""
    index = _Index([DENSE, DIFFUSE])
    analysed.cache_clear()
    evidence_scores(index, [0, 1], clause_weights(index, ["operating income third quarter"]))
    assert analysed.cache_info().misses == 2
    analysed(DENSE)
    analysed(DIFFUSE)
    assert analysed.cache_info().hits == 2


def test_no_clause_or_no_match_gives_no_evidence() -> None:
    index = _Index([NOTHING])
    assert evidence_scores(index, [0], []) == {}
    assert evidence_scores(index, [0], clause_weights(index, ["chipmaker income"])) == {}
