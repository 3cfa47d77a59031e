"""Quoting every relevant article a question spans, not several sentences of one.

A question that names several outlets ("…as reported by Fortune, TechCrunch and The
Verge"), several dates, or several reports ("Do both articles from Sporting News agree…")
needs evidence from each article it turns on. After one quote per part of the question
(`ExtractiveAnswerer.part_quotes`), the answer quotes the best sentence of each further
distinct article among the retrieved passages, articles from the outlets the question names
first, while an article's best sentence scores well enough against the best one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from vectorstore.passage import Passage

from ..language.questions import split_clauses
from ..language.terms import question_terms
from .sentences import ScoredSentence, similar

# "both articles", "several reports", "sources like", "compared with the Fortune piece"
_SEVERAL = re.compile(r"\b(both|several|multiple|articles|reports|stories|sources|publications|outlets|"
                      r"compared? (?:to|with))\b", re.I)
# "the two reports", "between the ... report and the ... one", "was the portrayal consistent": words
# that also ask about the news itself ("Is the GP contract being changed?", "the relationship between
# GPs and the Government", "Did LMCs agree to the deal?"), so they count only beside a word of reporting
_COMPARING = re.compile(r"\b(two|three|between|consistent|consistency|changed?|agree|differ)\b", re.I)
_REPORTING = re.compile(r"\b(report(?:s|ed|ing)?|articles?|coverage|covered|portray(?:al|s|ed)?|stor(?:y|ies)|"
                        r"news|sources?|published|wrote|written|outlets?|journalists?)\b", re.I)


@dataclass(frozen=True)
class CoverageConfig:
    """How many articles a multi-source answer quotes, and how relevant each must be."""

    # Most distinct articles quoted, and what an article's best sentence must score (share of
    # the best sentence). MultiHop dev answer_cites_all: 5 articles at 0.4: 0.431; 6 at 0.1:
    # 0.582; 8 at 0.1: 0.594 (kept); 8 at 0.05: 0.601 (nearly every retrieved article quoted).
    max_articles: int = 8
    article_ratio: float = 0.1
    named_first: bool = True  # articles from the outlets the question names come before the others
    # A further article's best sentence must hold this many of the question's terms: "What did
    # Pulse and GP Frontline report about the additional roles reimbursement scheme?" quoted a
    # pension scheme, Pharmacy First and physician associate roles, one shared word each. MultiHop
    # dev (in-sample re-ranker, so a comparison only): answer_cites_all 0.700 -> 0.688,
    # answer_quotes_fact 0.848 -> 0.846.
    min_terms: int = 2
    headlines: bool = False  # may an article's quote be its headline (the citation shows it anyway)
    # Most sentences quoted from one article, what a further one must score (share of the
    # article's first), and how many of the first quoted articles may have that many. MultiHop
    # dev (answer_quotes_fact, mean answer length): 1 sentence an article 0.654, 1,082 chars;
    # 2 for the first article 0.690, 1,224; for the first two 0.708, 1,392 (kept: a comparison
    # is about two articles); for every article 0.746, 1,820 (too long to read). Later (quotes
    # scored without outlets and dates, followers quoted), with a further sentence no longer
    # needing question terms the first lacks: first two articles 0.784 -> 0.798 (mean answer
    # 1,523 -> 1,559 chars, comparison); first three 0.808 (1,750 chars; kept: the answer
    # quotes two statements from each of the three articles a temporal question usually
    # turns on); first four, before that change, 0.793.
    per_article: int = 2
    second_ratio: float = 0.3
    more_articles: int = 3


def spans_several(question: str, named_outlets: Sequence[str], parts: Sequence[object]) -> bool:
    """True when the question turns on several articles: it has parts, names two or more
    outlets, speaks of several reports ("both articles", "between the … report and …", "was the
    portrayal consistent"; "between" and "changed" alone ask about the news, not its reports), or
    names an outlet and asks several things of its coverage ("…, has…, and is…, as reported by X")."""
    if len(parts) >= 2 or len(set(named_outlets)) >= 2 or _SEVERAL.search(question):
        return True
    if _COMPARING.search(question) and (named_outlets or _REPORTING.search(question)):
        return True
    return bool(named_outlets) and len(split_clauses(question, question_terms)) >= 2


def article_quotes(scored: Sequence[ScoredSentence], quotable: Sequence[Passage], chosen: Sequence[ScoredSentence],
                   named_outlets: Sequence[str], config: CoverageConfig | None = None, *,
                   comments: bool = False) -> list[ScoredSentence]:
    """The best sentence of each article not yet quoted in `chosen`, best first, until
    `max_articles` articles are quoted in all; outlet-matched articles first when the
    question names outlets; readers' comments only with `comments`. `scored` is best
    first; indexes are `quotable`'s."""
    cfg = config or CoverageConfig()
    if not scored:
        return []
    floor = cfg.article_ratio * max([scored[0].score] + [c.score for c in chosen])
    named = set(named_outlets)
    quoted = {_article(quotable[c.passage_index]) for c in chosen}
    best: dict[str, ScoredSentence] = {}
    for s in scored:
        key = _article(quotable[s.passage_index])
        if key in quoted or key in best or s.score < floor or len(s.covered) < cfg.min_terms:
            continue
        if (not cfg.headlines and is_headline(s, quotable)) or (quotable[s.passage_index].is_comment and not comments):
            continue
        if any(similar(s.text, c.text) for c in list(chosen) + list(best.values())):
            continue
        best[key] = s
    ranked = list(best.values())
    if cfg.named_first and named:
        ranked.sort(key=lambda s: quotable[s.passage_index].source not in named)  # stable: score order within
    return ranked[:max(0, cfg.max_articles - len(quoted))]


def in_question_order(chosen: Sequence[ScoredSentence], quotable: Sequence[Passage],
                      outlet_order: Sequence[str]) -> list[ScoredSentence]:
    """Quotes grouped by outlet in the order the question names them (unnamed outlets last);
    the order is otherwise kept (the parts' quotes first, then the best)."""
    rank = {o: i for i, o in enumerate(dict.fromkeys(outlet_order))}
    return sorted(chosen, key=lambda s: rank.get(quotable[s.passage_index].source, len(rank)))


def _article(passage: Passage) -> str:
    return passage.doc_id or passage.chunk_id


def is_headline(sentence: ScoredSentence, quotable: Sequence[Passage]) -> bool:
    """True when the sentence is its passage's headline."""
    return sentence.text == quotable[sentence.passage_index].title


def more_of_each(scored: Sequence[ScoredSentence], quotable: Sequence[Passage], chosen: Sequence[ScoredSentence],
                 config: CoverageConfig | None = None) -> list[ScoredSentence]:
    """`chosen`, each quote followed by up to `per_article - 1` more sentences of its article
    that score `second_ratio` of it and are not alike (headlines only if allowed): a second
    statement of the same things is what a comparison of two reports needs."""
    cfg = config or CoverageConfig()
    if cfg.per_article <= 1:
        return list(chosen)
    taken = {id(c) for c in chosen}
    out: list[ScoredSentence] = []
    extended: set[str] = set()
    quotes = Counter(_article(quotable[c.passage_index]) for c in chosen)
    for c in chosen:
        out.append(c)
        key, added = _article(quotable[c.passage_index]), 0
        if key in extended or len(extended) >= cfg.more_articles:
            continue
        extended.add(key)
        for s in scored:
            if added >= cfg.per_article - quotes[key] or s.score < cfg.second_ratio * c.score:
                break
            if id(s) in taken or _article(quotable[s.passage_index]) != key:
                continue
            if (not cfg.headlines and is_headline(s, quotable)) or any(similar(s.text, o.text) for o in out):
                continue
            out.append(s)
            taken.add(id(s))
            added += 1
    return out

