"""A chunk's sentences and the terms each can match a question by, worked out once at ingest.

The ingester chunks articles at sentence boundaries, and at query time the gate, the
extractive answerer and sentence evidence read each retrieved passage sentence by
sentence. Splitting and tokenizing those passages was the largest part of a question's
answering time at 100k chunks (about 5 ms of 25 at p50, 12 ms at p95), although the
ingester had already split and tokenized every one of them. So a snapshot keeps, with each
chunk's record, what `analyse_text` finds (`TextAnalysis.encode`): where each sentence is
in the text, its terms, and the acronyms it spells out. Readers decode that instead of
working it out again (`TextAnalysis.decode`).

It lives beside the tokenizer for the same reason the tokenizer does: the ingester writes
it and every bot reads it. `ANALYSIS_ID` fingerprints the rules; a snapshot written under
other rules is rebuilt, never read.

The sentence splitter is a short regular expression written here (libraries such as pysbd
are several times slower than the embedding model on two cores, and nltk's punkt needs a
data download); it knows common abbreviations, initials and decimal figures.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from .tokenizer import TOKENIZER_ID, stem, terms

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sir", "st", "no", "vs", "etc", "e.g", "i.e", "approx", "inc", "ltd",
    "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "gov", "rev", "gen", "col", "lt", "sgt", "jr", "sr", "fig", "vol", "u.s", "u.k", "a.m", "p.m",
}
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before
# whitespace and a capital, digit, quote or bracket; paragraph breaks and bullets always end one.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'’”)\]]*\s+(?=[\"'‘“(\[]?[A-Z0-9£$€])")
_PARAGRAPH = re.compile(r"\n\s*\n|\n(?=\s*[•*-] )")
_INITIAL = re.compile(r"[a-z]")
# "Quality and Outcomes Framework": a run of capitalised words, which may spell an acronym
_CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:(?:and|of|for|the|&)\s+)?[A-Z][a-z]+)+")

ANALYSIS_ID = hashlib.sha1("|".join([
    "v2", TOKENIZER_ID, _BOUNDARY.pattern, _PARAGRAPH.pattern, _CAPITALISED_RUN.pattern, *sorted(_ABBREVIATIONS),
]).encode()).hexdigest()[:16]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each sentence of `text` is: (start, end) offsets, ends exclusive, whitespace
    trimmed. `split_sentences` gives the same sentences with their whitespace runs collapsed."""
    spans: list[tuple[int, int]] = []
    at = 0
    for separator in _PARAGRAPH.finditer(text):
        _paragraph_spans(text, at, separator.start(), spans)
        at = separator.end()
    _paragraph_spans(text, at, len(text), spans)
    return spans


def _paragraph_spans(text: str, lo: int, hi: int, out: list[tuple[int, int]]) -> None:
    para = text[lo:hi]
    start = 0
    for match in _BOUNDARY.finditer(para):
        candidate = para[start:match.start()].rstrip()
        last_word = candidate.rsplit(None, 1)[-1].rstrip(".!?\"'’”)").lower() if candidate else ""
        if last_word in _ABBREVIATIONS or _INITIAL.fullmatch(last_word):
            continue  # "Mr. Smith", "J. Smith"
        _add_trimmed(text, lo + start, lo + match.end(), out)
        start = match.end()
    _add_trimmed(text, lo + start, hi, out)


def _add_trimmed(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        out.append((start, end))


def span_text(text: str, span: tuple[int, int]) -> str:
    """One sentence as `split_sentences` gives it: the span with whitespace runs collapsed."""
    return " ".join(text[span[0]:span[1]].split())


def split_sentences(text: str) -> list[str]:
    """Split text into sentences; paragraph breaks always end a sentence."""
    return [span_text(text, span) for span in sentence_spans(text)]


def sentence_hash(sentence: str) -> int:
    """A sentence's fingerprint, whatever its case and spacing (64 bits): the snapshot counts
    in how many documents each one is written (`boilerplate` in `snapshot.py`)."""
    key = " ".join(sentence.lower().split()).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little")


def acronym_terms(text: str) -> frozenset[str]:
    """Terms for the acronyms a text spells out: "Quality and Outcomes Framework" gives the
    term of "QOF", so a question asking about QOF matches the sentence that names it in full."""
    out: set[str] = set()
    for match in _CAPITALISED_RUN.finditer(text):
        initials = "".join(w[0] for w in match.group(0).split() if w[0].isupper())
        if 2 <= len(initials) <= 6:
            out.add(stem(initials.lower()))
    return frozenset(out)


class TextAnalysis:
    """A text's sentences (and where they are), each with the terms it can match a question by
    (its terms plus those of the acronyms it spells out: "Quality and Outcomes Framework" also
    gives the term of "QOF"), and the whole text's terms (acronyms not included).

    `sentences` are cut from the text when first asked for: sentence evidence and the gate
    read only the terms."""

    __slots__ = ("text", "spans", "sentence_keys", "terms", "_sentences", "_hashes")

    def __init__(self, text: str, spans: tuple[tuple[int, int], ...], sentence_keys: tuple[frozenset[str], ...],
                 terms: frozenset[str], sentences: tuple[str, ...] | None = None) -> None:
        self.text = text
        self.spans = spans
        self.sentence_keys = sentence_keys
        self.terms = terms
        self._sentences = sentences
        self._hashes: tuple[int, ...] | None = None

    @property
    def sentences(self) -> tuple[str, ...]:
        """The sentences, as `split_sentences` gives them."""
        if self._sentences is None:
            self._sentences = tuple(span_text(self.text, span) for span in self.spans)
        return self._sentences

    @property
    def sentence_hashes(self) -> tuple[int, ...]:
        """Each sentence's `sentence_hash`."""
        if self._hashes is None:
            self._hashes = tuple(sentence_hash(s) for s in self.sentences)
        return self._hashes

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TextAnalysis):
            return NotImplemented
        return (self.text, self.spans, self.sentence_keys, self.terms) == (
            other.text, other.spans, other.sentence_keys, other.terms)

    def __hash__(self) -> int:
        return hash((self.text, self.spans))

    def __repr__(self) -> str:
        return f"TextAnalysis({len(self.spans)} sentences, {len(self.terms)} terms)"

    def encode(self) -> list[Any]:
        """A JSON-ready form: flat spans, each sentence's keys as one space-separated string,
        and the text's terms as one."""
        return [[x for span in self.spans for x in span], [" ".join(sorted(k)) for k in self.sentence_keys],
                " ".join(sorted(self.terms))]

    @classmethod
    def decode(cls, text: str, stored: Any) -> "TextAnalysis":
        """The analysis `encode` wrote for `text` (ValueError when it is not one)."""
        try:
            flat, keys, text_terms = stored
            spans = tuple(zip(flat[0::2], flat[1::2]))
            if len(spans) != len(keys) or (spans and not (0 <= spans[0][0] and spans[-1][1] <= len(text))):
                raise ValueError("spans and sentences disagree")
            return cls(text, spans, tuple(frozenset(k.split()) for k in keys), frozenset(text_terms.split()))
        except (TypeError, AttributeError) as exc:
            raise ValueError(f"not a stored text analysis: {exc}") from exc


@dataclass(frozen=True)
class StoredAnalysis:
    """A record's analysis as the snapshot holds it (`TextAnalysis.encode`), decoded only when
    asked: a passage's record is read for its text more often than for its sentences."""

    raw: Any

    def decode(self, text: str) -> TextAnalysis:
        """The analysis of `text`, the record's text (ValueError when the stored form is not one)."""
        return TextAnalysis.decode(text, self.raw)

    def sentence_terms(self) -> list[list[str]]:
        """Each sentence's terms (its `sentence_keys`, as lists), read without decoding the rest:
        for scoring many passages once (ValueError when the stored form is not one)."""
        try:
            return [keys.split() for keys in self.raw[1]]
        except (TypeError, AttributeError, IndexError) as exc:
            raise ValueError(f"not a stored text analysis: {exc}") from exc


def analyse_text(text: str) -> tuple[TextAnalysis, list[str]]:
    """A text's analysis, and its terms in order (the same as `terms(text)`: no term spans
    whitespace, so the sentences' terms in order are the text's).

    Acronyms are read from the whole text at once, each given to the sentence it is
    written in (read sentence by sentence, they were a quarter of a 100k-chunk snapshot's
    build); a run of capitalised words can only cross from one sentence into the next at
    a paragraph break, and those sentences are read again alone."""
    spans = tuple(sentence_spans(text))
    starts = [span[0] for span in spans]
    per_sentence = [terms(text[a:b]) for a, b in spans]
    acronyms: list[set[str]] = [set() for _ in spans]
    again: set[int] = set()
    for match in _CAPITALISED_RUN.finditer(text):
        i = bisect_right(starts, match.start()) - 1
        if match.end() > spans[i][1]:
            again.update(range(i, bisect_right(starts, match.end() - 1)))
            continue
        initials = "".join(w[0] for w in match.group(0).split() if w[0].isupper())
        if 2 <= len(initials) <= 6:
            acronyms[i].add(stem(initials.lower()))
    for i in again:
        acronyms[i] = set(acronym_terms(span_text(text, spans[i])))
    sentence_terms = [frozenset(t) for t in per_sentence]
    keys = tuple(t | a if a else t for t, a in zip(sentence_terms, acronyms))
    analysis = TextAnalysis(text, spans, keys, frozenset().union(*sentence_terms))
    return analysis, [t for sentence in per_sentence for t in sentence]
