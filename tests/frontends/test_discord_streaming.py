"""LLM answers streamed into Discord (dpytest, a fake streaming chat model): the reply is
posted as soon as the model writes, edited no more than once per interval, and replaced by
the checked answer (invalid citations dropped, sources listed, buttons); a model failing
half-way ends in the fallback answer in the same message; a chain failing half-way ends in
an apology in the same message; the slash command streams through its follow-up."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import discord
import discord.ext.test as dpytest
import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from bot.answering import Evidence, ExtractiveAnswerer
from bot.answering.fallback import UNAVAILABLE_NOTE, FallbackAnswerer
from bot.answering.llm import LLMAnswerer
from bot.answering.safety import ZWSP
from bot.frontends.discord.client import FeedbackView, create_bot
from bot.frontends.discord.feedback import FeedbackLog
from bot.frontends.discord.streaming import CURSOR, WRITING_FOOTER, render_partial
from tests.answering.test_llm import QUESTION, _passages
from tests.frontends.test_discord_bot import NONE_MENTIONS, FakeAsk, interaction, make_settings, sent_messages, \
    slash, wire

REPLY = ("NHS England added £146m to the practice staffing fund [1], while a reader called it a sticking "
         "plaster [2] [7]. Hey @everyone, more soon.")
INTERVAL = 0.2


class SlowModel(GenericFakeChatModel):
    """Writes its reply word by word, `delay` seconds apart; with `fail_after`, the connection
    drops after that many words."""

    reply: str = REPLY
    delay: float = 0.03
    fail_after: int | None = None

    def _stream(self, *args, **kwargs):  # noqa: ANN002, ANN003
        for i, word in enumerate(re.findall(r"\S+\s*", self.reply)):
            if self.fail_after is not None and i == self.fail_after:
                raise ConnectionError("connection reset by the model server")
            time.sleep(self.delay)
            yield ChatGenerationChunk(message=AIMessageChunk(content=word))


def llm_stream(model):
    answerer = FallbackAnswerer(LLMAnswerer(model), ExtractiveAnswerer())

    def stream(question, options):
        yield from answerer.stream(question, Evidence(_passages()))

    return stream


@pytest.fixture
def edits(monkeypatch):
    """Every message edit: (time, kwargs)."""
    seen: list[tuple[float, dict]] = []
    original = discord.Message.edit

    async def spy(self, **kwargs):
        seen.append((time.monotonic(), kwargs))
        return await original(self, **kwargs)

    monkeypatch.setattr(discord.Message, "edit", spy)
    return seen


@pytest.fixture
async def streaming_bot(tmp_path):
    bots = []

    async def make(stream, **kwargs):
        bot = create_bot(make_settings(tmp_path), FakeAsk(), stream=stream, **kwargs)
        bot.edit_interval = INTERVAL
        bots.append(await wire(bot, text_channels=1, members=1))
        return bots[-1]

    yield make
    await dpytest.empty_queue()
    for bot in bots:
        if bot.feedback is not None:
            bot.feedback.close()


async def test_llm_answer_is_posted_early_edited_at_most_once_per_interval_then_checked(
        streaming_bot, edits, sent_payloads, tmp_path):
    bot = await streaming_bot(llm_stream(SlowModel(messages=iter([]))), feedback=FeedbackLog(tmp_path / "fb.sqlite3"))
    t0 = time.monotonic()
    await dpytest.message(f"{bot.user.mention} {QUESTION}")
    (posted,) = sent_messages()  # one message, edited in place
    first = posted.embeds[0]
    assert first.footer.text == WRITING_FOOTER and first.description.endswith(CURSOR)
    assert first.title == QUESTION and len(first.description) < len(REPLY)  # posted before the model finished
    partial, final = [kw for _, kw in edits[:-1]], edits[-1][1]
    assert len(partial) >= 2  # the text grew in place while the model wrote (about 0.6 s at 0.2 s per edit)
    assert all(p["embeds"][0].footer.text == WRITING_FOOTER for p in partial)
    times = [t0] + [t for t, _ in edits]
    assert all(b - a >= INTERVAL * 0.9 for a, b in zip(times[1:], times[2:])), times  # rate-limited edits
    # the final edit: the checked answer, [7] dropped, the sources listed, the buttons under it
    embed = final["embeds"][0]
    assert embed.description == ("NHS England added £146m to the practice staffing fund [1], while a reader called "
                                 f"it a sticking plaster [2]. Hey @{ZWSP}everyone, more soon.")
    assert embed.fields[0].name == "Sources" and embed.fields[0].value.count("\n") == 1
    assert "writing" not in embed.footer.text and "llm" in embed.footer.text
    assert isinstance(final["view"], FeedbackView) and final["content"] is None
    # nothing pinged, while writing or after
    assert all("@everyone" not in (kw["embeds"][0].description or "") for _, kw in edits)
    assert all(kw["allowed_mentions"].to_dict() == NONE_MENTIONS for _, kw in edits)
    assert sent_payloads and all(p["allowed_mentions"] == NONE_MENTIONS for p in sent_payloads)
    assert bot.records[posted.id].doc_ids == ("d1", "d1#c1")  # follow-ups and votes find the final answer


async def test_a_model_failing_half_way_ends_in_the_fallback_answer_in_the_same_message(streaming_bot, edits):
    bot = await streaming_bot(llm_stream(SlowModel(messages=iter([]), fail_after=6)))
    await dpytest.message(f"{bot.user.mention} {QUESTION}")
    (posted,) = sent_messages()
    assert posted.embeds[0].footer.text == WRITING_FOOTER
    embed = edits[-1][1]["embeds"][0]
    assert embed.description.startswith(f"*{UNAVAILABLE_NOTE}*\n\n")
    assert "£146m" in embed.description and embed.fields[0].name == "Sources"
    assert "extractive" in embed.footer.text


async def test_a_chain_failing_half_way_ends_in_an_apology_in_the_same_message(streaming_bot, edits, caplog):
    def stream(question, options):
        yield "NHS England added "
        raise RuntimeError("the store went away")

    bot = await streaming_bot(stream)
    await dpytest.message(f"{bot.user.mention} {QUESTION}")
    (posted,) = sent_messages()
    final = edits[-1][1]
    error_id = re.search(r"error id `([0-9a-f]{8})`", final["content"]).group(1)
    assert final["embeds"] == [] and error_id in caplog.text and "the store went away" in caplog.text


async def test_extractive_answers_are_sent_once_without_edits(streaming_bot, edits):
    answerer = ExtractiveAnswerer()
    bot = await streaming_bot(lambda q, o: iter([answerer.answer(q, Evidence(_passages()))]))
    await dpytest.message(f"{bot.user.mention} {QUESTION}")
    (posted,) = sent_messages()
    assert "£146m" in posted.embeds[0].description and posted.embeds[0].fields[0].name == "Sources"
    assert edits == []


async def test_slash_ask_streams_through_its_follow_up(tmp_path):
    bot = create_bot(make_settings(tmp_path), FakeAsk(), stream=llm_stream(SlowModel(messages=iter([]), delay=0.01)))
    bot.edit_interval = INTERVAL
    inter = interaction()
    message_edits: list[dict] = []

    async def edit(**kwargs):
        message_edits.append(kwargs)

    async def followup_send(content=None, **kwargs):
        inter.followup.sent.append(dict(kwargs, content=content))
        return SimpleNamespace(id=4242, edit=edit)

    inter.followup.send = followup_send
    await slash(bot, "ask")(inter, question=QUESTION)
    (posted,) = inter.followup.sent
    assert posted["embeds"][0].footer.text == WRITING_FOOTER and posted["wait"] is True
    final = message_edits[-1]["embeds"][0]
    assert "[7]" not in final.description and final.fields[0].name == "Sources"


def test_partial_render_keeps_the_end_of_long_text_under_the_limit():
    payload = render_partial("q", "word " * 2000 + "@here the end")
    description = payload.embeds[0].description
    assert len(description) <= 4096 and description.startswith("…") and description.endswith("the end" + CURSOR)
    assert "@here" not in description
