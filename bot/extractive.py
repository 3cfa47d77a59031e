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
from .terms import COMMENT_Q, acronym_terms, terms

IdfFn = Callable[[str], float]
_QUANTITY_Q = re.compile(r"\b(how (much|many|big|large|long)|what (percentage|proportion|share|number|figure|amount|"
                         r"sum|rate|margin)|what was the vote|by what margin)\b", re.I)
_MONEY_Q = re.compile(r"\bhow much\b.*\b(money|cost|costs|spend|spending|spent|pay|paid|worth|fee|fees|price|budget|"
                      r"salary|lose|lost|earn|charge|invest|investment|pot|fund|funding|funds|grant|cash|top-up|uplift)\b|\b(what|which) (fee|price|rate|salary)\b", re.I)
_WHEN_Q = re.compile(r"\b(when|what date|which date|what year|by when|deadline|closing date)\b", re.I)
_OFTEN_Q = re.compile(r"\bhow (often|frequently)\b", re.I)
_MONTH = r"(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)"
_DATE_IN_TEXT = re.compile(r"\b(" + _MONTH + r"\b|\d{1,2}/\d{1,2}|(mon|tues|wednes|thurs|fri|satur|sun)day|"
                           r"(next|this) (week|month|year)|(in|by) (the )?(spring|summer|autumn|winter)\b|"
                           r"(by|in|from|until|before|after) (the end of )?\d{4}\b)", re.I)
_NUMBER_IN_TEXT = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                             r"hundred|thousand|million|billion|half|third|quarter|dozen)\b", re.I)
_MONEY_IN_TEXT = re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s?(m|bn|k|million|billion|pounds|pence|p)\b", re.I)
_OFTEN_IN_TEXT = re.compile(r"\b(every|each|per|annual|annually|monthly|weekly|daily|yearly|once|twice|times a|a (year|month|week|day))\b", re.I)


def answer_type(question: str) -> str | None:
    """What kind of answer the question wants: money, quantity, date, frequency, or None."""
    if _OFTEN_Q.search(question):
        return "frequency"
    if _MONEY_Q.search(question):
        return "money"
    if _QUANTITY_Q.search(question):
        return "quantity"
    if _WHEN_Q.search(question):
        return "date"
    return None


def has_answer_type(sentence: str, wanted: str | None) -> bool:
    """True when the sentence can hold an answer of the wanted type."""
    if wanted is None:
        return True
    pattern = {"money": _MONEY_IN_TEXT, "quantity": _NUMBER_IN_TEXT, "date": _DATE_IN_TEXT,
               "frequency": _OFTEN_IN_TEXT}[wanted]
    return bool(pattern.search(sentence))


@dataclass
class ScoredSentence:
    """A candidate sentence for the answer."""

    text: str
    passage_index: int
    score: float
    covered: frozenset[str]
    direct: float = 0.0  # share of the question's term weight in the sentence itself
    follower: str = ""  # the next sentence when it carries this one on ("That motion was defeated.")


@dataclass
class ExtractiveConfig:
    """Tunable numbers of the extractive answerer."""

    max_sentences: int = 3
    min_coverage: float = 0.15  # share of the question's term weight the best passages must cover
    min_dense: float = 0.10  # cosine of the best passage to the question (when known)
    follow_ratio: float = 0.6  # a 2nd/3rd sentence must score this share of the best
    comment_weight: float = 0.5  # comments count less unless the question asks about readers
    min_sentence_coverage: float = 0.10  # share of the question's term weight the best sentence itself covers
    max_quote_chars: int = 600
    focus_on_names: bool = True  # quote only articles naming what the question names, when some do
    extra_prior: float = 0.75  # the rest of an article counts as this share of its retrieved chunk
    lead_document_chunks: int = 24  # how much more of the top article the answer may quote


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
        if missing_names(question, passages):
            return False
        coverage, dense = self.relevance(question, passages)
        if coverage < self.config.min_coverage:
            return False
        return dense < -0.5 or dense >= self.config.min_dense

    def score_sentences(self, question: str, passages: Sequence[Passage],
                        extra: Sequence[Passage] = ()) -> list[ScoredSentence]:
        """Every sentence of the passages (and their headlines) that can answer the question,
        scored against it, best first. A sentence that lacks what the question asks for
        (a figure for "how many", a date for "when") is not a candidate. `extra` passages
        (the rest of a retrieved article) count a little less than their retrieved sibling;
        their indexes follow the retrieved passages'."""
        q_terms = set(terms(question))
        everything = list(passages) + list(extra)
        idf = self.idf or candidate_idf(passages)
        weights = {t: idf(t) for t in q_terms}
        total = sum(weights.values()) or 1.0
        wanted = answer_type(question)
        wants_comments = bool(COMMENT_Q.search(question))
        priors = [1.0 / (1.0 + 0.1 * i) for i in range(len(passages))]  # retrieval order matters, gently
        best_of_doc: dict[str, float] = {}
        for p, prior in zip(passages, priors):
            best_of_doc[p.doc_id] = max(best_of_doc.get(p.doc_id, 0.0), prior)
        priors += [self.config.extra_prior * best_of_doc.get(p.doc_id, priors[-1] if priors else 1.0) for p in extra]
        scored: list[ScoredSentence] = []
        seen_titles: set[str] = set()
        for index, passage in enumerate(everything):
            prior = priors[index]
            kind_weight = 1.0
            if passage.is_comment:
                kind_weight = 1.3 if wants_comments else self.config.comment_weight
            elif wants_comments:
                kind_weight = 0.7
            title_terms = set(terms(passage.title))
            passage_terms = set(terms(passage.text)) | title_terms
            units = [(s, 1.0) for s in split_sentences(passage.text)]
            if passage.is_comment:
                units = [(passage.text, 1.0)]  # a reader's comment is quoted whole (trimmed later)
            elif passage.title and passage.title not in seen_titles:
                seen_titles.add(passage.title)
                units.append((passage.title, 0.9))  # the headline is reporting too
            for position, (sentence, unit_weight) in enumerate(units):
                if not has_answer_type(sentence, wanted):
                    continue
                s_terms = set(terms(sentence)) | acronym_terms(sentence)
                hit = q_terms & s_terms
                # typed questions ("when", "how much") and readers' comments on the story asked
                # about may answer in other words than the question's
                loose = wanted is not None or (passage.is_comment and wants_comments)
                if not hit and not (loose and q_terms & title_terms):
                    continue
                # terms the headline or the rest of the passage supply count partly: the
                # sentence is about that story
                in_title = (q_terms & title_terms) - hit
                in_passage = (q_terms & passage_terms) - hit - in_title
                direct = sum(weights[t] for t in hit) / total
                cover = direct + (0.5 * sum(weights[t] for t in in_title) + 0.3 * sum(weights[t] for t in in_passage)) / total
                score = cover * prior * kind_weight * unit_weight
                if position == 0 and passage.chunk_index == 0 and not passage.is_comment:
                    score *= 1.1  # the lede usually carries the news
                if len(sentence) < 25:
                    score *= 0.5  # fragments answer little
                follower = ""
                if not passage.is_comment and position + 1 < len(units) and units[position + 1][1] == 1.0:
                    follower = units[position + 1][0] if _CARRIES_ON.match(units[position + 1][0]) else ""
                scored.append(ScoredSentence(sentence, index, score, frozenset(hit), direct, follower))
        scored.sort(key=lambda s: s.score, reverse=True)
        return scored

    def select(self, scored: list[ScoredSentence], follow_ratio: float | None = None) -> list[ScoredSentence]:
        """The best sentence, plus up to two more that add something and score well enough."""
        follow_ratio = self.config.follow_ratio if follow_ratio is None else follow_ratio
        if not scored:
            return []
        chosen = [scored[0]]
        covered = set(scored[0].covered)
        for cand in scored[1:]:
            if len(chosen) >= self.config.max_sentences:
                break
            if cand.score < follow_ratio * scored[0].score:
                break
            if any(_similar(cand.text, c.text) for c in chosen):
                continue
            if cand.covered <= covered and cand.passage_index in {c.passage_index for c in chosen}:
                continue  # says nothing new from the same passage
            chosen.append(cand)
            covered |= cand.covered
        return chosen

    def answer(self, question: str, passages: Sequence[Passage], extra: Sequence[Passage] = ()) -> Answer:
        """Quote the best sentences with [n] citations, or say the coverage doesn't answer.
        `extra`: more passages of the retrieved articles, quotable but not deciding whether
        the coverage answers at all."""
        passages = list(passages)
        if not passages or not self.is_answerable(question, passages):
            return Answer.not_found(question, passages=passages)
        # several readers' views make a better answer to "what did readers say" than one
        ratio = 0.3 if COMMENT_Q.search(question) else None
        scored = self.score_sentences(question, passages, extra)
        quotable = passages + list(extra)
        # when the question names a practice or a person, quote the articles that mention it
        off_focus = off_focus_docs(question, quotable) if self.config.focus_on_names else set()
        focused = [s for s in scored if quotable[s.passage_index].doc_id not in off_focus]
        chosen = self.select(focused or scored, ratio)
        # whether the coverage answers is decided on the retrieved passages alone
        on_retrieved = self.select([s for s in scored if s.passage_index < len(passages)], ratio)
        if not chosen or not on_retrieved or max(c.direct for c in on_retrieved) < self.config.min_sentence_coverage:
            return Answer.not_found(question, passages=passages)
        # one number per article (or comment): two quotes from one article cite the same source
        numbers: dict[str, int] = {}
        cited: set[int] = set()
        citations: list[Citation] = []
        parts: list[str] = []
        for sentence in chosen:
            passage = quotable[sentence.passage_index]
            key = passage.doc_id or passage.chunk_id
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                citations.append(Citation.from_passage(numbers[key], passage))
            elif sentence.passage_index not in cited:  # the citation carries every passage quoted
                citation = citations[numbers[key] - 1]
                citation.text = f"{citation.text}\n…\n{passage.text}"
                citation.score = max(citation.score, round(float(passage.score), 6))
            cited.add(sentence.passage_index)
            n = numbers[key]
            text = sentence.text
            if sentence.follower and not any(sentence.follower == c.text for c in chosen):
                text = f"{text} {sentence.follower}"
            parts.append(render_quote(text, quotable[sentence.passage_index], n,
                                      self.config.max_quote_chars))
        return Answer(question=question, answer=" ".join(parts), found=True, citations=citations,
                      passages=passages, answerer=self.name)


# a sentence that only makes sense after the one before it: "That motion was narrowly defeated."
_CARRIES_ON = re.compile(r"(That|This|These|Those|It|They|The (motion|move|plan|vote|figure|decision|change))\b"
                         r"(?!\s+(said|says|added|told)\b)")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_NOT_NAMES = frozenset("I A The What Which Who When Where Why How Did Does Do Is Are Was Were Has Have Can Could "
                       "Will Would Should GP GPs NHS January February March April May June July August September "
                       "October November December Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())


def question_names(question: str) -> list[str]:
    """Capitalised names in the question, not its first word nor common capitalised words."""
    return [m.group(0) for m in _NAME.finditer(question) if m.start() > 0 and m.group(0) not in _NOT_NAMES]


def _mentions(text: str, name: str) -> bool:
    stems = terms(name)
    return bool(stems) and any(s in text or name.lower() in text for s in stems)


def missing_names(question: str, passages: Sequence[Passage]) -> list[str]:
    """Capitalised names in the question (not its first word) that no passage mentions:
    a question about Scotland is not answered by coverage of England."""
    text = " ".join(f"{p.title} {p.source} {p.text}" for p in passages).lower()
    return [name for name in question_names(question) if terms(name) and not _mentions(text, name)]


def off_focus_docs(question: str, passages: Sequence[Passage]) -> set[str]:
    """Documents that mention none of the question's names, when some document mentions
    them all (empty when the question names nothing, or no document names it all)."""
    names = [n for n in question_names(question) if terms(n)]
    if not names:
        return set()
    texts: dict[str, list[str]] = {}
    for p in passages:
        texts.setdefault(p.doc_id, []).append(f"{p.title} {p.source} {p.text}".lower())
    joined = {doc: " ".join(parts) for doc, parts in texts.items()}
    if not any(all(_mentions(text, n) for n in names) for text in joined.values()):
        return set()
    return {doc for doc, text in joined.items() if not any(_mentions(text, n) for n in names)}


_BRACKETED_NUMBERS = re.compile(r"\[(\s*\d+(?:\s*[,;–-]\s*\d+)*\s*)\]")


def defuse_markers(text: str) -> str:
    """Bracketed numbers in quoted text ("[7]", "[1, 2]") shown as "(7)", "(1, 2)": only the
    answerer's own [n] markers may look like citations."""
    return _BRACKETED_NUMBERS.sub(r"(\1)", text)


def render_quote(sentence: str, passage: Passage, n: int, max_chars: int = 600) -> str:
    """A quoted sentence with its [n]; a reader's comment is labelled as a reader's view. A
    bracketed number inside the quote (a fake "[7]") is shown as "(7)"."""
    text = sentence if len(sentence) <= max_chars else sentence[: max_chars - 1].rsplit(" ", 1)[0] + "…"
    text = defuse_markers(text)
    if passage.is_comment:
        who = f"A reader ({defuse_markers(passage.author)})" if passage.author else "A reader"
        return f"{who} commented: “{text}” [{n}]"
    return f"{text} [{n}]"


def _similar(a: str, b: str) -> bool:
    ta, tb = set(terms(a)), set(terms(b))
    if not ta or not tb:
        return a == b
    return len(ta & tb) / min(len(ta), len(tb)) > 0.8
