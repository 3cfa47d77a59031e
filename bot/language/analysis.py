"""A passage's sentences and terms, worked out once per passage text.

The gate and the extractive answerer score the same retrieved passages several times for
one question (the whole question, each part, each clause) and look at their terms besides
(coverage, a candidate IDF). Splitting a passage into sentences and tokenizing each was
most of a question's answering time at 100k chunks; `analysed` does both once per text and
remembers the result for the last `PASSAGE_CACHE` texts.

A passage's terms are the union of its sentences' terms: sentences are cut at whitespace,
and no term spans whitespace, so this equals tokenizing the whole text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ingest.chunking import split_sentences

from .terms import acronym_terms, term_set

# Passages remembered: a question's gate and answerer look at 10-40 passages; an entry holds
# the sentences and their term sets (about 10 KB for a 256-token chunk; 512 of them about 5 MB).
PASSAGE_CACHE = 512


@dataclass(frozen=True)
class AnalysedText:
    """A text's sentences, each with the terms it can match a question by."""

    sentences: tuple[str, ...]
    # per sentence: its terms plus the terms of the acronyms it spells out
    # ("Quality and Outcomes Framework" also gives the term of "QOF")
    sentence_keys: tuple[frozenset[str], ...]
    terms: frozenset[str]  # the whole text's terms (acronyms not included)


@lru_cache(maxsize=PASSAGE_CACHE)
def analysed(text: str) -> AnalysedText:
    """The sentences and terms of a text (remembered)."""
    sentences = tuple(split_sentences(text))
    # through the sentence caches: consecutive chunks overlap by a sentence or two, and
    # a corpus repeats sentences (boilerplate, quotes carried from story to story)
    sentence_terms = [term_set(s) for s in sentences]
    acronyms = [acronym_terms(s) for s in sentences]
    keys = tuple(t | a if a else t for t, a in zip(sentence_terms, acronyms))
    return AnalysedText(sentences, keys, frozenset().union(*sentence_terms))
