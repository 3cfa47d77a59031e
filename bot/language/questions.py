"""What a question asks: its kind of answer (money, quantity, date, frequency), whether it is
about readers' comments, the names it uses, and its clauses.

Passages are split into sentences by `ingest.chunking.split_sentences`, the rule chunking
uses, once per passage (`bot.language.analysis`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable

from .dates import MONTH_NAMES, MONTH_PATTERN, MONTHS, WEEKDAY_NAMES
from .lexicon import Lexicon, load_lexicon
from .readers import READERS_NAMED, READERS_QUESTION

__all__ = ["answer_type", "has_answer_type", "asks_about_readers", "question_names",
           "split_clauses", "carries_on", "READERS_QUESTION", "READERS_NAMED"]

# "How much ... money?": the general words; a domain's own ("pot", "uplift") come from the lexicon.
_MONEY_NOUNS = ("money cost costs spend spending spent pay paid worth fee fees price budget salary lose lost earn "
                "charge invest investment fund funding funds grant cash").split()
_QUANTITY_Q = re.compile(r"\b(how (much|many|big|large|long)|what (percentage|proportion|share|number|figure|amount|"
                         r"sum|rate|margin)|what was the vote|by what margin)\b", re.I)
# "when" asks a date at the question's start or before a verb that asks ("…, and when does it start?");
# "Which constituency was he MP for when he talked to Pulse?" only sets the time of what it asks
_WHEN_Q = re.compile(r"^\s*when\b|\bwhen\s+(?:is|are|was|were|do|does|did|will|would|can|could|should|must|has|"
                     r"have|had|might)\b|\b(what date|which date|what year|by when|deadline|closing date)\b", re.I)
# "Where will they go?" is answered by a sentence that places something ("in the neighbouring towns of Stonecastle")
_WHERE_Q = re.compile(r"^\s*where\b|\b(?:which|what) (?:town|city|place|county|country|area|region)\b", re.I)
_OFTEN_Q = re.compile(r"\bhow (often|frequently)\b", re.I)
# "How much was the pay rise?", "How big is the uplift?": a change is answered in money or a percentage
_CHANGE_Q = re.compile(r"\bhow (much|big|large)\b.*\b(rise|rises|uplift|uplifts|increase|increases|raise|cut|cuts|"
                       r"boost|fall|drop|reduction)\b", re.I)

_IN_TEXT = {
    "date": re.compile(r"\b(" + MONTH_PATTERN + r"\b|\d{1,2}/\d{1,2}|(mon|tues|wednes|thurs|fri|satur|sun)day|"
                       r"(next|this) (week|month|year)|(in|by) (the )?(spring|summer|autumn|winter)\b|"
                       r"(by|in|from|until|before|after) (the end of )?\d{4}\b)", re.I),
    "quantity": re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                           r"hundred|thousand|million|billion|half|third|quarter|dozen)\b", re.I),
    "money": re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s?(m|bn|k|million|billion|pounds|pence|p)\b", re.I),
    "amount": re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s?(m|bn|k|million|billion|pounds|pence|p)\b|\d\s?%|"
                         r"\b\d[\d.]*\s?per ?cent\b", re.I),
    # a named place ("in the neighbouring towns of Stonecastle"), or a web or mail address ("Where do I apply?")
    "place": re.compile(r"\b(?:in|at|to|from|near|of|across|on)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}?[A-Z][a-z]+|"
                        r"https?://|\bwww\.|\w@\w"),
    "frequency": re.compile(r"\b(every|each|per|annual|annually|monthly|weekly|daily|yearly|once|twice|times a|"
                            r"a (year|month|week|day))\b", re.I),
}


@lru_cache(maxsize=8)
def _money_question(domain_nouns: tuple[str, ...]) -> re.Pattern[str]:
    nouns = "|".join(re.escape(n) for n in _MONEY_NOUNS + list(domain_nouns))
    return re.compile(rf"\bhow much\b.*\b({nouns})\b|\b(what|which) (fee|price|rate|salary)\b", re.I)


# "When the deal was announced, what uplift …": a leading when-clause sets the time, the question follows
_WHEN_CLAUSE = re.compile(r"^\s*when\b[^,?]*,\s*(?=(?:\w+\s+){0,2}?(?:what|how|which|who|where|why)\b)", re.I)


def answer_type(question: str, lexicon: Lexicon | None = None) -> str | None:
    """What kind of answer the question wants: money, an amount (money or a percentage: "How
    much was the pay rise?"), quantity, date, place, frequency, or None (a
    leading "When …," clause only sets the time of the question that follows it)."""
    lexicon = lexicon or load_lexicon()
    question = _WHEN_CLAUSE.sub("", question)
    if _OFTEN_Q.search(question):
        return "frequency"
    if _CHANGE_Q.search(question):
        return "amount"
    if _money_question(lexicon.money_nouns).search(question):
        return "money"
    if _QUANTITY_Q.search(question):
        return "quantity"
    if _WHEN_Q.search(question):
        return "date"
    if _WHERE_Q.search(question):
        return "place"
    return None


def has_answer_type(sentence: str, wanted: str | None) -> bool:
    """True when the sentence can hold an answer of the wanted type."""
    return wanted is None or bool(_IN_TEXT[wanted].search(sentence))


# "Who's the secretary who commented on ...?", "the academic who commented": a person in the
# reporting who spoke, not readers
_SOMEONE_COMMENTED = re.compile(r"\bwho (?:has |had )?(?:commented|comments|complained|reacted)\b", re.I)


def asks_about_readers(question: str) -> bool:
    """True when the question asks what readers (commenters) said or think ("who commented"
    asks for a person in the reporting, unless readers or commenters are named too)."""
    if not READERS_QUESTION.search(question):
        return False
    if _SOMEONE_COMMENTED.search(question) and not READERS_NAMED.search(question):
        return bool(READERS_QUESTION.search(_SOMEONE_COMMENTED.sub(" ", question)))
    return True


_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+|['’][A-Z][a-z]+)*(?:\s+[A-Z][a-z]+(?:[A-Z][a-z]+|['’][A-Z][a-z]+)*)*")
_NOT_NAMES = frozenset("I A The What Which Who When Where Why How Did Does Do Is Are Was Were Has Have Can Could "
                       "Will Would Should".split()) | {n.capitalize() for n in MONTH_NAMES + WEEKDAY_NAMES} \
    | {n.capitalize() for n in MONTHS} | {n[:3].capitalize() for n in WEEKDAY_NAMES}  # "Feb", "Sept", "Tue"


def question_names(question: str, lexicon: Lexicon | None = None) -> list[str]:
    """Capitalised names in the question, not its first word nor common capitalised words
    (question words, months, days, and the lexicon's common words such as "NHS")."""
    lexicon = lexicon or load_lexicon()
    return [m.group(0) for m in _NAME.finditer(question)
            if m.start() > 0 and m.group(0) not in _NOT_NAMES and m.group(0) not in lexicon.common_capitalised]


_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,5}s?\b")


def question_acronyms(question: str, lexicon: Lexicon | None = None) -> list[str]:
    """Acronyms the question uses ("ARRS", "QOF"), less the lexicon's common ones ("GP", "NHS")."""
    lexicon = lexicon or load_lexicon()
    common = {c.upper() for c in lexicon.common_capitalised}
    out = []
    for m in _ACRONYM.finditer(question):
        word = m.group(0)
        if word not in common and word.rstrip("s") not in common and word not in out and any(c.isalpha() for c in word):
            out.append(word)
    return out


_CLAUSE_SPLIT = re.compile(
    r"\s*[;:?!]\s*|\s*,(?!\s*\d{4})\s*"  # punctuation (not the comma in "October 7, 2023")
    r"|\s+(?:while|whereas|but|and then|and the|and that|and has|and is|and was)\s+", re.I)


def split_clauses(text: str, tokenize: Callable[[str], list[str]], min_terms: int = 3) -> list[str]:
    """The parts of a multi-part question, each with at least `min_terms` terms (by `tokenize`)."""
    out: list[str] = []
    buf = ""
    for part in _CLAUSE_SPLIT.split(text):
        if not part or not part.strip():
            continue
        buf = f"{buf} {part}".strip()
        if len(tokenize(buf)) >= min_terms:
            out.append(buf)
            buf = ""
    if buf and out:
        out[-1] = f"{out[-1]} {buf}"
    return out


# a sentence that only makes sense after the one before it: "That motion was narrowly defeated.",
# "But sportsbooks are also gathering this information…", "He told delegates…" ("It said…" and
# "They said…" start someone's own statement), "The case, filed by X, argues…"
# (a definite noun with an apposition takes up what the sentence before introduced). Quoted
# with it: MultiHop dev answer_quotes_fact 0.739 -> 0.746 (connectives, pronouns) -> 0.789 ("The
# case, …"; 29 of those 34 questions quote one such sentence of one much-asked-about article).
_CARRIES_ON = re.compile(r"(That|This|These|Those|It|They|The (motion|move|plan|vote|figure|decision|change)|"
                         r"But|And|Yet|Still|Even|However|Instead|Also|His|Her|Their|Its|The [a-z]+(?=,))\b"
                         r"(?!\s+(said|says|added|told)\b)|(He|She)\b")


def carries_on(sentence: str) -> bool:
    """True when a sentence only makes sense after the one before it ("That motion was defeated.")."""
    return bool(_CARRIES_ON.match(sentence))
