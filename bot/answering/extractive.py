"""The default answerer, with no LLM: it quotes the one to three retrieved sentences that best
answer the question, each cited [n]. Whether to answer at all is the gate's decision
(`bot.answering.gate`); sentence scoring is `bot.answering.sentences`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Sequence

from vectorstore.passage import Passage

from ..answer import Answer, Citation
from ..language.dates import asks_for_latest, published_near
from ..language.entities import likely_answer
from ..language.framing import content_question
from ..language.lexicon import Lexicon, load_lexicon
from ..language.parts import QuestionPart, clause_questions
from ..language.questions import asks_about_readers, question_names
from ..language.analysis import analysed
from ..language.terms import question_terms, term_set
from .base import Evidence
from .coverage import CoverageConfig, article_quotes, in_question_order, is_headline, more_of_each, spans_several
from .gate import mentioning_text, mentions
from .quotes import render_quote
from .sentences import IdfFn, ScoredSentence, SentenceScorer, candidate_idf, similar


@dataclass(frozen=True)
class ExtractiveConfig:
    """Tunable numbers of the extractive answerer (sentence scoring has its own, `SentenceConfig`)."""

    max_quote_chars: int = 600  # a longer sentence is trimmed at a word boundary
    focus_on_names: bool = True  # quote only articles naming what the question names, when some do
    sibling_chunks: int = 24  # how much more of the top article the answer may quote
    # Weigh question terms by the corpus IDF when scoring sentences (else by the candidates').
    # Measured: the QA file 47 -> 45 of 52 with it, MultiHop refusals unchanged; so off.
    corpus_idf: bool = False
    # A question that spans several articles quotes the best sentence of each (None: off).
    coverage: CoverageConfig | None = field(default_factory=CoverageConfig)
    clause_quotes: bool = True  # a compound question ("How many …, and how did …?") gets a quote per question
    # A part's quote is scored on the part's words and, at this weight, the rest of the question
    # ("… the report on X published on Oct 6, and the one on Y, was the portrayal of Z
    # consistent?": Z is asked of both). MultiHop dev answer_quotes_fact: 0 (the part's words
    # only) 0.731, 0.25: 0.730, 0.5: 0.736 (kept), 1.0: 0.731.
    part_rest_weight: float = 0.5
    # A follow-up's words from the earlier question weigh this much when its quote is chosen:
    # "What did he say about pensions?" after "Who is the shadow health secretary?" quoted the
    # "Shadow health secretary Jonathan Ashworth …" line, not what he said about pensions.
    follow_up_subject_weight: float = 0.1


SIBLING_NAME_WEIGHT = 0.3  # a name in the rest of the top article counts this much (a retrieved passage 1 to 0.5)
SIBLING_NAME_CHUNKS = 6  # ... read in its first this many other chunks: reading all (up to 24) cost a who/which
# question at 100k chunks 5-10 ms; MultiHop dev: 6 of 767 answers change (lead names "Bing OpenAI" -> "OpenAI",
# "Maybe Google" -> "Google", ...), every figure the same (0: inference_answer 0.829 -> 0.824)
LEAD_PASSAGES = 3  # a who/which answer's name must be written by a quoted article or one of the best this many


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
        """Quote the best sentences with [n] citations (the gate has decided the coverage answers).

        A multi-part question gets one quote per part first (its outlet and date named), in
        the question's order; a question spanning several articles then gets the best sentence
        of each further relevant article (`coverage`), outlet and date named; a who/which
        question is led by the name the passages support."""
        passages = list(evidence.passages)
        extra = list(evidence.siblings)
        idf = self.corpus_idf if self.config.corpus_idf and self.corpus_idf is not None else None
        if evidence.subject:  # "What did he say about pensions?" after "Who is the shadow health secretary?":
            # the subject found the article; the follow-up's own words choose the quote
            idf = _weights(set(question_terms(question)) - set(question_terms(evidence.subject)),
                                   idf or candidate_idf(passages), self.config.follow_up_subject_weight)
        # sentences are scored on what the question asks about, not on the outlets and dates placing it
        asked = content_question(question, evidence.outlets)
        scored = self.scorer.score(asked, passages, extra, idf=idf, boilerplate=evidence.boilerplate)
        quotable = passages + extra
        # when the question names a practice or a person, quote the articles that mention it
        off_focus = off_focus_docs(question, quotable, self.lexicon) if self.config.focus_on_names else set()
        if evidence.subject:  # a follow-up is about the earlier question's subject ("they" are Harrow Lane's patients)
            off_focus |= off_subject_docs(evidence.subject, quotable)
        focused = [s for s in scored if quotable[s.passage_index].doc_id not in off_focus]
        by_part = self.part_quotes(evidence.parts, passages, evidence.outlets, asked, evidence.boilerplate)
        if not by_part and self.config.clause_quotes:  # "How many …, and how did … describe it?"
            by_part = self.clause_quotes([content_question(c, evidence.outlets) for c in clause_questions(question)],
                                         passages, extra, idf, evidence.boilerplate)
        several = self.config.coverage is not None and spans_several(question, evidence.named_outlets,
                                                                     evidence.parts)
        if several:  # one quote per part, then the best sentence of each further relevant article
            cov = self.config.coverage
            ranked = focused or scored
            # no parts: the best sentences lead (not headlines: each citation shows its article's)
            first = by_part or self.scorer.select([s for s in ranked if not is_headline(s, quotable)] or ranked,
                                                  question)
            chosen = first + article_quotes(ranked, quotable, first, evidence.named_outlets, cov,
                                           comments=asks_about_readers(question))
            chosen = more_of_each(ranked, quotable, in_question_order(chosen, quotable, evidence.named_outlets), cov)
        else:
            # a headline may lead a short answer, but not follow a quote: its citation shows it
            # (QA file: headlines never quoted 82 of 87, not after the first 83, as before)
            ranked = focused or scored
            ranked = ranked[:1] + [s for s in ranked[1:] if not is_headline(s, quotable)]
            chosen = by_part + [s for s in self.scorer.select(ranked, question)
                                if not any(s.text == c.text for c in by_part)]
            chosen = chosen[:max(self.scorer.config.max_sentences, len(by_part))]
        if not chosen:
            return Answer.not_found(question, passages=passages, answerer=self.name)
        latest = asks_for_latest(question)
        if latest:  # "What's the latest on X?": newest first, each quote dated (undated last)
            chosen = sorted(chosen, key=lambda s: quotable[s.passage_index].published[:10] or "0", reverse=True)
        citations = Citations(quotable)
        dated = {id(s) for s in (chosen if several or latest else by_part)}
        parts = [render_quote(self._with_follower(s, chosen), quotable[s.passage_index],
                              citations.number(s.passage_index), self.config.max_quote_chars,
                              dated=id(s) in dated)
                 for s in chosen]
        texts = [((p.title, p.text), 1.0 / (1.0 + 0.1 * i)) for i, p in enumerate(passages)]
        texts += [(p.text, SIBLING_NAME_WEIGHT) for p in extra[:SIBLING_NAME_CHUNKS]]  # the rest of the top article
        if asks_about_readers(question):  # "Who did readers suggest …?": what readers wrote, not the reporting
            texts = [(p.text, 1.0 / (1.0 + 0.1 * i)) for i, p in enumerate(passages) if p.is_comment]
        lead = likely_answer(question, texts, exclude=evidence.outlets) if texts else None
        if lead:  # only a name that the quoted passages, or the best few, write
            quoted_docs = {quotable[s.passage_index].doc_id for s in chosen}
            near = [s.passage_index for s in chosen] + [i for i, p in enumerate(quotable) if p.doc_id in quoted_docs]
            near += list(range(min(LEAD_PASSAGES, len(passages))))
            where = next((i for i in near if lead.lower() in quotable[i].text.lower()), None)
            if where is not None:
                parts.insert(0, f"{lead} [{citations.number(where)}].")
        return Answer(question=question, answer=" ".join(parts), found=True, citations=citations.list,
                      passages=passages, answerer=self.name)

    def part_quotes(self, parts: Sequence[QuestionPart], passages: Sequence[Passage],
                    outlets: Sequence[str] = (), asked: str = "",
                    boilerplate: frozenset[int] = frozenset()) -> list[ScoredSentence]:
        """The best sentence for each part of a multi-part question, from the passages of the
        part's outlet (and date), in the question's order, scored on what the part asks
        (`outlets`, the store's, are not what it asks); indexes are the passages'."""
        chosen: list[ScoredSentence] = []
        for part in parts:
            pool = [i for i, p in enumerate(passages) if (part.outlet is None or p.source == part.outlet)
                    and (part.date is None or published_near(p.published, [part.date], 1))]
            if not pool:
                continue
            pooled = [passages[i] for i in pool]
            text = content_question(part.text, outlets)
            idf = None
            if asked and self.config.part_rest_weight:
                idf = _weights(set(question_terms(text)), candidate_idf(pooled), self.config.part_rest_weight)
                text = f"{text} {asked}"
            for s in self.scorer.score(text, pooled, idf=idf, boilerplate=boilerplate):
                if s.text == pooled[s.passage_index].title:
                    continue  # the citation shows the headline; a part's quote says what the article reports
                if not any(similar(s.text, c.text) for c in chosen):
                    s.passage_index = pool[s.passage_index]
                    chosen.append(s)
                    break
        return chosen

    def clause_quotes(self, clauses: Sequence[str], passages: Sequence[Passage], extra: Sequence[Passage],
                      idf: IdfFn | None = None, boilerplate: frozenset[int] = frozenset()) -> list[ScoredSentence]:
        """The best sentence for each question a compound question asks, in its order, each
        scored as a question of its own (its own kind of answer, its own names to focus on);
        indexes are passages + extra."""
        chosen: list[ScoredSentence] = []
        quotable = list(passages) + list(extra)
        for clause in clauses:
            off_focus = off_focus_docs(clause, quotable, self.lexicon) if self.config.focus_on_names else set()
            for s in self.scorer.score(clause, passages, extra, idf=idf, boilerplate=boilerplate):
                if quotable[s.passage_index].doc_id in off_focus or s.text == quotable[s.passage_index].title:
                    continue
                if not any(similar(s.text, c.text) for c in chosen):
                    chosen.append(s)
                    break
        return chosen

    @staticmethod
    def _with_follower(sentence: ScoredSentence, chosen: Sequence[ScoredSentence]) -> str:
        if sentence.follower and not any(sentence.follower == c.text for c in chosen):
            return f"{sentence.text} {sentence.follower}"
        return sentence.text

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
        texts.setdefault(p.doc_id, []).append(mentioning_text(p).lower())  # (a commenter's name too)
    joined = {doc: " ".join(parts) for doc, parts in texts.items()}
    if not any(all(mentions(text, n) for n in names) for text in joined.values()):
        return set()
    return {doc for doc, text in joined.items() if not any(mentions(text, n) for n in names)}


def off_subject_docs(subject: str, passages: Sequence[Passage]) -> set[str]:
    """Documents that write none of a follow-up's subject terms, when some document writes
    them all (empty otherwise)."""
    wanted = set(question_terms(subject))
    if not wanted:
        return set()
    written: dict[str, set[str]] = {}
    for p in passages:
        written.setdefault(p.doc_id, set()).update(term_set(p.title) | analysed(p.text).terms)
    if not any(wanted <= terms for terms in written.values()):
        return set()
    return {doc for doc, terms in written.items() if not wanted & terms}


def _weights(own: set[str], idf: IdfFn, rest: float) -> IdfFn:
    """Term weights for a quote: `idf`, times `rest` for terms not in `own` (a part's quote: the
    rest of the question; a follow-up's: the earlier question's words)."""
    return lambda term: idf(term) * (1.0 if term in own else rest)




class Citations:
    """Numbers sources in order of first use: one number per article (or comment), so two
    quotes from one article cite the same source, whose text carries every passage quoted."""

    def __init__(self, quotable: Sequence[Passage]) -> None:
        self.quotable = quotable
        self.numbers: dict[str, int] = {}
        self.cited: set[int] = set()
        self.list: list[Citation] = []

    def number(self, index: int) -> int:
        """The [n] of passage `index`, adding its source (or its text to the source) when new."""
        passage = self.quotable[index]
        key = passage.doc_id or passage.chunk_id
        if key not in self.numbers:
            self.numbers[key] = len(self.numbers) + 1
            self.list.append(Citation.from_passage(self.numbers[key], passage))
        elif index not in self.cited:
            citation = self.list[self.numbers[key] - 1]
            citation.text = f"{citation.text}\n…\n{passage.text}"
            citation.score = max(citation.score, round(float(passage.score), 6))
        self.cited.add(index)
        return self.numbers[key]
