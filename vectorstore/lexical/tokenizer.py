"""What a term is, for the lexical index and for answering alike: one tokenizer.

A text's terms are its words lower-cased and Snowball-stemmed (PyStemmer), with the
commonest English words removed, and its figures kept whole ("£1.4bn" -> "1.4bn",
"86,400" -> "86400", "4.7%") so that numbers match exactly.

It lives beside the store because the ingester writes the lexical index with it and
every bot reads that index with it: `bot.language.terms` re-exports it and adds the
question-side word lists. `TOKENIZER_ID` fingerprints it; a snapshot written with
another tokenizer is never used.

PyStemmer objects are not safe to share between threads; every thread gets its own.
"""

from __future__ import annotations

import hashlib
import re
import threading
from functools import lru_cache

import Stemmer

# What BM25 leaves out of chunks and queries: Lucene's English stopwords, the list bm25s
# ships as `bm25s.stopwords.STOPWORDS_EN` (a test checks they stay equal). Written out here
# because importing anything from bm25s imports scipy: ~0.1 s of every fresh `ask`.
# A longer list cost MultiHop-RAG dev Hits@10 0.970 -> 0.947 (BENCHMARKS.md, 2026-11-26).
STOPWORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not",
    "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was",
    "will", "with",
))

_TOKEN = re.compile(r"[£$€]?\d+(?:[.,]\d+)*(?:bn|m|k|%)?|[^\W\d_]+")
_STEMMER_ALGORITHM = "english"

# Changes whenever what `terms` returns could change: stored indexes built otherwise are stale.
TOKENIZER_ID = hashlib.sha1("|".join([
    "v1", _TOKEN.pattern, _STEMMER_ALGORITHM, getattr(Stemmer, "__version__", ""), *sorted(STOPWORDS),
]).encode()).hexdigest()[:16]

_local = threading.local()


def _stemmer() -> "Stemmer.Stemmer":
    """This thread's own stemmer (a PyStemmer object must not be shared between threads)."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer(_STEMMER_ALGORITHM)
    return stemmer


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball stem of a lower-case word."""
    return _stemmer().stemWord(word)


_CACHE_LIMIT = 500_000  # distinct tokens remembered per stopword list (figures included)
_caches: dict[frozenset[str], dict[str, str | None]] = {}


def _term(token: str, stop: frozenset[str]) -> str | None:
    """What one token (lower case, as `_TOKEN` finds it) becomes: a term, or None."""
    first = token[0]
    if first.isdigit() or first in "£$€":
        return token.lstrip("£$€").replace(",", "")
    if len(token) > 1 and token not in stop:
        return stem(token)
    return None


def tokenize(text: str, stop: frozenset[str]) -> list[str]:
    """Terms of a text with `stop` as the stopword list (figures are never stopped).

    Each distinct token's term is remembered (one dict look-up per token instead of the
    checks and the stemmer): indexing 100,000 chunks runs about twice as fast."""
    cache = _caches.get(stop)
    if cache is None or len(cache) > _CACHE_LIMIT:
        cache = _caches[stop] = {}
    out: list[str] = []
    append = out.append
    for token in _TOKEN.findall(text.lower()):
        try:
            term = cache[token]
        except KeyError:
            term = cache[token] = _term(token, stop)
        if term is not None:
            append(term)
    return out


def term_offsets(text: str) -> tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]:
    """A text's `terms` with where each is written: (terms, starts, ends), offsets into the
    text as lower-cased (the same as the text's for all but a few non-ASCII letters)."""
    cache = _caches.get(STOPWORDS)
    if cache is None or len(cache) > _CACHE_LIMIT:
        cache = _caches[STOPWORDS] = {}
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for match in _TOKEN.finditer(text.lower()):
        token = match.group()
        try:
            term = cache[token]
        except KeyError:
            term = cache[token] = _term(token, STOPWORDS)
        if term is not None:
            out.append(term)
            starts.append(match.start())
            ends.append(match.end())
    return tuple(out), tuple(starts), tuple(ends)


def terms(text: str) -> list[str]:
    """Terms of a text, in order: stemmed words (no stopwords, no 1-letter words) and figures.
    BM25 indexes chunks and searches questions with these."""
    return tokenize(text, STOPWORDS)
