"""The LLM path when the endpoint fails: the extractive answer with the note, the reason
and an error id; the circuit breaker; streams that fail half-way; model output made safe
as it streams; and a real OpenAI-compatible endpoint on loopback that is down, or slow."""

from __future__ import annotations

import json
import logging
import random
import socket
import time
from http.server import BaseHTTPRequestHandler

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk

from bot.answering import Evidence, ExtractiveAnswerer
from bot.answering.fallback import UNAVAILABLE_NOTE, BreakerConfig, CircuitBreaker, FallbackAnswerer, is_timeout
from bot.answering.llm import LLMAnswerer, make_chat_model
from bot.answering.safety import ZWSP, SafeStream, safe_text
from tests.answering.test_llm import QUESTION, _passages
from tests.conftest import loopback_http


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class DownModel(FakeListChatModel):
    """A chat model whose endpoint fails; counts the calls."""

    calls: int = 0
    error: str = "connection"

    def _call(self, *args, **kwargs):  # noqa: ANN002, ANN003
        type(self).calls += 1
        raise TimeoutError("read timed out") if self.error == "timeout" else ConnectionError("endpoint refused")


class HalfwayModel(GenericFakeChatModel):
    """Streams a few words, then the connection drops."""

    def _stream(self, *args, **kwargs):  # noqa: ANN002, ANN003
        from langchain_core.outputs import ChatGenerationChunk

        for word in ("NHS England ", "added "):
            yield ChatGenerationChunk(message=AIMessageChunk(content=word))
        raise ConnectionError("stream cut")


def fallback_answerer(model, clock=None, failures=2) -> FallbackAnswerer:
    breaker = CircuitBreaker(BreakerConfig(failures=failures, cooldown=30, max_cooldown=100), clock=clock or Clock())
    return FallbackAnswerer(LLMAnswerer(model), ExtractiveAnswerer(), breaker)


def test_endpoint_failure_gives_the_extractive_answer_with_the_note_and_an_error_id(caplog):
    DownModel.calls = 0
    answer = fallback_answerer(DownModel(responses=["x"])).answer(QUESTION, Evidence(_passages()))
    assert answer.found and "£146m" in answer.answer and answer.citations[0].doc_id == "d1"
    assert answer.answerer == "extractive" and answer.fallback_reason == "endpoint-error"
    assert answer.note == UNAVAILABLE_NOTE
    data = answer.to_dict()
    assert (data["answerer"], data["fallback_reason"], data["note"]) == ("extractive", "endpoint-error", UNAVAILABLE_NOTE)
    (record,) = [r for r in caplog.records if answer.error_id in r.getMessage()]
    assert record.levelno == logging.WARNING and record.exc_info and "endpoint refused" in record.getMessage()


def test_a_timeout_is_named_as_such():
    DownModel.calls = 0
    answer = fallback_answerer(DownModel(responses=["x"], error="timeout")).answer(QUESTION, Evidence(_passages()))
    assert answer.fallback_reason == "timeout" and answer.found
    assert is_timeout(TimeoutError()) and not is_timeout(ConnectionError())


def test_a_working_model_answers_with_no_note():
    answer = fallback_answerer(FakeListChatModel(responses=["It was £146m [1]."])).answer(QUESTION, Evidence(_passages()))
    assert answer.answerer == "llm" and answer.note == "" and answer.fallback_reason is None
    assert "fallback_reason" in answer.to_dict() and "error_id" not in answer.to_dict()


def test_circuit_opens_after_failures_then_probes_after_the_cooldown():
    clock = Clock()
    breaker = CircuitBreaker(BreakerConfig(failures=2, cooldown=30, max_cooldown=100), clock=clock)
    assert breaker.allow() and breaker.state == "closed"
    breaker.failure()
    assert breaker.allow() and breaker.state == "closed"  # one failure is not enough
    breaker.failure()
    assert breaker.state == "open" and not breaker.allow()
    clock.now += 29
    assert not breaker.allow() and breaker.seconds_until_probe() == pytest.approx(1)
    clock.now += 1
    assert breaker.allow() and breaker.state == "half-open"
    assert not breaker.allow()  # one probe at a time
    breaker.failure()  # the probe failed: the wait doubles
    clock.now += 59
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()
    breaker.failure()
    clock.now += 100  # capped at max_cooldown
    assert breaker.allow()
    breaker.success()
    assert breaker.state == "closed" and breaker.allow() and breaker.seconds_until_probe() == 0


def test_a_dropped_probe_stream_lets_the_next_question_probe():
    clock = Clock()
    breaker = CircuitBreaker(BreakerConfig(failures=1, cooldown=10), clock=clock)
    breaker.failure()
    clock.now += 10
    assert breaker.allow()
    breaker.abandon()
    assert breaker.state == "open"
    clock.now += 10
    assert breaker.allow()


def test_open_circuit_skips_the_endpoint_until_the_probe(caplog):
    DownModel.calls = 0
    clock = Clock()
    answerer = fallback_answerer(DownModel(responses=["x"]), clock)
    reasons = [answerer.answer(QUESTION, Evidence(_passages())).fallback_reason for _ in range(5)]
    assert reasons == ["endpoint-error", "endpoint-error", "circuit-open", "circuit-open", "circuit-open"]
    assert DownModel.calls == 2  # a down endpoint is not called on every question
    assert "circuit open" in caplog.text
    clock.now += 30
    assert answerer.answer(QUESTION, Evidence(_passages())).fallback_reason == "endpoint-error"
    assert DownModel.calls == 3  # the probe
    answerer.primary.model = FakeListChatModel(responses=["It was £146m [1]."])
    clock.now += 60
    assert answerer.answer(QUESTION, Evidence(_passages())).answerer == "llm"  # back up: closed again
    assert answerer.breaker.state == "closed"


def test_a_stream_failing_half_way_ends_in_the_fallback_answer():
    answerer = fallback_answerer(HalfwayModel(messages=iter([])))
    items = list(answerer.stream(QUESTION, Evidence(_passages())))
    assert [i for i in items if isinstance(i, str)] == ["NHS England ", "added "]
    final = items[-1]
    assert final.answerer == "extractive" and final.fallback_reason == "endpoint-error" and final.note
    assert "£146m" in final.answer and len(items) == 3
    # the circuit counts it; a dropped stream does not leave the breaker half-open
    assert answerer.breaker._failures == 1


def test_model_output_is_made_safe_as_it_streams_and_when_final():
    reply = "Hey @everyone, see [the report](https://evil.example/x) or <@123456> — £146m [1]."
    model = GenericFakeChatModel(messages=iter([AIMessage(content=reply)]))
    items = list(LLMAnswerer(model).stream(QUESTION, Evidence(_passages())))
    streamed = "".join(i for i in items if isinstance(i, str))
    assert streamed == safe_text(reply)
    final = items[-1].answer
    for text in (streamed, final):
        assert "@everyone" not in text and "<@123456>" not in text and "](" not in text and "https://" not in text
        assert "@" + ZWSP + "everyone" in text and "see the report or" in text
    answer = LLMAnswerer(FakeListChatModel(responses=[reply])).answer(QUESTION, Evidence(_passages()))
    assert answer.answer == final


def test_safe_stream_pieces_join_to_the_safe_whole():
    texts = ["Hi @everyone see [the report](https://x.example/a \"t\") and <@123> ok [1] and [2](http://e) "
             "https://foo.example done @here.", "No — [1] says [a [b] c](d) and @ever", "plain words only [3]"]
    rng = random.Random(7)
    for text in texts:
        for _ in range(100):
            stream, out, i = SafeStream(), "", 0
            while i < len(text):
                j = i + rng.randint(1, 7)
                out += stream.feed(text[i:j])
                i = j
            assert out + stream.close() == safe_text(text)


# --- a real OpenAI-compatible endpoint: down, or too slow --------------------------------------
def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"  # nothing listens there now


class _SlowHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # noqa: ANN002 - silence
        pass

    def do_POST(self):  # noqa: N802 - http.server API
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(1.5)
        body = json.dumps({"choices": []}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass


def test_real_endpoint_down_and_too_slow():
    down = FallbackAnswerer(LLMAnswerer(make_chat_model("m", _dead_url(), "sk-x", 0, 5)), ExtractiveAnswerer())
    t0 = time.perf_counter()
    answer = down.answer(QUESTION, Evidence(_passages()))
    assert answer.fallback_reason == "endpoint-error" and answer.found and time.perf_counter() - t0 < 5
    streamed = list(down.stream(QUESTION, Evidence(_passages())))
    assert len(streamed) == 1 and streamed[0].fallback_reason == "endpoint-error"
    with loopback_http(_SlowHandler) as url:
        slow = FallbackAnswerer(LLMAnswerer(make_chat_model("m", url, "sk-x", 0, 0.5)), ExtractiveAnswerer())
        t0 = time.perf_counter()
        answer = slow.answer(QUESTION, Evidence(_passages()))
        assert answer.fallback_reason == "timeout" and answer.found
        assert time.perf_counter() - t0 < 1.4  # one try, no retry
