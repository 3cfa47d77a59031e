"""The optional generative answerer: any OpenAI-compatible chat endpoint through LangChain.

The prompt (`prompts.py`) gives the numbered passages as untrusted data and asks for [n]
citations. The model's text is made safe as it streams and when final (no mentions, no
links: `safety.py`). After generation, citations to no passage are removed and the rest
renumbered in order of appearance; an answer left with no valid citation falls back to
the extractive answer. An endpoint that fails or times out is handled one level up, by
`fallback.FallbackAnswerer`.
"""

from __future__ import annotations

import logging
import re
from typing import Iterator, Sequence

from langchain_core.language_models import BaseChatModel

from vectorstore.passage import Passage

from ..answer import Answer, Citation
from .base import Evidence
from .extractive import ExtractiveAnswerer
from .prompts import NOT_FOUND_MARK, build_messages
from .safety import SafeStream, safe_text

log = logging.getLogger(__name__)

_CITATION = re.compile(r"\[(\d{1,3})\]")
_CITATION_GROUP = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})+)\]")  # "[1, 7]"


def make_chat_model(model: str, base_url: str, api_key: str, temperature: float, timeout: float) -> BaseChatModel:
    """A LangChain chat model for an OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp).

    A failed call is not retried: the extractive answer is given at once instead, and the
    circuit breaker decides when the endpoint is tried again."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model=model, base_url=base_url or None, api_key=api_key or "not-needed",
                      temperature=temperature, timeout=timeout, max_retries=0)


def validate_citations(text: str, passages: Sequence[Passage]) -> tuple[str, list[Citation]]:
    """Drop [n] markers that point to no passage; renumber the rest 1.. in order of use
    ("[1, 7]" counts as "[1][7]")."""
    mapping: dict[int, int] = {}
    citations: list[Citation] = []

    def renumber(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if not 1 <= n <= len(passages):
            return ""
        if n not in mapping:
            mapping[n] = len(mapping) + 1
            citations.append(Citation.from_passage(mapping[n], passages[n - 1]))
        return f"[{mapping[n]}]"

    text = _CITATION_GROUP.sub(lambda m: "".join(f"[{n.strip()}]" for n in m.group(1).split(",")), text)
    cleaned = _CITATION.sub(renumber, text)
    cleaned = re.sub(r"[ \t]+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip()
    return cleaned, citations


class LLMAnswerer:
    """Answers with a chat model, keeping only citations that point at real passages."""

    name = "llm"

    def __init__(self, model: BaseChatModel, fallback: ExtractiveAnswerer | None = None) -> None:
        self.model = model
        self.fallback = fallback or ExtractiveAnswerer()

    def _finish(self, question: str, evidence: Evidence, text: str) -> Answer:
        passages = list(evidence.passages)
        if NOT_FOUND_MARK in text[:40]:
            return Answer.not_found(question, passages=passages, answerer=self.name)
        cleaned, citations = validate_citations(safe_text(text), passages)
        if not citations:
            log.info("LLM answer had no valid citation; using the extractive answer")
            answer = self.fallback.answer(question, evidence)
            answer.answerer = f"{self.name}+extractive"
            answer.fallback_reason = "no-valid-citation"
            return answer
        return Answer(question=question, answer=cleaned, found=True, citations=citations, passages=passages,
                      answerer=self.name)

    def answer(self, question: str, evidence: Evidence) -> Answer:
        """Generate an answer; validate its citations."""
        reply = self.model.invoke(build_messages(question, evidence.passages, evidence.context))
        return self._finish(question, evidence, _text_of(reply.content))

    def stream(self, question: str, evidence: Evidence) -> Iterator[str | Answer]:
        """Yield the answer's text as it is generated (made safe: a mention or link being
        written is held back until it can be defused), then the validated `Answer`."""
        pieces: list[str] = []
        safe = SafeStream()
        for chunk in self.model.stream(build_messages(question, evidence.passages, evidence.context)):
            piece = _text_of(chunk.content)
            if piece:
                pieces.append(piece)
                shown = safe.feed(piece)
                if shown:
                    yield shown
        rest = safe.close()
        if rest:
            yield rest
        yield self._finish(question, evidence, "".join(pieces))


def _text_of(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content or "")
