"""Scoring the sentences of retrieved passages against a question, and choosing the quotes.

A sentence's score is the share of the question's term weight (IDF) it covers, with
partial credit for terms its headline or passage supply, weighted by how its passage
ranked and by its kind (reporting or a reader's comment). A sentence that lacks what the
question asks for (a figure for "how many", a date for "when") is not a candidate.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Collection, Sequence

from vectorstore.passage import Passage

from ..language.lexicon import Lexicon, load_lexicon
from ..language.analysis import analysed
from ..language.dates import find_dates
from ..language.questions import answer_type, asks_about_readers, carries_on, has_answer_type
from ..language.terms import acronym_terms, question_terms, relation_terms, term_set

IdfFn = Callable[[str], float]


@dataclass(frozen=True)
class SentenceConfig:
    """Tunable numbers of sentence scoring and selection (measured on the QA file and
    MultiHop-RAG dev; see BENCHMARKS.md)."""

    max_sentences: int = 3  # most sentences quoted in one answer
    follow_ratio: float = 0.6  # a 2nd/3rd sentence must score this share of the best
    readers_follow_ratio: float = 0.3  # ... for questions about readers (several views make a better answer)
    rank_decay: float = 0.1  # passage at retrieval rank r (0-based) weighs 1 / (1 + rank_decay * r)
    comment_weight: float = 0.5  # a reader's comment, when the question is not about readers
    readers_comment_weight: float = 1.3  # a reader's comment, when it is
    readers_article_weight: float = 0.7  # reporting, when the question is about readers
    headline_weight: float = 0.9  # the headline, quoted as a sentence of reporting
    headline_term_credit: float = 0.5  # a question term only the headline holds counts this much
    passage_term_credit: float = 0.3  # a question term only the rest of the passage holds counts this much
    lede_bonus: float = 1.1  # the first sentence of an article usually carries the news
    # a when-question's answer names a day ("until 7 November 2025"), not just a month ("in January")
    full_date_bonus: float = 1.5
    # "How many patients …?" is answered by the sentence that counts them ("The 9,400 patients …")
    counted_bonus: float = 1.5
    fragment_chars: int = 25  # sentences shorter than this ...
    fragment_weight: float = 0.5  # ... weigh this much
    sibling_prior: float = 0.75  # the rest of an article counts as this share of its retrieved chunk


@dataclass
class ScoredSentence:
    """A candidate sentence for the answer."""

    text: str
    passage_index: int
    score: float
    covered: frozenset[str]
    direct: float = 0.0  # share of the question's term weight in the sentence itself
    follower: str = ""  # the next sentence when it carries this one on ("That motion was defeated.")


def candidate_idf(passages: Sequence[Passage]) -> IdfFn:
    """An IDF computed from the candidate passages themselves."""
    n = max(1, len(passages))
    df: dict[str, int] = {}
    for p in passages:
        for t in analysed(p.text).terms:
            df[t] = df.get(t, 0) + 1
    return lambda t: math.log(1 + (n + 1) / (df.get(t, 0) + 0.5))


class SentenceScorer:
    """Scores sentences against a question and picks the ones to quote."""

    def __init__(self, config: SentenceConfig | None = None, lexicon: Lexicon | None = None) -> None:
        self.config = config or SentenceConfig()
        self.lexicon = lexicon or load_lexicon()

    def score(self, question: str, passages: Sequence[Passage], extra: Sequence[Passage] = (),
              idf: IdfFn | None = None, boilerplate: Collection[int] = frozenset()) -> list[ScoredSentence]:
        """Every sentence of the passages (and their headlines) that can answer the question,
        best first. `extra` passages (the rest of a retrieved article) count
        `sibling_prior` of their retrieved chunk; their indexes follow the passages'.
        Sentences whose fingerprint is in `boilerplate` (written in many documents: a site's
        newsletter sign-up, "Advertisement") are never candidates."""
        cfg = self.config
        # "before"/"after" are what the question asks of time: the answer holds the same relation
        q_terms = set(question_terms(question)) | relation_terms(question)
        aliases = self.lexicon.synonym_terms(q_terms)  # a synonym's term counts as the question's
        alias_terms = aliases.keys()
        everything = list(passages) + list(extra)
        idf = idf or candidate_idf(passages)
        weights = {t: idf(t) for t in q_terms}
        total = sum(weights.values()) or 1.0
        wanted = answer_type(question, self.lexicon)
        counted = counted_pattern(question)
        about_readers = asks_about_readers(question)
        priors = [1.0 / (1.0 + cfg.rank_decay * i) for i in range(len(passages))]
        best_of_doc: dict[str, float] = {}
        for p, prior in zip(passages, priors):
            best_of_doc[p.doc_id] = max(best_of_doc.get(p.doc_id, 0.0), prior)
        priors += [cfg.sibling_prior * best_of_doc.get(p.doc_id, priors[-1] if priors else 1.0) for p in extra]
        scored: list[ScoredSentence] = []
        seen_titles: set[str] = set()
        for index, passage in enumerate(everything):
            if passage.is_comment:  # (a question naming the commenter is about readers: "What did neo 99 say?")
                author = term_set(passage.author)
                named = bool(author) and author <= q_terms
                kind_weight = cfg.readers_comment_weight if about_readers or named else cfg.comment_weight
            else:
                kind_weight = cfg.readers_article_weight if about_readers else 1.0
            text = analysed(passage.text)
            title_terms = term_set(passage.title)
            passage_terms = text.terms | title_terms
            units = [(s, keys, 1.0) for s, keys in zip(text.sentences, text.sentence_keys)]
            if boilerplate:
                units = [u for u, h in zip(units, text.sentence_hashes) if h not in boilerplate]
            if passage.is_comment:  # a reader's comment is quoted whole (trimmed later); its author's name
                # counts as written ("What did neo 99 say?")
                units = [(passage.text, text.terms | acronym_terms(passage.text) | term_set(passage.author), 1.0)]
            elif passage.title and passage.title not in seen_titles:
                seen_titles.add(passage.title)  # the headline is reporting too
                units.append((passage.title, title_terms | acronym_terms(passage.title), cfg.headline_weight))
            # typed questions ("when", "how much") and readers' comments on the story asked
            # about may answer in other words than the question's
            loose = wanted is not None or (passage.is_comment and about_readers)
            title_hit = q_terms & title_terms
            for position, (sentence, keys, unit_weight) in enumerate(units):
                hit = q_terms & keys
                if aliases and not alias_terms.isdisjoint(keys):  # a synonym counts as the question's word
                    hit = hit | {aliases[t] for t in alias_terms & keys}
                if not hit and not (loose and title_hit):
                    continue
                if passage.is_comment and about_readers:  # a comment is about the story it is on
                    hit = hit | title_hit
                if not has_answer_type(sentence, wanted):
                    continue
                in_title = title_hit - hit
                in_passage = (q_terms & passage_terms) - hit - in_title
                direct = sum(weights[t] for t in hit) / total
                cover = direct + (cfg.headline_term_credit * sum(weights[t] for t in in_title)
                                  + cfg.passage_term_credit * sum(weights[t] for t in in_passage)) / total
                score = cover * priors[index] * kind_weight * unit_weight
                if position == 0 and passage.chunk_index == 0 and not passage.is_comment:
                    score *= cfg.lede_bonus
                if len(sentence) < cfg.fragment_chars:
                    score *= cfg.fragment_weight
                if wanted == "date" and find_dates(sentence):
                    score *= cfg.full_date_bonus
                if counted is not None and counted.search(sentence):
                    score *= cfg.counted_bonus
                follower = ""
                if not passage.is_comment and position + 1 < len(units) and units[position + 1][2] == 1.0:
                    follower = units[position + 1][0] if carries_on(units[position + 1][0]) else ""
                scored.append(ScoredSentence(sentence, index, score, frozenset(hit), direct, follower))
        scored.sort(key=lambda s: s.score, reverse=True)
        return scored

    def select(self, scored: list[ScoredSentence], question: str) -> list[ScoredSentence]:
        """The best sentence, plus up to two more that add something and score well enough."""
        cfg = self.config
        if not scored:
            return []
        ratio = cfg.readers_follow_ratio if asks_about_readers(question) else cfg.follow_ratio
        chosen = [scored[0]]
        covered = set(scored[0].covered)
        for cand in scored[1:]:
            if len(chosen) >= cfg.max_sentences or cand.score < ratio * scored[0].score:
                break
            if any(similar(cand.text, c.text) for c in chosen):
                continue
            if cand.covered <= covered and cand.passage_index in {c.passage_index for c in chosen}:
                continue  # says nothing new from the same passage
            chosen.append(cand)
            covered |= cand.covered
        return chosen


_HOW_MANY = re.compile(r"\bhow many\s+(?:more\s+|fewer\s+|extra\s+|new\s+)?([a-z][a-z-]{2,})", re.I)
_COUNT = r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|" \
         r"hundred|thousand|million|dozens?|hundreds|thousands)"


@lru_cache(maxsize=256)
def counted_pattern(question: str) -> re.Pattern[str] | None:
    """For "How many patients …?", a pattern for a count of them ("9,400 patients", "two more
    patients"): a figure, up to two words, then the counted word's beginning; else None."""
    m = _HOW_MANY.search(question)
    found = question_terms(m.group(1)) if m else []
    if len(found) != 1:
        return None
    return re.compile(rf"\b{_COUNT}(?:[\s-]+[\w’'-]+){{0,2}}?[\s-]+{re.escape(found[0])}", re.I)


def similar(a: str, b: str, overlap: float = 0.8) -> bool:
    """True when two sentences share more than `overlap` of the shorter one's terms."""
    ta, tb = _content_terms(a), _content_terms(b)
    if not ta or not tb:
        return a == b
    return len(ta & tb) / min(len(ta), len(tb)) > overlap


@lru_cache(maxsize=4096)
def _content_terms(sentence: str) -> frozenset[str]:
    """A sentence's `question_terms`, as a set (remembered: a multi-source answer compares each
    candidate sentence with every quote chosen so far)."""
    return frozenset(question_terms(sentence))
