"""Words of a question and of a sentence, reduced to comparable terms (stemmed, no stopwords)."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

# English stopwords plus question scaffolding ("what did the article say about ...").
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having
he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
nor not of off on once only or other our ours ourselves out over own same she should so some such than
that the their theirs them themselves then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your yours yourself
yourselves s t don now
article articles report reported reports reporting according say says said tell told mention mentioned
mentions news story stories piece coverage question answer please much many anything something whether
discuss discussed discusses suggest suggests suggested indicate indicates indicated
actually really far currently yet still ever
reader readers comment comments commenter commenters commented
""".split())

_TOKEN = re.compile(r"[£$€]?\d[\d,.]*(?:bn|m|k|%)?|[a-z][a-z'’-]*", re.IGNORECASE)
_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def terms(text: str) -> list[str]:
    """Content terms of a text: lower-cased, stemmed, stopwords and 1-letter words removed.

    Figures keep their form ("£82m", "4.7%", "2024") so that numbers match exactly.
    """
    out: list[str] = []
    for match in _TOKEN.finditer(text.lower()):
        token = match.group(0).strip("'’-.,")
        if not token or token in STOPWORDS:
            continue
        if token[0].isdigit() or token[0] in "£$€":
            out.append(token.replace(",", ""))
        elif len(token) > 1:
            out.append(_stem(token.replace("’", "'").split("'")[0] or token))
    return out


_CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:(?:and|of|for|the|&)\s+)?[A-Z][a-z]+)+")


def acronym_terms(text: str) -> set[str]:
    """Terms for the acronyms a text spells out: "Quality and Outcomes Framework" gives the
    term of "QOF", so a question asking about QOF matches the sentence that names it in full."""
    out: set[str] = set()
    for match in _CAPITALISED_RUN.finditer(text):
        initials = "".join(w[0] for w in match.group(0).split() if w[0].isupper())
        if 2 <= len(initials) <= 6:
            out.add(_stem(initials.lower()))
    return out


COMMENT_Q = re.compile(r"\b(readers?|comments?|commenters?|commented|reaction|react(ed)?|views? of gps|"
                       r"gps (say|said|think|thought|feel|felt)|complain(ed|ts?)?)\b", re.I)


def asks_about_readers(question: str) -> bool:
    """True when the question asks what readers (commenters) said or think."""
    return bool(COMMENT_Q.search(question))
