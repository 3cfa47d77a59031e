"""The answer chain: question -> hybrid retrieval -> answerer -> `Answer`, with timings.

One `AnswerChain` per process serves every front end (ask, REPL, Discord). It is
safe to call from several threads at once; the lexical index follows re-ingests
(`refresh_if_stale`) without a restart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Iterator

from langchain_core.runnables import Runnable, RunnableLambda

from vectorstore.store import NewsStore

from .answer import NOT_FOUND_TEXT, Answer
from .extractive import ExtractiveAnswerer
from .outlets import unknown_outlets
from .retrieval import HybridRetriever, SearchFilters
from .terms import asks_about_readers
from .settings import Settings


@dataclass
class AskOptions:
    """What a front end may vary per question."""

    k: int | None = None
    filters: SearchFilters | None = None
    context: str = ""  # an earlier question and answer, for follow-ups


class AnswerChain:
    """Retrieves passages for a question and turns them into a cited `Answer`."""

    def __init__(self, retriever: HybridRetriever, answerer: object | None = None, *, top_k: int = 8) -> None:
        self.retriever = retriever
        self.answerer = answerer or ExtractiveAnswerer(idf=getattr(retriever, "idf", None))
        self.top_k = top_k

    def retrieve(self, question: str, options: AskOptions | None = None) -> list:
        """The passages the answerer sees (follow-ups search with their context)."""
        options = options or AskOptions()
        self.retriever.refresh_if_stale()
        query = f"{options.context}\n{question}" if options.context else question
        k = max(options.k or self.top_k, 1)
        found = self.retriever.search(query, k=k, filters=options.filters)
        if asks_about_readers(question) and (options.filters is None or options.filters.kinds is None):
            # "What did readers say about ...": readers' comments first, then the reporting
            base = options.filters or SearchFilters()
            comments = self.retriever.search(query, k=k, filters=replace(base, kinds=("comment",)))
            ids = {p.chunk_id for p in comments}
            found = comments + [p for p in found if p.chunk_id not in ids]
        return found[:k]

    def outlet_refusal(self, question: str, passages: list) -> Answer | None:
        """The plain refusal for a question about an outlet the coverage has nothing from or
        about ("a Reuters report on ..." over a store without Reuters), else None."""
        aliases = getattr(self.retriever, "outlet_aliases", None)
        missing = unknown_outlets(question, aliases(), passages) if aliases else []
        if not missing:
            return None
        names = " or ".join(missing)
        return Answer.not_found(question, passages=passages, answerer=getattr(self.answerer, "name", "extractive"),
                                text=f"{NOT_FOUND_TEXT[:-1]}: it has nothing from {names}.")

    def rest_of_lead_article(self, passages: list) -> list:
        """The other chunks of the top-ranked article (the answer to "how much did X lose" is
        often a few paragraphs below the chunk that matched X), for the answerer to quote."""
        lead = next((p for p in passages if not p.is_comment), None)
        siblings = getattr(self.retriever, "document_passages", None)
        if lead is None or siblings is None:
            return []
        have = {p.chunk_id for p in passages}
        limit = getattr(getattr(self.answerer, "config", None), "lead_document_chunks", 24)
        return [p for p in siblings(lead.doc_id) if p.chunk_id not in have][:limit]

    def ask(self, question: str, options: AskOptions | None = None) -> Answer:
        """Answer one question."""
        options = options or AskOptions()
        t0 = time.perf_counter()
        passages = self.retrieve(question, options)
        t1 = time.perf_counter()
        refusal = self.outlet_refusal(question, passages)
        if refusal is not None:
            answer = refusal
        elif getattr(self.answerer, "name", "") == "llm":
            answer = self.answerer.answer(question, passages, options.context)
        else:
            answer = self.answerer.answer(question, passages, self.rest_of_lead_article(passages))
        t2 = time.perf_counter()
        answer.timings = {"retrieve_ms": (t1 - t0) * 1000, "answer_ms": (t2 - t1) * 1000,
                          "total_ms": (t2 - t0) * 1000}
        return answer

    def stream(self, question: str, options: AskOptions | None = None) -> Iterator[str | Answer]:
        """Yield text pieces as an LLM writes them, then the final `Answer` (extractive: just the Answer)."""
        options = options or AskOptions()
        if getattr(self.answerer, "name", "") != "llm":
            yield self.ask(question, options)
            return
        t0 = time.perf_counter()
        passages = self.retrieve(question, options)
        t1 = time.perf_counter()
        refusal = self.outlet_refusal(question, passages)
        if refusal is not None:
            refusal.timings = {"retrieve_ms": (t1 - t0) * 1000, "answer_ms": 0.0, "total_ms": (t1 - t0) * 1000}
            yield refusal
            return
        for item in self.answerer.stream(question, passages, options.context):
            if isinstance(item, Answer):
                t2 = time.perf_counter()
                item.timings = {"retrieve_ms": (t1 - t0) * 1000, "answer_ms": (t2 - t1) * 1000,
                                "total_ms": (t2 - t0) * 1000}
            yield item

    def warm_up(self) -> None:
        """Load the model and build the lexical index now, not on the first question."""
        self.retriever.refresh_if_stale()
        self.retriever.search("warm up", k=1)
        self.retriever.store.embedder.encode_query("warm up")

    def as_runnable(self) -> Runnable:
        """The chain as a LangChain Runnable: {"question", "k"?, "filters"?, "context"?} -> Answer."""
        def run(inputs: dict | str) -> Answer:
            if isinstance(inputs, str):
                return self.ask(inputs)
            return self.ask(inputs["question"], AskOptions(k=inputs.get("k"), filters=inputs.get("filters"),
                                                           context=inputs.get("context", "")))

        return RunnableLambda(run, name="newsdesk_answer")


def build_answerer(settings: Settings, retriever: HybridRetriever) -> object:
    """The extractive answerer, or the LLM answerer when NEWSDESK_LLM_MODEL is set."""
    extractive = ExtractiveAnswerer(idf=getattr(retriever, "idf", None))
    if not settings.llm_model:
        return extractive
    from .llm import LLMAnswerer, make_chat_model

    model = make_chat_model(settings.llm_model, settings.llm_base_url, settings.llm_api_key.get_secret_value(),
                            settings.llm_temperature, settings.llm_timeout)
    return LLMAnswerer(model, fallback=extractive)


def build_chain(settings: Settings, store: NewsStore | None = None) -> AnswerChain:
    """The chain the front ends use, from settings (opens the store; it must exist)."""
    store = store or NewsStore(settings.store, create=False)
    retriever = HybridRetriever(store)
    return AnswerChain(retriever, build_answerer(settings, retriever), top_k=settings.top_k)
