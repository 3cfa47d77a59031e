"""The default answerer, with no LLM: it quotes the one to three retrieved sentences that
best answer the question, with [n] citations, or says plainly that the coverage does
not answer it.

A sentence's score is the share of the question's term weight (IDF) it covers, weighted
by how its passage ranked, with a bonus for figures when the question asks "how much"
or "how many". Whether anything answers the question at all is decided by two measured
signals: how much of the question's term weight the best passages cover, and the dense
similarity of the best passage (thresholds calibrated on MultiHop-RAG's null questions
and the project's QA file; see BENCHMARKS.md).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Sequence

from ingest.chunking import split_sentences
from vectorstore.passage import Passage

from .answer import Answer, Citation
from .terms import has_figure, terms

IdfFn = Callable[[str], float]
_QUANTITY_Q = re.compile(r"\b(how (much|many|big|large|long)|what (percentage|proportion|share|number|figure|amount|sum|rate))\b", re.I)
_WHEN_Q = re.compile(r"\b(when|what date|which date|what year|by when)\b", re.I)
_COMMENT_Q = re.compile(r"\b(readers?|comments?|commenters?|commented|reaction|react(ed)?|views? of gps|gps (say|think|feel))\b", re.I)
_DATE_WORD = re.compile(r"\b(\d{4}|january|february|march|april|may|june|july|august|september|october|november|december)\b", re.I)


@dataclass
class ScoredSentence:
    """A candidate sentence for the answer."""

    text: str
    passage_index: int
    score: float
    covered: frozenset[str]


@dataclass
class ExtractiveConfig:
    """Tunable numbers of the extractive answerer."""

    max_sentences: int = 3
    min_coverage: float = 0.30  # share of the question's term weight the best passages must cover
    min_dense: float = 0.25  # cosine of the best passage to the question (when known)
    follow_ratio: float = 0.6  # a 2nd/3rd sentence must score this share of the best
    comment_weight: float = 0.8  # comments count less unless the question asks about readers
    max_quote_chars: int = 600


def candidate_idf(passages: Sequence[Passage]) -> IdfFn:
    """An IDF from the candidate passages themselves (used when no corpus IDF is given)."""
    n = max(1, len(passages))
    df: dict[str, int] = {}
    for p in passages:
        for t in set(terms(p.text)):
            df[t] = df.get(t, 0) + 1
    return lambda t: math.log(1 + (n + 1) / (df.get(t, 0) + 0.5))


class ExtractiveAnswerer:
    """Answers by quoting retrieved sentences, citing each as [n]."""

    name = "extractive"

    def __init__(self, config: ExtractiveConfig | None = None, idf: IdfFn | None = None) -> None:
        self.config = config or ExtractiveConfig()
        self.idf = idf

    def relevance(self, question: str, passages: Sequence[Passage]) -> tuple[float, float]:
        """(coverage, dense): how much of the question the top passages cover, and the best
        passage's dense similarity (-1 when unknown)."""
        q_terms = set(terms(question))
        if not q_terms or not passages:
            return 0.0, -1.0
        idf = self.idf or candidate_idf(passages)
        weights = {t: idf(t) for t in q_terms}
        total = sum(weights.values()) or 1.0
        top = passages[:3]
        covered: set[str] = set()
        best_single = 0.0
        for p in top:
            p_terms = set(terms(f"{p.title} {p.text}"))
            hit = q_terms & p_terms
            covered |= hit
            best_single = max(best_single, sum(weights[t] for t in hit) / total)
        union = sum(weights[t] for t in covered) / total
        coverage = 0.5 * best_single + 0.5 * union
        dense = max((p.scores.get("dense_sim", p.scores.get("dense", -1.0)) for p in passages[:5]
                     if "dense_sim" in p.scores or "dense" in p.scores), default=-1.0)
        return coverage, float(dense)

    def is_answerable(self, question: str, passages: Sequence[Passage]) -> bool:
        """The calibrated decision: do the retrieved passages answer the question at all?"""
        coverage, dense = self.relevance(question, passages)
        if coverage < self.config.min_coverage:
            return False
        return dense < -0.5 or dense >= self.config.min_dense

    def score_sentences(self, question: str, passages: Sequence[Passage]) -> list[ScoredSentence]:
        """Every sentence of the passages, scored against the question, best first."""
        q_terms = set(terms(question))
        idf = self.idf or candidate_idf(passages)
        weights = {t: idf(t) for t in q_terms}
        total = sum(weights.values()) or 1.0
        wants_figure = bool(_QUANTITY_Q.search(question))
        wants_date = bool(_WHEN_Q.search(question))
        wants_comments = bool(_COMMENT_Q.search(question))
        scored: list[ScoredSentence] = []
        for index, passage in enumerate(passages):
            prior = 1.0 / (1.0 + 0.15 * index)  # retrieval order matters, gently
            kind_weight = 1.0
            if passage.is_comment:
                kind_weight = 1.15 if wants_comments else self.config.comment_weight
            title_terms = set(terms(passage.title))
            for sentence in split_sentences(passage.text):
                s_terms = set(terms(sentence))
                hit = q_terms & s_terms
                if not hit:
                    continue
                # terms the headline supplies count half: the sentence is about that story
                context = (q_terms & title_terms) - hit
                cover = (sum(weights[t] for t in hit) + 0.5 * sum(weights[t] for t in context)) / total
                score = cover * prior * kind_weight
                if wants_figure and has_figure(sentence):
                    score *= 1.3
                if wants_date and _DATE_WORD.search(sentence):
                    score *= 1.3
                if len(sentence) < 25:
                    score *= 0.5  # fragments answer little
                scored.append(ScoredSentence(sentence, index, score, frozenset(hit)))
        scored.sort(key=lambda s: s.score, reverse=True)
        return scored

    def select(self, scored: list[ScoredSentence]) -> list[ScoredSentence]:
        """The best sentence, plus up to two more that add something and score well enough."""
        if not scored:
            return []
        chosen = [scored[0]]
        covered = set(scored[0].covered)
        for cand in scored[1:]:
            if len(chosen) >= self.config.max_sentences:
                break
            if cand.score < self.config.follow_ratio * scored[0].score:
                break
            if any(_similar(cand.text, c.text) for c in chosen):
                continue
            if cand.covered <= covered and cand.passage_index in {c.passage_index for c in chosen}:
                continue  # says nothing new from the same passage
            chosen.append(cand)
            covered |= cand.covered
        return chosen

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        """Quote the best sentences with [n] citations, or say the coverage doesn't answer."""
        passages = list(passages)
        if not passages or not self.is_answerable(question, passages):
            return Answer.not_found(question, passages=passages)
        chosen = self.select(self.score_sentences(question, passages))
        if not chosen:
            return Answer.not_found(question, passages=passages)
        numbers: dict[int, int] = {}
        citations: list[Citation] = []
        parts: list[str] = []
        for sentence in chosen:
            if sentence.passage_index not in numbers:
                numbers[sentence.passage_index] = len(numbers) + 1
                citations.append(Citation.from_passage(numbers[sentence.passage_index],
                                                       passages[sentence.passage_index]))
            n = numbers[sentence.passage_index]
            parts.append(render_quote(sentence.text, passages[sentence.passage_index], n,
                                      self.config.max_quote_chars))
        return Answer(question=question, answer=" ".join(parts), found=True, citations=citations,
                      passages=passages, answerer=self.name)


def render_quote(sentence: str, passage: Passage, n: int, max_chars: int = 600) -> str:
    """A quoted sentence with its [n]; a reader's comment is labelled as a reader's view."""
    text = sentence if len(sentence) <= max_chars else sentence[: max_chars - 1].rsplit(" ", 1)[0] + "…"
    if passage.is_comment:
        who = f"A reader ({passage.author})" if passage.author else "A reader"
        return f"{who} commented: “{text}” [{n}]"
    return f"{text} [{n}]"


def _similar(a: str, b: str) -> bool:
    ta, tb = set(terms(a)), set(terms(b))
    if not ta or not tb:
        return a == b
    return len(ta & tb) / min(len(ta), len(tb)) > 0.8
