"""What a term is, for retrieval and answering alike: one tokenizer, one stopword list.

A text's terms are its words lower-cased and Snowball-stemmed (PyStemmer), with the
commonest English words removed, and its figures kept whole ("£1.4bn" -> "1.4bn",
"86,400" -> "86400", "4.7%") so that numbers match exactly. A question's terms, as the
gate and the answerer weigh them, also drop function words and the words that frame a
question about news ("what did the article say about ...", "readers").

BM25 indexes chunks with `terms`, so the extractive answerer's terms are the lexical
index's vocabulary and its corpus IDF applies to them directly.

PyStemmer objects are not safe to share between threads; every thread gets its own.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

# What BM25 leaves out of chunks and queries: Lucene's English stopwords (bm25s ships them).
# A longer list cost MultiHop-RAG dev Hits@10 0.970 -> 0.947 (BENCHMARKS.md, 2026-11-26).
STOPWORDS = frozenset(STOPWORDS_EN)

# What a question's terms leave out besides: English function words and the words that
# frame a question about news ("what did the article say about ..."). The gate and the
# answerer judge passages by the rest. Left out of retrieval queries too, these cost
# temporal questions' Hits@10 0.971 -> 0.931, so retrieval keeps them.
QUESTION_WORDS = frozenset("""
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

_TOKEN = re.compile(r"[£$€]?\d+(?:[.,]\d+)*(?:bn|m|k|%)?|[^\W\d_]+")
_CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:(?:and|of|for|the|&)\s+)?[A-Z][a-z]+)+")

_local = threading.local()


def _stemmer() -> "Stemmer.Stemmer":
    """This thread's own stemmer (a PyStemmer object must not be shared between threads)."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball stem of a lower-case word."""
    return _stemmer().stemWord(word)


def _terms(text: str, stop: frozenset[str]) -> list[str]:
    out: list[str] = []
    for token in _TOKEN.findall(text.lower()):
        first = token[0]
        if first.isdigit() or first in "£$€":
            out.append(token.lstrip("£$€").replace(",", ""))
        elif len(token) > 1 and token not in stop:
            out.append(stem(token))
    return out


_QUESTION_STOP = STOPWORDS | QUESTION_WORDS


def terms(text: str) -> list[str]:
    """Terms of a text, in order: stemmed words (no stopwords, no 1-letter words) and figures.
    BM25 indexes chunks and searches questions with these."""
    return _terms(text, STOPWORDS)


def question_terms(text: str) -> list[str]:
    """Content terms of a question (or a sentence compared with one): `terms` less function
    words and the words that frame a question about news."""
    return _terms(text, _QUESTION_STOP)


@lru_cache(maxsize=100_000)
def acronym_terms(text: str) -> frozenset[str]:
    """Terms for the acronyms a text spells out: "Quality and Outcomes Framework" gives the
    term of "QOF", so a question asking about QOF matches the sentence that names it in full."""
    out: set[str] = set()
    for match in _CAPITALISED_RUN.finditer(text):
        initials = "".join(w[0] for w in match.group(0).split() if w[0].isupper())
        if 2 <= len(initials) <= 6:
            out.add(stem(initials.lower()))
    return frozenset(out)


@lru_cache(maxsize=100_000)
def term_set(text: str) -> frozenset[str]:
    """The set of a text's `terms`, cached: the gate and the answerer look at the same
    sentences of the same passages, question after question."""
    return frozenset(terms(text))
