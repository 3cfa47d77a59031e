"""A passage's sentences and terms, read from the snapshot or worked out once per passage text.

The gate and the extractive answerer score the same retrieved passages several times for
one question (the whole question, each part, each clause) and look at their terms besides
(coverage, a candidate IDF). `analysed` gives a text's sentences and their terms
(`vectorstore.lexical.sentences.TextAnalysis`) once per text and remembers the result for
the last `PASSAGE_CACHE` texts.

The ingester has already split and tokenized every chunk it indexed, and the lexical
snapshot keeps that with each chunk's record. Passages read from a snapshot hand it over
(`remember`), and `analysed` decodes it instead of splitting and tokenizing the text again:
at 100k chunks, where few passages are seen twice, working it out was about 5 ms of a
question's 25 at p50. Other texts (a dense hit from the store, a text written by a test)
are analysed here, by the same code (`analyse_text`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache

from vectorstore.lexical.sentences import StoredAnalysis, TextAnalysis, analyse_text

__all__ = ["AnalysedText", "analysed", "remember"]

AnalysedText = TextAnalysis

# Passages remembered: a question's gate and answerer look at 10-40 passages; an entry holds
# the sentences and their term sets (about 10 KB for a 256-token chunk; 512 of them about 5 MB).
PASSAGE_CACHE = 512
# Stored analyses handed over (each a few KB of strings), kept until evicted.
STORED_CACHE = 512

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
            return stored.decode(text)
        except ValueError:
            pass  # not what this code writes: work it out below
    return analyse_text(text)[0]
