"""The default answerer, with no LLM: it quotes the one to three retrieved sentences that best
answer the question, each cited [n]. Whether to answer at all is the gate's decision
(`bot.answering.gate`); sentence scoring is `bot.answering.sentences`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

from vectorstore.passage import Passage

from ..answer import Answer, Citation
from ..language.lexicon import Lexicon, load_lexicon
from ..language.questions import question_names
from ..language.terms import question_terms
from .base import Evidence
from .gate import mentions
from .quotes import render_quote
from .sentences import IdfFn, SentenceScorer


@dataclass(frozen=True)
class ExtractiveConfig:
    """Tunable numbers of the extractive answerer (sentence scoring has its own, `SentenceConfig`)."""

    max_quote_chars: int = 600  # a longer sentence is trimmed at a word boundary
    focus_on_names: bool = True  # quote only articles naming what the question names, when some do
    sibling_chunks: int = 24  # how much more of the top article the answer may quote
    # Weigh question terms by the corpus IDF when scoring sentences (else by the candidates').
    # Measured: the QA file 47 -> 45 of 52 with it, MultiHop refusals unchanged; so off.
    corpus_idf: bool = False


class ExtractiveAnswerer:
    """Answers by quoting retrieved sentences, citing each as [n]."""

    name = "extractive"

    def __init__(self, config: ExtractiveConfig | None = None, *, scorer: SentenceScorer | None = None,
                 corpus_idf: IdfFn | None = None, lexicon: Lexicon | None = None) -> None:
        self.config = config or ExtractiveConfig()
        self.lexicon = lexicon or load_lexicon()
        self.scorer = scorer or SentenceScorer(lexicon=self.lexicon)
        self.corpus_idf = corpus_idf

    def answer(self, question: str, evidence: Evidence) -> Answer:
        """Quote the best sentences with [n] citations (the gate has decided the coverage answers)."""
        passages = list(evidence.passages)
        extra = list(evidence.siblings)
        idf = self.corpus_idf if self.config.corpus_idf and self.corpus_idf is not None else None
        scored = self.scorer.score(question, passages, extra, idf=idf)
        quotable = passages + extra
        # when the question names a practice or a person, quote the articles that mention it
        off_focus = off_focus_docs(question, quotable, self.lexicon) if self.config.focus_on_names else set()
        focused = [s for s in scored if quotable[s.passage_index].doc_id not in off_focus]
        chosen = self.scorer.select(focused or scored, question)
        if not chosen:
            return Answer.not_found(question, passages=passages, answerer=self.name)
        # one number per article (or comment): two quotes from one article cite the same source
        numbers: dict[str, int] = {}
        cited: set[int] = set()
        citations: list[Citation] = []
        parts: list[str] = []
        for sentence in chosen:
            passage = quotable[sentence.passage_index]
            key = passage.doc_id or passage.chunk_id
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                citations.append(Citation.from_passage(numbers[key], passage))
            elif sentence.passage_index not in cited:  # the citation carries every passage quoted
                citation = citations[numbers[key] - 1]
                citation.text = f"{citation.text}\n…\n{passage.text}"
                citation.score = max(citation.score, round(float(passage.score), 6))
            cited.add(sentence.passage_index)
            text = sentence.text
            if sentence.follower and not any(sentence.follower == c.text for c in chosen):
                text = f"{text} {sentence.follower}"
            parts.append(render_quote(text, passage, numbers[key], self.config.max_quote_chars))
        return Answer(question=question, answer=" ".join(parts), found=True, citations=citations,
                      passages=passages, answerer=self.name)

    def stream(self, question: str, evidence: Evidence) -> Iterator[str | Answer]:
        """The whole answer as one item (quotes are not written incrementally)."""
        yield self.answer(question, evidence)


def off_focus_docs(question: str, passages: Sequence[Passage], lexicon: Lexicon | None = None) -> set[str]:
    """Documents that mention none of the question's names, when some document mentions
    them all (empty when the question names nothing, or no document names it all)."""
    names = [n for n in question_names(question, lexicon) if question_terms(n)]
    if not names:
        return set()
    texts: dict[str, list[str]] = {}
    for p in passages:
        texts.setdefault(p.doc_id, []).append(f"{p.title} {p.source} {p.text}".lower())
    joined = {doc: " ".join(parts) for doc, parts in texts.items()}
    if not any(all(mentions(text, n) for n in names) for text in joined.values()):
        return set()
    return {doc for doc, text in joined.items() if not any(mentions(text, n) for n in names)}
