"""The answer to "What happened on 16 May 2025?" or "What's new?": the coverage of that period,
one cited line per article, newest first.

Each line quotes the opening sentence of the article (its lede says what happened), dated and
with its outlet; a reader's comment of that period, on an article not listed, is quoted as a
reader's view. Nothing published then is said plainly, with the period named.
"""

from __future__ import annotations

from typing import Sequence

from vectorstore.passage import Passage

from ..answer import Answer, Citation
from ..language.analysis import analysed
from ..language.periods import Period
from .quotes import render_quote

MAX_QUOTE_CHARS = 300  # a listing's line: the lede, trimmed


def digest_answer(question: str, period: Period, passages: Sequence[Passage], answerer: str = "extractive",
                  outlets: Sequence[str] = ()) -> Answer:
    """One dated, cited line per passage (as `HybridRetriever.published` lists them), or a
    refusal that names the period (and the `outlets` the listing was limited to)."""
    passages = list(passages)
    if not passages:
        when = f" published {period.label}" if period.label else ""
        source = f" from {' or '.join(outlets)}" if outlets else ""
        return Answer.not_found(question, answerer=answerer, text=f"The coverage I have has nothing{source}{when}.")
    lines = [render_quote(passage.text if passage.is_comment else _first_sentence(passage), passage, n,
                          MAX_QUOTE_CHARS, dated=True)
             for n, passage in enumerate(passages, start=1)]
    citations = [Citation.from_passage(n, passage) for n, passage in enumerate(passages, start=1)]
    heading = f"Coverage published {period.label}:" if period.label else "The newest coverage:"
    return Answer(question=question, answer=" ".join([heading] + lines), found=True, citations=citations,
                  passages=passages, answerer=answerer)


def _first_sentence(passage: Passage) -> str:
    sentences = analysed(passage.text).sentences
    return sentences[0] if sentences else passage.title
