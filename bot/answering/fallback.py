"""The LLM path made dependable: when the endpoint fails or times out, the extractive
answer with a one-line note; a circuit breaker keeps a down endpoint from being called on
every question.

`FallbackAnswerer` wraps the LLM answerer, so every front end (ask, the REPL, Discord,
eval) gets the same behaviour from the chain. The user sees the note; the log gets the
exception with an error id (a warning line on the console, the traceback in the log file).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator

from ..answer import Answer
from ..errors import new_error_id
from .base import Answerer, Evidence

log = logging.getLogger("newsdesk.llm")

UNAVAILABLE_NOTE = "The language model is unavailable, so this quotes the coverage directly."


@dataclass(frozen=True)
class BreakerConfig:
    """When a failing endpoint stops being called, and when it is tried again."""

    failures: int = 2  # consecutive failures that open the circuit
    cooldown: float = 30.0  # seconds the circuit stays open before one probe question is let through
    max_cooldown: float = 300.0  # after each failed probe the wait doubles, up to this


class CircuitBreaker:
    """Closed (calls go through), open (calls are skipped), half-open (one probe call).

    Thread-safe; `clock` is injectable for tests.
    """

    def __init__(self, config: BreakerConfig | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config or BreakerConfig()
        self.clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._wait = self.config.cooldown
        self._probing = False

    @property
    def state(self) -> str:
        """"closed", "open" or "half-open"."""
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "half-open" if self._probing else "open"

    def seconds_until_probe(self) -> float:
        """How long until the next probe is let through (0 when closed)."""
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self._opened_at + self._wait - self.clock())

    def allow(self) -> bool:
        """Whether to call the endpoint now (an open circuit lets one probe through after its wait)."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._probing or self.clock() < self._opened_at + self._wait:
                return False
            self._probing = True
            return True

    def success(self) -> None:
        """The call worked: close the circuit."""
        with self._lock:
            if self._opened_at is not None:
                log.warning("language model answering again; circuit closed")
            self._failures, self._opened_at, self._probing = 0, None, False
            self._wait = self.config.cooldown

    def failure(self) -> None:
        """The call failed: count it; open the circuit at the threshold, or again after a failed probe."""
        with self._lock:
            self._failures += 1
            if self._probing:
                self._wait = min(self._wait * 2, self.config.max_cooldown)
            elif self._opened_at is not None or self._failures < self.config.failures:
                return
            self._opened_at, self._probing = self.clock(), False
            log.warning("language model circuit open: answering extractively for %.0f s, then trying again",
                        self._wait)

    def abandon(self) -> None:
        """A call ended without a verdict (its stream was dropped): a probe may be tried again."""
        with self._lock:
            if self._probing:
                self._opened_at, self._probing = self.clock(), False


def is_timeout(exc: BaseException) -> bool:
    """Whether an exception from a chat model is a timeout (openai's, httpx's or Python's)."""
    return isinstance(exc, TimeoutError) or any("Timeout" in cls.__name__ for cls in type(exc).__mro__)


class FallbackAnswerer:
    """Answers with `primary` (the LLM); when it raises, or its circuit is open, with
    `fallback` (extractive), marking the answer with the reason and the note."""

    def __init__(self, primary: Answerer, fallback: Answerer, breaker: CircuitBreaker | None = None) -> None:
        self.primary = primary
        self.fallback = fallback
        self.breaker = breaker or CircuitBreaker()
        self.name = primary.name

    def answer(self, question: str, evidence: Evidence) -> Answer:
        """The primary's answer, or the fallback's with the reason."""
        if not self.breaker.allow():
            return self._fallback(question, evidence, "circuit-open")
        try:
            answer = self.primary.answer(question, evidence)
        except Exception as exc:  # noqa: BLE001 - any endpoint failure: answer anyway
            return self._failed(question, evidence, exc)
        self.breaker.success()
        return answer

    def stream(self, question: str, evidence: Evidence) -> Iterator[str | Answer]:
        """The primary's pieces and answer; a failure, even half-way, ends in the fallback answer."""
        if not self.breaker.allow():
            yield self._fallback(question, evidence, "circuit-open")
            return
        settled = False
        try:
            for item in self.primary.stream(question, evidence):
                if isinstance(item, Answer):
                    settled = True
                    self.breaker.success()
                yield item
        except Exception as exc:  # noqa: BLE001 - any endpoint failure: answer anyway
            settled = True
            yield self._failed(question, evidence, exc)
        finally:
            if not settled:
                self.breaker.abandon()

    def _failed(self, question: str, evidence: Evidence, exc: Exception) -> Answer:
        error_id = new_error_id()
        reason = "timeout" if is_timeout(exc) else "endpoint-error"
        # one line on the console; the traceback goes to the log file (the handlers redact secrets)
        log.warning("language model failed (%s: %s); answering extractively [error %s]",
                    type(exc).__name__, exc, error_id, exc_info=exc)
        self.breaker.failure()
        return self._fallback(question, evidence, reason, error_id)

    def _fallback(self, question: str, evidence: Evidence, reason: str, error_id: str | None = None) -> Answer:
        if reason == "circuit-open":
            log.info("language model circuit open; answering extractively")
        answer = self.fallback.answer(question, evidence)
        answer.answerer = self.fallback.name
        answer.fallback_reason, answer.note, answer.error_id = reason, UNAVAILABLE_NOTE, error_id
        return answer
