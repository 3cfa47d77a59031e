"""The parts of a question that spans several articles: one per outlet or date it names.

"Does the TechCrunch article say A, while The Verge reports B?" has two parts: TechCrunch
with "the TechCrunch article say A" and The Verge with "The Verge reports B". "Which
company, covered by Engadget and Polygon, is ...?" has two parts with the whole question
as their text, one per outlet. "Has TechCrunch's report of October 2 changed by the one
of October 7?" has two parts, one per date (both TechCrunch).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .dates import MONTH_NAMES, MentionedDate, find_date_spans
from .outlets import OutletNames
from .questions import split_clauses
from .terms import question_terms, terms

# where a question turns from one part to the next
_PART_BREAK = re.compile(r"\s*[;?]\s*|,\s*(?:while|whereas|but|and|or|compared (?:to|with)|"
                         r"in contrast to|unlike)\s+|\s+(?:while|whereas|compared (?:to|with)|in contrast to|"
                         r"than|and (?:the|a|an|one|that|another|what|how|whether))\s+", re.I)
MIN_PART_TERMS = 3  # a segment with fewer content terms than this is not a part on its own


@dataclass(frozen=True)
class QuestionPart:
    """One part of a question: the text to search for, and the outlet or date it is about."""

    text: str
    outlet: str | None = None  # the outlet's name as stored
    date: MentionedDate | None = None
    position: int = 0  # where the part's anchor appears in the question


_COMMA = re.compile(r",(?!\s*\d{4})\s*")


def _segments(question: str, commas: bool = False) -> list[tuple[int, int]]:
    """(start, end) of the question's segments between part breaks (and commas, with `commas`)."""
    spans, start = [], 0
    breaks = sorted(list(_PART_BREAK.finditer(question)) + (list(_COMMA.finditer(question)) if commas else []),
                    key=lambda m: m.start())
    for m in breaks:
        if m.start() < start:
            continue
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(question):
        spans.append((start, len(question)))
    return spans


@lru_cache(maxsize=1)
def _framing_terms() -> frozenset[str]:
    """Terms that place a report rather than say what it is about ("the report published on
    October 28"): a segment of only these is not a part's text of its own."""
    return frozenset(question_terms(" ".join(MONTH_NAMES) + " report reported reports article articles published "
                                    "story piece coverage subsequent later earlier previous"))


def _segment_text(question: str, position: int, segments: list[tuple[int, int]], outlets: OutletNames) -> str:
    """The segment holding `position`, or the whole question when that segment says too
    little besides naming outlets ("covered by Fortune and The Verge")."""
    for start, end in segments:
        if start <= position < end:
            text = question[start:end].strip()
            names = {t for o in outlets.mentioned_in(text) for t in question_terms(o)} | _framing_terms()
            content = {t for t in question_terms(text) if not t.isdigit()} - names
            return text if len(content) >= MIN_PART_TERMS else question
    return question


def question_parts(question: str, outlets: OutletNames) -> list[QuestionPart]:
    """One part per outlet mention and per distinct date the question names, in the
    question's order; an empty list when it names fewer than two (nothing to split).

    An outlet named again with another clause ("… as reported by TechCrunch, persuaded …
    as noted by Fortune, and is accused … as covered by TechCrunch") is a part again, with
    that clause (commas count as breaks here): the same outlet often holds two facts.
    """
    segments = _segments(question)
    clauses = _segments(question, commas=True)
    anchors: list[QuestionPart] = []
    for outlet, position in outlets.all_mention_spans(question):
        text = _segment_text(question, position, clauses, outlets)
        if all(a.outlet != outlet or a.text != text for a in anchors):
            anchors.append(QuestionPart(text, outlet=outlet, position=position))
    named = list(dict.fromkeys(a.outlet for a in anchors))
    dates = find_date_spans(question)
    if len({d for d, _ in dates}) < 2:
        dates = []  # one date is not a part of its own (the date boost weighs it)
    for date, position in dates:
        if all(a.date != date for a in anchors):
            here = outlets.mentioned_in(_segment_of(question, position, segments))
            outlet = here[0] if len(here) == 1 else named[0] if len(named) == 1 else None
            anchors.append(QuestionPart(_segment_text(question, position, segments, outlets), outlet=outlet, date=date,
                                        position=position))
    dated = [a for a in anchors if a.date is not None]
    if len(dated) >= 2:  # "the October 2 report and the October 7 one": the dates are the parts
        anchors = dated + [a for a in anchors if a.date is None and all(d.outlet != a.outlet for d in dated)]
    anchors.sort(key=lambda a: a.position)
    return anchors if len(anchors) >= 2 else []


def descriptive_clauses(question: str, outlets: OutletNames, min_terms: int = MIN_PART_TERMS) -> list[str]:
    """The clauses of a question (`split_clauses`) that describe something, with the outlets
    they name blanked; an empty list when fewer than two. "Which company spends billions to
    stay the default search engine, influences local search rankings with specific criteria,
    and is accused by news publishers of anticompetitive practices, according to articles from
    The Verge and TechCrunch?" has three ("as reported by both The Verge and TechCrunch" and
    "the TechCrunch report published on October 2" say where to look, not what); each is
    about a fact of its own, often in an article of its own."""
    out = []
    for clause in split_clauses(question, terms):
        text = outlets.blank(clause)
        content = {t for t in question_terms(text) if not t.isdigit()} - _framing_terms()
        if len(content) >= min_terms:
            out.append(text)
    return out if len(out) >= 2 else []


def _segment_of(question: str, position: int, segments: list[tuple[int, int]]) -> str:
    return next((question[start:end] for start, end in segments if start <= position < end), question)


# ", and how many …", "; what …": where a question asks a second question
_NEXT_QUESTION = re.compile(r"\s*(?:,\s*and|;|\?)\s+(?=(?:how|what|when|who|which|where|why|whether)\b)", re.I)
# "What did Streeting say and what did readers think?": a second question about readers, asked of the first's subject
_AND_READERS = re.compile(r"\s+and\s+(?=(?:how|what)\s+(?:did|do|does|have|has)\s+(?:the\s+)?(?:readers?|commenters?)\b)",
                          re.I)


def clause_questions(question: str) -> list[str]:
    """The questions a compound question asks, in order ("How many patients lose their
    practice…, and how did the GP … describe that closure?" asks two); an empty list when
    it asks one, or a piece has fewer than `MIN_PART_TERMS` content terms."""
    readers = _AND_READERS.split(question, maxsplit=1)
    if len(readers) == 2:  # the readers' question names nothing of its own: it asks about the first's subject
        first = readers[0].strip(" ,;?")
        return [first, f"{readers[1].strip(' ,;?')} about {first}"] if question_terms(first) else []
    pieces = [p.strip(" ,;?") for p in _NEXT_QUESTION.split(question)]
    pieces = [p for p in pieces if p]
    if len(pieces) < 2 or any(len(question_terms(p)) < MIN_PART_TERMS for p in pieces):
        return []
    return pieces
