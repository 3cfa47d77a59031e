"""The answer chain: question -> retrieval -> gate -> answerer -> `Answer`, with timings.

One `AnswerChain` per process serves every front end (ask, REPL, Discord, eval). It is
safe to call from several threads at once; the lexical index follows re-ingests without
a restart. `build_chain` is the only place a chain is assembled from settings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date
from typing import Callable, Iterator

from vectorstore.passage import Passage
from vectorstore.store import NewsStore

from . import memory
from .answer import Answer
from .answering.base import Answerer, Evidence
from .answering.digest import digest_answer
from .answering.extractive import ExtractiveAnswerer
from .answering.gate import Gate, Verdict
from .language.followups import follow_up_subject, resolved_question
from .language.lexicon import load_lexicon
from .language.parts import question_parts
from .language.periods import Period, asked_period, mentions_period
from .language.questions import asks_about_readers
from .retrieval.filters import SearchFilters
from .retrieval.hybrid import HybridRetriever
from .settings import Settings


@dataclass
class AskOptions:
    """What a front end may vary per question."""

    k: int | None = None
    filters: SearchFilters | None = None
    context: str = ""  # an earlier question and answer, for follow-ups


class AnswerChain:
    """Retrieves passages for a question, asks the gate, and turns them into a cited `Answer`."""

    def __init__(self, retriever: HybridRetriever, answerer: Answerer, gate: Gate, *, top_k: int = 8,
                 sibling_chunks: int = 24, related_chunks: int = 24) -> None:
        self.retriever = retriever
        self.answerer = answerer
        self.gate = gate
        self.top_k = top_k
        self.sibling_chunks = sibling_chunks  # how much more of the top article the answerer may quote
        # how much of each top article the gate reads for what it mentions: all of a 50-100-chunk live
        # blog cost a question at 100k chunks ~10 ms (MultiHop dev: the 767 answers the same with 24)
        self.related_chunks = related_chunks
        self.today: Callable[[], date] = date.today  # what "today" and "this week" mean (tests set it)

    def retrieve(self, question: str, options: AskOptions | None = None) -> list[Passage]:
        """The passages the gate and the answerer see (a follow-up that refers back searches with
        the earlier question's subject: `resolved_question`)."""
        options = options or AskOptions()
        self.retriever.refresh_if_stale()
        # a follow-up that refers back is searched with the earlier question's subject; a reply
        # that asks about something new, on its own (the earlier answer's words would swamp it)
        query = resolved_question(question, options.context)
        return self.retriever.search(query, k=max(options.k or self.top_k, 1), filters=options.filters,
                                     about_readers=asks_about_readers(question))

    def siblings(self, passages: list[Passage]) -> list[Passage]:
        """The other chunks of the top-ranked article (the answer to "how much did X lose" is
        often a few paragraphs below the chunk that matched X), for the answerer to quote."""
        lead = next((p for p in passages if not p.is_comment), None)
        if lead is None:
            return []
        have = {p.chunk_id for p in passages}
        # the first sibling_chunks + len(passages) chunks hold the first sibling_chunks not retrieved
        chunks = self.retriever.document_passages(lead.doc_id, self.sibling_chunks + len(passages))
        return [p for p in chunks if p.chunk_id not in have][:self.sibling_chunks]

    def _prepare(self, question: str, options: AskOptions,
                 asked: str | None = None) -> tuple[list[Passage], list[Passage], Verdict, float]:
        """Retrieval for `question` (with its context), then the gate's verdict on `asked`: the
        question as the gate and the answerer read it (a follow-up with its subject)."""
        t0 = time.perf_counter()
        passages = self.retrieve(question, options)
        siblings = self.siblings(passages)
        verdict = self.gate.check(asked or question, passages, related=self.related(passages, siblings),
                                  boilerplate=self.retriever.index().boilerplate)
        return passages, siblings, verdict, t0

    def related(self, passages: list[Passage], siblings: list[Passage], articles: int = 3) -> list[Passage]:
        """The rest of the articles the top passages come from (a reader's comment: the article it
        is on; at most `related_chunks` chunks of each), for the gate to see what they mention."""
        have = {p.chunk_id for p in passages} | {p.chunk_id for p in siblings}
        out = list(siblings)
        for doc_id in dict.fromkeys(p.article_id for p in passages[:articles]):
            out += [p for p in self.retriever.document_passages(doc_id, self.related_chunks) if p.chunk_id not in have]
            have.update(p.chunk_id for p in out)
        return out

    def _evidence(self, question: str, passages: list[Passage], siblings: list[Passage],
                  options: AskOptions, original: str = "") -> Evidence:
        outlets = self.retriever.index().outlets
        return Evidence(passages=passages, siblings=siblings, context=options.context,
                        parts=question_parts(question, outlets), outlets=outlets.sources,
                        named_outlets=outlets.mentioned_in(question), boilerplate=self.retriever.index().boilerplate,
                        subject=follow_up_subject(original, options.context) if original else "")

    def ask(self, question: str, options: AskOptions | None = None) -> Answer:
        """Answer one question."""
        answer: Answer | None = None
        for item in self.stream(question, options, incremental=False):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(self, question: str, options: AskOptions | None = None, *,
               incremental: bool = True) -> Iterator[str | Answer]:
        """Yield text pieces as an LLM writes them, then the final `Answer` (the extractive
        answerer and refusals yield just the Answer)."""
        options = options or AskOptions()
        period, options = self._period_asked(question, options)
        if period is not None:  # "What happened on 16 May 2025?", "What's new?": a listing, not a search
            yield self._digest(question, period, options)
            return
        # "When does it close?" after "How much is the winter access fund?": asked of the fund
        asked = resolved_question(question, options.context)
        passages, siblings, verdict, t0 = self._prepare(question, options, asked)
        t1 = time.perf_counter()
        if not verdict.answerable:
            answer = Answer.not_found(question, passages=passages, answerer=self.answerer.name, text=verdict.text)
        elif not incremental:
            answer = self.answerer.answer(asked, self._evidence(asked, passages, siblings, options, question))
        else:
            answer = None
            for item in self.answerer.stream(asked, self._evidence(asked, passages, siblings, options, question)):
                if isinstance(item, Answer):
                    answer = item
                else:
                    yield item
            assert answer is not None
        answer.question = question
        t2 = time.perf_counter()
        answer.timings = {"retrieve_ms": (t1 - t0) * 1000, "answer_ms": (t2 - t1) * 1000,
                          "total_ms": (t2 - t0) * 1000}
        memory.after_question()
        yield answer

    def _period_asked(self, question: str, options: AskOptions) -> tuple[Period | None, AskOptions]:
        """The period a question asks the coverage of (`asked_period`), and the options to list
        it with: "What did GP Frontline publish on 16 May 2025?" lists that outlet's alone."""
        period = asked_period(question, self.today())
        if period is not None or not mentions_period(question):
            return period, options
        outlets = self.retriever.index().outlets
        named = tuple(dict.fromkeys(outlets.mentioned_in(question)))
        if not named or (options.filters is not None and options.filters.sources is not None):
            return None, options
        period = asked_period(outlets.blank(question), self.today())
        if period is None:
            return None, options
        return period, replace(options, filters=replace(options.filters or SearchFilters(), sources=named))

    def _digest(self, question: str, period: Period, options: AskOptions) -> Answer:
        """The coverage published in the period a question asks about, newest first."""
        t0 = time.perf_counter()
        self.retriever.refresh_if_stale()
        passages = self.retriever.published(period.first, period.last, k=max(options.k or self.top_k, 1),
                                            filters=options.filters)
        t1 = time.perf_counter()
        answer = digest_answer(question, period, passages,
                               outlets=options.filters.sources if options.filters and options.filters.sources else ())
        t2 = time.perf_counter()
        answer.timings = {"retrieve_ms": (t1 - t0) * 1000, "answer_ms": (t2 - t1) * 1000, "total_ms": (t2 - t0) * 1000}
        memory.after_question()
        return answer

    def warm_up(self) -> None:
        """Load the model and build the lexical index now, not on the first question."""
        self.retriever.refresh_if_stale()
        self.retriever.search("warm up", k=1)
        self.retriever.store.embedder.encode_query("warm up")


def build_answerer(settings: Settings, retriever: HybridRetriever) -> Answerer:
    """The extractive answerer, or, when NEWSDESK_LLM_MODEL is set, the LLM answerer behind a
    circuit breaker that falls back to the extractive one when the endpoint fails."""
    extractive = ExtractiveAnswerer(corpus_idf=retriever.idf, lexicon=load_lexicon(settings.lexicon or None))
    if not settings.llm_model:
        return extractive
    from .answering.fallback import BreakerConfig, CircuitBreaker, FallbackAnswerer
    from .answering.llm import LLMAnswerer, make_chat_model

    model = make_chat_model(settings.llm_model, settings.llm_base_url, settings.llm_api_key.get_secret_value(),
                            settings.llm_temperature, settings.llm_timeout)
    breaker = CircuitBreaker(BreakerConfig(failures=settings.llm_breaker_failures,
                                           cooldown=settings.llm_breaker_cooldown))
    return FallbackAnswerer(LLMAnswerer(model, fallback=extractive), extractive, breaker)


def build_chain(settings: Settings | None = None, store: NewsStore | None = None, *,
                retriever: HybridRetriever | None = None, answerer: Answerer | None = None) -> AnswerChain:
    """The chain the front ends use, from settings (read from the environment and `.env` when
    not given). It opens the store, which must exist, unless a store or retriever is given;
    an answerer may be given too (a test model, say)."""
    if settings is None:
        from .settings import load_settings

        settings = load_settings()
    memory.limit_arenas()  # a long-running bot's memory stays flat (bot/memory.py)
    retriever = retriever or HybridRetriever(store or NewsStore(settings.store, create=False), rerank=settings.rerank)
    lexicon = load_lexicon(settings.lexicon or None)
    gate = Gate(outlet_names=lambda: retriever.index().outlets.aliases, corpus_idf=retriever.idf,
                corpus_df=retriever.df, corpus_longer=retriever.terms_starting_with, lexicon=lexicon)
    return AnswerChain(retriever, answerer or build_answerer(settings, retriever), gate, top_k=settings.top_k)
