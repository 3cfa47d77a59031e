"""A passage's sentences and terms, worked out once per passage text, or read from the snapshot.

The gate and the extractive answerer score the same retrieved passages several times for
one question (the whole question, each part, each clause) and look at their terms besides
(coverage, a candidate IDF). `analysed` gives a text's sentences and their terms once per
text and remembers the result for the last `PASSAGE_CACHE` texts.

The ingester has already split and tokenized every chunk it indexed, and the lexical
snapshot keeps that with each chunk's record (`vectorstore.lexical.sentences`). Passages
read from a snapshot hand it over (`remember`), and `analysed` decodes it instead of
splitting and tokenizing the text again: at 100k chunks, where few passages are seen
twice, that was about 5 ms of a question's 25 at p50. Other texts (a dense hit from the
store, a text written by a test) are analysed here, by the same rules.

A passage's terms are the union of its sentences' terms: sentences are cut at whitespace,
and no term spans whitespace, so this equals tokenizing the whole text.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

from vectorstore.lexical.sentences import StoredAnalysis, TextAnalysis, split_sentences

from .terms import acronym_terms, term_set

# Passages remembered: a question's gate and answerer look at 10-40 passages; an entry holds
# the sentences and their term sets (about 10 KB for a 256-token chunk; 512 of them about 5 MB).
PASSAGE_CACHE = 512
# Stored analyses handed over and not yet asked for (each a few KB of strings).
STORED_CACHE = 512


@dataclass(frozen=True)
class AnalysedText:
    """A text's sentences, each with the terms it can match a question by."""

    sentences: tuple[str, ...]
    # per sentence: its terms plus the terms of the acronyms it spells out
    # ("Quality and Outcomes Framework" also gives the term of "QOF")
    sentence_keys: tuple[frozenset[str], ...]
    terms: frozenset[str]  # the whole text's terms (acronyms not included)


_stored: OrderedDict[str, StoredAnalysis] = OrderedDict()
_stored_lock = threading.Lock()


def remember(text: str, stored: StoredAnalysis) -> None:
    """Hand over a text's stored analysis (from a snapshot record), for `analysed` to decode
    when the text is first asked for."""
    with _stored_lock:
        _stored[text] = stored
        _stored.move_to_end(text)
        while len(_stored) > STORED_CACHE:
            _stored.popitem(last=False)


def _take(text: str) -> StoredAnalysis | None:
    with _stored_lock:
        return _stored.get(text)


@lru_cache(maxsize=PASSAGE_CACHE)
def analysed(text: str) -> AnalysedText:
    """The sentences and terms of a text (remembered; decoded from the snapshot when handed over)."""
    stored = _take(text)
    if stored is not None:
        try:
            return _from_analysis(stored.decode(text))
        except ValueError:
            pass  # not what this code writes: work it out below
    sentences = tuple(split_sentences(text))
    # through the sentence caches: consecutive chunks overlap by a sentence or two, and
    # a corpus repeats sentences (boilerplate, quotes carried from story to story)
    sentence_terms = [term_set(s) for s in sentences]
    acronyms = [acronym_terms(s) for s in sentences]
    keys = tuple(t | a if a else t for t, a in zip(sentence_terms, acronyms))
    return AnalysedText(sentences, keys, frozenset().union(*sentence_terms))


def _from_analysis(analysis: TextAnalysis) -> AnalysedText:
    keys = tuple(t | a if a else t for t, a in zip(analysis.sentence_terms, analysis.sentence_acronyms))
    return AnalysedText(analysis.sentences, keys, frozenset().union(*analysis.sentence_terms))
