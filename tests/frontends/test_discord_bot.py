"""The Discord bot: mentions and replies through dpytest, slash commands and buttons through
their callbacks with a fake Interaction. No network, no store (except the slow end-to-end test)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import threading
import time
from contextlib import nullcontext
from types import SimpleNamespace

import discord
import discord.ext.test as dpytest
import pytest
from discord.ext.test import backend, factories

from bot.answer import Answer, Citation
from bot.frontends.discord.client import FEEDBACK_DOWN, FEEDBACK_UP, FeedbackView, NewsdeskBot, create_bot
from bot.frontends.discord.render import DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT
from bot.frontends.discord.feedback import FeedbackLog
from bot.settings import Settings

TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GfakeT.fake-token-for-the-tests_0123456789"
NONE_MENTIONS = discord.AllowedMentions.none().to_dict()
_ids = itertools.count(900_000_000_000_000_000)


def cite(n: int = 1) -> Citation:
    return Citation(n=n, text="The fund is £58m.", title=f"Winter access fund {n}", url=f"https://news.example/{n}",
                    published="2025-01-14", source="GP Frontline", kind="article", author="", doc_id=f"doc-{n}",
                    score=0.8)


def answer_for(question: str, text: str = "The winter access fund is £58m [1].", n_cites: int = 1) -> Answer:
    return Answer(question=question, answer=text, found=True, citations=[cite(i) for i in range(1, n_cites + 1)],
                  timings={"total_ms": 120.0})


class FakeAsk:
    """Records calls (question, options) and how many ran at once."""

    def __init__(self, *, delay: float = 0.0, text: str | None = None, error: Exception | None = None) -> None:
        self.calls: list[tuple[str, object]] = []
        self.delay, self.text, self.error = delay, text, error
        self.active = self.peak = 0
        self._lock = threading.Lock()

    def __call__(self, question: str, options: object) -> Answer:
        with self._lock:
            self.calls.append((question, options))
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            time.sleep(self.delay)
            if self.error:
                raise self.error
            return answer_for(question, self.text) if self.text else answer_for(question)
        finally:
            with self._lock:
                self.active -= 1


def make_settings(tmp_path, **overrides) -> Settings:
    return Settings(discord_token=TOKEN, store_dir=tmp_path / "store", **overrides)


async def wire(bot: NewsdeskBot, **config) -> NewsdeskBot:
    """Connect a bot to dpytest's fake Discord (which resolves mentions through the member cache)."""
    bot._connection._intents.members = True
    bot._connection.member_cache_flags = discord.MemberCacheFlags.from_intents(bot._connection._intents)
    await bot._async_setup_hook()
    dpytest.configure(bot, voice_channels=0, **config)
    await bot._async_setup_hook()  # again: dpytest's new connection state needs the running loop (typing)
    return bot


@pytest.fixture
async def dpy(tmp_path):
    """Makes a bot wired into dpytest: make(ask, **settings) -> bot."""
    async def make(ask, *, feedback: FeedbackLog | None = None, channels: int = 1, members: int = 1,
                   **overrides) -> NewsdeskBot:
        bot = create_bot(make_settings(tmp_path, **overrides), ask, feedback=feedback)
        return await wire(bot, text_channels=channels, members=members)

    yield make
    await dpytest.empty_queue()


def sent_messages() -> list[discord.Message]:
    out = []
    while not dpytest.sent_queue.empty():
        out.append(dpytest.get_message())
    return out


# --- mentions -------------------------------------------------------------------------------
async def test_mention_gets_an_answer_embed_with_sources(dpy, sent_payloads):
    ask = FakeAsk()
    bot = await dpy(ask)
    await dpytest.message(f"{bot.user.mention} How much is the winter access fund?")
    msg = dpytest.get_message()
    embed = msg.embeds[0]
    assert embed.title == "How much is the winter access fund?"
    assert "£58m [1]" in embed.description
    assert embed.fields[0].name == "Sources" and "<https://news.example/1>" in embed.fields[0].value
    assert ask.calls[0][0] == "How much is the winter access fund?"  # the mention is stripped
    assert ask.calls[0][1].context == "" and ask.calls[0][1].filters is None
    # dpytest's state drops the client default, so this shows every send passes it itself
    assert sent_payloads and all(p["allowed_mentions"] == NONE_MENTIONS for p in sent_payloads)
    assert bot.records[msg.id].doc_ids == ("doc-1",)


async def test_mentioning_the_bots_own_role_counts(dpy, monkeypatch):
    ask = FakeAsk()
    await dpy(ask)
    role = backend.make_role("Newsdesk", dpytest.get_config().guilds[0])
    monkeypatch.setattr(discord.Guild, "self_role", property(lambda guild: role))
    await dpytest.message(f"{role.mention}   How much   is the fund?")
    assert dpytest.get_message().embeds and ask.calls[0][0] == "How much is the fund?"


async def test_messages_without_a_mention_are_ignored(dpy):
    ask = FakeAsk()
    await dpy(ask)
    await dpytest.message("How much is the winter access fund?")
    assert dpytest.sent_queue.empty() and ask.calls == []


async def test_reply_to_an_answer_is_a_follow_up_with_context(dpy):
    ask = FakeAsk()
    bot = await dpy(ask)
    config = dpytest.get_config()
    channel, member = config.channels[0], config.members[0]
    await dpytest.message(f"{bot.user.mention} How much is the winter access fund?")
    first = dpytest.get_message()
    data = factories.make_message_dict(channel, member, content="And when does it open?")
    data["message_reference"] = {"message_id": first.id, "channel_id": channel.id, "guild_id": channel.guild.id}
    backend.get_state().parse_message_create(data)
    await dpytest.run_all_events()
    reply = dpytest.get_message()
    question, options = ask.calls[1]
    assert question == "And when does it open?"
    assert options.context == "Q: How much is the winter access fund?\nA: The winter access fund is £58m [1]."
    assert reply.embeds[0].title == "And when does it open?"
    # a reply to that follow-up is still about the fund: its record keeps the question it followed up
    data = factories.make_message_dict(channel, member, content="Who pays for it?")
    data["message_reference"] = {"message_id": reply.id, "channel_id": channel.id, "guild_id": channel.guild.id}
    backend.get_state().parse_message_create(data)
    await dpytest.run_all_events()
    assert ask.calls[2][1].context.startswith("Q: How much is the winter access fund?\nA: ")


async def test_reply_to_an_answer_from_before_a_restart_uses_its_embed(dpy):
    ask = FakeAsk()
    bot = await dpy(ask)
    await dpytest.message(f"{bot.user.mention} How much is the winter access fund?")
    first = dpytest.get_message()
    bot.records.clear()  # as after a restart
    config = dpytest.get_config()
    channel, member = config.channels[0], config.members[0]
    data = factories.make_message_dict(channel, member, content="Who pays for it?")
    data["message_reference"] = {"message_id": first.id, "channel_id": channel.id, "guild_id": channel.guild.id}
    data["referenced_message"] = factories.dict_from_message(first)
    data["referenced_message"]["embeds"] = [e.to_dict() for e in first.embeds]
    backend.get_state().parse_message_create(data)
    await dpytest.run_all_events()
    assert ask.calls[1][1].context.startswith("Q: How much is the winter access fund?\nA: The winter access fund")
    assert dpytest.get_message().embeds


async def test_long_answer_is_split_under_the_limits(dpy):
    long_text = " ".join(f"Quoted sentence {i} from the coverage [1]." for i in range(700))
    ask = FakeAsk(text=long_text)
    bot = await dpy(ask)
    await dpytest.message(f"{bot.user.mention} Tell me everything")
    messages = sent_messages()
    assert len(messages) >= 3
    for m in messages:
        assert len(m.embeds) == 1 and len(m.embeds[0]) <= EMBED_TOTAL_LIMIT
        assert len(m.embeds[0].description or "") <= DESCRIPTION_LIMIT
    text = " ".join(m.embeds[0].description for m in messages if m.embeds[0].description)
    assert text.split() == long_text.split()
    assert messages[-1].embeds[0].fields[0].name == "Sources"
    assert all(m.id in bot.records for m in messages)


@pytest.mark.parametrize("content, expected", [("", "Please ask a question"),
                                               ("x" * 501, "up to 500 characters (yours has 501)")])
async def test_empty_and_overlong_questions_are_refused(dpy, content, expected):
    ask = FakeAsk()
    bot = await dpy(ask)
    await dpytest.message(f"{bot.user.mention} {content}")
    assert expected in dpytest.get_message().content
    assert ask.calls == []


async def test_rate_limit_refuses_the_sixth_question(dpy, sent_payloads, record_figure):
    ask = FakeAsk()
    bot = await dpy(ask)
    for i in range(5):
        await dpytest.message(f"{bot.user.mention} question {i}")
        assert dpytest.get_message().embeds
    await dpytest.message(f"{bot.user.mention} one too many")
    refusal = dpytest.get_message()
    assert re.search(r"try again in (59|60) s", refusal.content) and not refusal.embeds
    assert len(ask.calls) == 5
    assert len(sent_payloads) == 6 and all(p["allowed_mentions"] == NONE_MENTIONS for p in sent_payloads)
    record_figure("flood_questions_sent", 6)
    record_figure("flood_questions_answered", len(ask.calls))


async def test_channel_allow_list(dpy):
    ask = FakeAsk()
    bot = await dpy(ask, channels=2)
    allowed, other = dpytest.get_config().channels[:2]
    bot.settings.discord_channels = [allowed.id]
    await dpytest.message(f"{bot.user.mention} in the wrong place", channel=other)
    assert dpytest.sent_queue.empty() and ask.calls == []
    await dpytest.message(f"{bot.user.mention} in the right place", channel=allowed)
    assert dpytest.get_message().embeds and len(ask.calls) == 1


async def test_guild_allow_list(dpy):
    ask = FakeAsk()
    bot = await dpy(ask)
    bot.settings.discord_guilds = [1]
    await dpytest.message(f"{bot.user.mention} anyone?")
    assert dpytest.sent_queue.empty() and ask.calls == []


async def test_dm_refused_unless_enabled(dpy):
    ask = FakeAsk()
    bot = await dpy(ask)
    member = dpytest.get_config().members[0]
    dm = await member.create_dm()
    await dpytest.message("How much is the fund?", channel=dm, member=member._user)
    assert "not in direct messages" in dpytest.get_message().content and ask.calls == []
    bot.settings.discord_allow_dms = True
    await dpytest.message("How much is the fund?", channel=dm, member=member._user)
    assert dpytest.get_message().embeds and ask.calls[0][0] == "How much is the fund?"


async def test_error_gives_an_apology_with_an_id_and_logs_without_the_token(dpy, caplog, sent_payloads):
    ask = FakeAsk(error=RuntimeError(f"store exploded; token was {TOKEN}"))
    bot = await dpy(ask)
    with caplog.at_level(logging.INFO):
        await dpytest.message(f"{bot.user.mention} will this break? {TOKEN}")
    reply = dpytest.get_message()
    match = re.search(r"error id `([0-9a-f]{8})`", reply.content)
    assert match and "Sorry" in reply.content and TOKEN not in reply.content
    assert sent_payloads[-1]["allowed_mentions"] == NONE_MENTIONS
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and match.group(1) in errors[0].getMessage() and errors[0].exc_info
    assert "store exploded" in caplog.text  # the details are logged...
    assert TOKEN not in caplog.text  # ...but never the token
    assert all(TOKEN not in r.getMessage() and TOKEN not in (r.exc_text or "") for r in caplog.records)


async def test_ten_concurrent_questions_respect_the_cap(dpy, record_figure):
    ask = FakeAsk(delay=0.05)
    bot = await dpy(ask, rate_limit_count=20)
    config = dpytest.get_config()
    for i in range(10):  # all arrive before any is answered
        backend.make_message(f"{bot.user.mention} question {i}", config.members[0], config.channels[0])
    await dpytest.run_all_events()
    messages = sent_messages()
    assert len(messages) == 10 and all(m.embeds for m in messages)
    assert sorted(q for q, _ in ask.calls) == sorted(f"question {i}" for i in range(10))
    assert 1 < ask.peak <= bot.settings.max_concurrency == 4
    record_figure("concurrent_users_answered", len(messages))
    record_figure("peak_questions_in_flight", ask.peak)


async def test_answers_in_a_thread_when_enabled(dpy, monkeypatch):
    ask = FakeAsk()
    bot = await dpy(ask, discord_use_threads=True)
    thread_sent: list[dict] = []
    thread = SimpleNamespace(id=next(_ids), typing=nullcontext,
                             send=None)

    async def send(**kwargs):
        thread_sent.append(kwargs)
        return SimpleNamespace(id=next(_ids))

    thread.send = send

    async def create_thread(self, *, name, **kwargs):
        assert name == "How much is the fund?"
        return thread

    monkeypatch.setattr(discord.Message, "create_thread", create_thread)
    await dpytest.message(f"{bot.user.mention} How much is the fund?")
    assert dpytest.sent_queue.empty()
    assert thread_sent[0]["embeds"][0].title == "How much is the fund?"
    assert thread_sent[0]["allowed_mentions"].to_dict() == NONE_MENTIONS


# --- slash commands and buttons (fake Interaction) ------------------------------------------
class FakeResponse:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    async def defer(self, **kwargs):
        self.calls.append(("defer", kwargs))

    async def send_message(self, content=None, **kwargs):
        self.calls.append(("send_message", dict(kwargs, content=content)))

    def is_done(self) -> bool:
        return bool(self.calls)


class FakeFollowup:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send(self, content=None, **kwargs):
        self.sent.append(dict(kwargs, content=content))
        return SimpleNamespace(id=next(_ids))


def interaction(*, user_id: int = 111, manage_guild: bool = False, roles=(), guild: bool = True,
                channel_id: int = 222, message=None):
    user = SimpleNamespace(id=user_id, guild_permissions=discord.Permissions(manage_guild=manage_guild),
                           roles=[SimpleNamespace(id=rid, name=name) for rid, name in roles])
    if not guild:
        user = SimpleNamespace(id=user_id)

    channel_sent: list[dict] = []

    async def channel_send(**kwargs):
        channel_sent.append(kwargs)

    return SimpleNamespace(user=user, guild=SimpleNamespace(id=333) if guild else None,
                           channel=SimpleNamespace(id=channel_id, send=channel_send, channel_sent=channel_sent),
                           response=FakeResponse(), followup=FakeFollowup(), message=message, command=None)


def slash(bot: NewsdeskBot, name: str):
    return bot.tree.get_command(name).callback


def only_refusal(inter) -> str:
    ((kind, kwargs),) = inter.response.calls
    assert kind == "send_message" and kwargs["ephemeral"] is True
    assert kwargs["allowed_mentions"].to_dict() == NONE_MENTIONS
    return kwargs["content"]


async def test_slash_ask_defers_then_answers(tmp_path):
    ask = FakeAsk()
    bot = create_bot(make_settings(tmp_path), ask)
    inter = interaction()
    await slash(bot, "ask")(inter, question="How much is the winter access fund?")
    assert inter.response.calls == [("defer", {"thinking": True})]
    (sent,) = inter.followup.sent
    assert "£58m [1]" in sent["embeds"][0].description and sent["allowed_mentions"].to_dict() == NONE_MENTIONS
    assert "view" not in sent  # no feedback log configured: no buttons
    assert ask.calls[0][1].filters is None


async def test_slash_ask_filters(tmp_path):
    ask = FakeAsk()
    bot = create_bot(make_settings(tmp_path), ask)
    await slash(bot, "ask")(interaction(), question="q", since="2025-01-01", until="2025-03-31",
                            include_comments=False)
    filters = ask.calls[0][1].filters
    assert (filters.since, filters.until, filters.kinds, filters.sources) == ("2025-01-01", "2025-03-31",
                                                                              ("article",), None)
    await slash(bot, "ask")(interaction(), question="q", since="2025-02-01")
    filters = ask.calls[1][1].filters
    assert (filters.since, filters.until, filters.kinds) == ("2025-02-01", None, None)


@pytest.mark.parametrize("kwargs, expected", [
    ({"question": "q", "since": "not a date"}, "YYYY-MM-DD"),
    ({"question": "q", "since": "2025-05-01", "until": "2025-01-01"}, "`since` is after `until`"),
    ({"question": "   "}, "Please ask a question"),
    ({"question": "y" * 600}, "up to 500 characters"),
])
async def test_slash_ask_refusals_are_ephemeral(tmp_path, kwargs, expected):
    ask = FakeAsk()
    bot = create_bot(make_settings(tmp_path), ask)
    inter = interaction()
    await slash(bot, "ask")(inter, **kwargs)
    assert expected in only_refusal(inter) and ask.calls == []


async def test_slash_ask_rate_limit_and_locations(tmp_path):
    ask = FakeAsk()
    bot = create_bot(make_settings(tmp_path, rate_limit_count=1), ask)
    await slash(bot, "ask")(interaction(), question="first")
    inter = interaction()
    await slash(bot, "ask")(inter, question="second")
    assert re.search(r"try again in \d+ s", only_refusal(inter))
    dm = interaction(guild=False, user_id=5)
    await slash(bot, "ask")(dm, question="from a DM")
    assert "direct messages" in only_refusal(dm)
    bot.settings.discord_channels = [999]
    elsewhere = interaction(user_id=6)
    await slash(bot, "ask")(elsewhere, question="wrong channel")
    assert "this channel" in only_refusal(elsewhere)
    assert len(ask.calls) == 1


async def test_slash_ask_error_is_an_apology(tmp_path, caplog):
    bot = create_bot(make_settings(tmp_path), FakeAsk(error=ValueError("bad")))
    inter = interaction()
    await slash(bot, "ask")(inter, question="q")
    (sent,) = inter.followup.sent
    error_id = re.search(r"error id `([0-9a-f]{8})`", sent["content"]).group(1)
    assert any(error_id in r.getMessage() and r.exc_info for r in caplog.records)


async def test_slash_ask_busy_when_the_queue_is_full(tmp_path):
    bot = create_bot(make_settings(tmp_path, max_concurrency=1, max_queue=1), FakeAsk())
    bot.gate.active, bot.gate.waiting = 1, 1
    inter = interaction()
    await slash(bot, "ask")(inter, question="q")
    assert "try again shortly" in only_refusal(inter)


async def test_slash_sources(tmp_path):
    stats = SimpleNamespace(documents=3, chunks=12, newest_article="2025-05-07",
                            by_source_kind={("GP Frontline", "article"): (2, 10), ("GP Frontline", "comment"): (1, 2)})
    bot = create_bot(make_settings(tmp_path), FakeAsk(), stats_fn=lambda: stats)
    inter = interaction()
    await slash(bot, "sources")(inter)
    assert inter.response.calls == [("defer", {"thinking": True})]
    desc = inter.followup.sent[0]["embeds"][0].description
    assert "GP Frontline" in desc and "2025-05-07" in desc and "1 reader's comment" in desc
    no_stats = create_bot(make_settings(tmp_path), FakeAsk())
    inter = interaction()
    await slash(no_stats, "sources")(inter)
    assert "aren't available" in only_refusal(inter)


async def test_slash_help(tmp_path):
    bot = create_bot(make_settings(tmp_path), FakeAsk())
    inter = interaction()
    await slash(bot, "help")(inter)
    ((kind, kwargs),) = inter.response.calls
    assert kind == "send_message" and kwargs["ephemeral"] is True
    assert "/ask" in kwargs["embeds"][0].description
    assert bot.tree.get_command("help").description.startswith("How to ask")


def ingest_report(**kw):
    base = dict(added=2, updated=1, unchanged=5, removed=0, failed=[], chunks=40, seconds=0.4)
    return SimpleNamespace(**dict(base, **kw))


async def test_reingest_as_admin_runs_in_the_background_and_answers_meanwhile(tmp_path):
    gate = threading.Event()

    def reingest():
        gate.wait(5)
        return ingest_report()

    ask = FakeAsk()
    bot = create_bot(make_settings(tmp_path), ask, reingest_fn=reingest)
    admin = interaction(manage_guild=True)
    await slash(bot, "reingest")(admin)
    assert admin.response.calls[0][0] == "send_message" and "Re-ingesting" in admin.response.calls[0][1]["content"]
    assert not bot.reingest_task.done()
    second = interaction(manage_guild=True)
    await slash(bot, "reingest")(second)
    assert "already running" in only_refusal(second)
    user = interaction(user_id=999)
    await slash(bot, "ask")(user, question="still answering?")
    assert user.followup.sent[0]["embeds"]  # answered while the ingest runs
    gate.set()
    await asyncio.wait_for(bot.reingest_task, 5)
    summary = admin.followup.sent[0]["content"]
    assert "2 added, 1 updated, 5 unchanged, 0 removed, 0 failed" in summary


async def test_reingest_by_admin_role_and_failure(tmp_path, caplog):
    def broken():
        raise OSError("disk gone")

    bot = create_bot(make_settings(tmp_path, discord_admin_roles=["Editors", "4242"]), FakeAsk(), reingest_fn=broken)
    by_name = interaction(roles=[(1, "editors")])
    await slash(bot, "reingest")(by_name)
    await bot.reingest_task
    assert "error id" in by_name.followup.sent[0]["content"]
    assert "disk gone" in caplog.text
    assert bot.is_admin(interaction(roles=[(4242, "whatever")]).user)


async def test_reingest_refused_for_non_admins(tmp_path, record_figure):
    calls = []
    bot = create_bot(make_settings(tmp_path), FakeAsk(), reingest_fn=lambda: calls.append(1))
    for inter in (interaction(roles=[(7, "Reporters")]), interaction(guild=False)):
        await slash(bot, "reingest")(inter)
        assert "Only server admins" in only_refusal(inter) or "direct messages" in only_refusal(inter)
    assert calls == [] and bot.reingest_task is None
    record_figure("non_admin_reingests_refused", 2)


async def test_feedback_buttons_write_to_sqlite(tmp_path):
    feedback = FeedbackLog(tmp_path / "fb.sqlite3")
    bot = create_bot(make_settings(tmp_path), FakeAsk(), feedback=feedback)
    asker = interaction()
    await slash(bot, "ask")(asker, question="How much is the winter access fund?")
    view = asker.followup.sent[0]["view"]
    assert isinstance(view, FeedbackView) and view.timeout is None
    assert {c.custom_id for c in view.children} == {FEEDBACK_UP, FEEDBACK_DOWN}
    message_id = next(iter(bot.records))
    voter = interaction(user_id=4242, message=SimpleNamespace(id=message_id, embeds=[], content=""))
    await view.vote_up.callback(voter)
    assert "Thanks" in only_refusal(voter)
    # a button on an answer sent before a restart: the text comes from the message itself
    old = SimpleNamespace(id=77, content="", embeds=[discord.Embed(title="Old question", description="Old answer")])
    await view.vote_down.callback(interaction(user_id=5, message=old))
    rows = feedback.rows()
    feedback.close()
    assert [(r["question"], r["vote"], r["doc_ids"], r["message_id"]) for r in rows] == [
        ("How much is the winter access fund?", 1, ["doc-1"], message_id), ("Old question", -1, [], 77)]
    assert rows[0]["user_hash"] != "4242" and len(rows[0]["user_hash"]) == 64


async def test_setup_hook_syncs_to_the_test_guild_or_globally(tmp_path, monkeypatch):
    for test_guild in (123456, None):
        bot = create_bot(make_settings(tmp_path, discord_test_guild=test_guild), FakeAsk(),
                         feedback=FeedbackLog(tmp_path / "fb.sqlite3"))
        synced = []

        async def sync(*, guild=None):
            synced.append(guild.id if guild else None)
            return []

        monkeypatch.setattr(bot.tree, "sync", sync)
        await bot.setup_hook()
        assert synced == [test_guild]
        if test_guild:
            assert {c.name for c in bot.tree.get_commands(guild=discord.Object(test_guild))} == {
                "ask", "sources", "help", "reingest"}
        assert any(isinstance(v, FeedbackView) for v in bot.persistent_views)
        bot.feedback.close()


async def test_tree_errors_get_an_apology(tmp_path, caplog):
    bot = create_bot(make_settings(tmp_path), FakeAsk())
    inter = interaction()
    await bot.tree.on_error(inter, discord.app_commands.AppCommandError(f"kaput {TOKEN}"))
    error_id = re.search(r"`([0-9a-f]{8})`", only_refusal(inter)).group(1)
    assert error_id in caplog.text and TOKEN not in caplog.text


def test_intents_and_commands(tmp_path):
    bot = create_bot(make_settings(tmp_path), FakeAsk())
    assert bot.intents.message_content and bot.intents.guilds
    assert bot.allowed_mentions.to_dict() == NONE_MENTIONS
    ask = bot.tree.get_command("ask")
    assert [p.name for p in ask.parameters] == ["question", "since", "until", "include_comments"]
    assert [p.required for p in ask.parameters] == [True, False, False, False]


# --- end to end ---------------------------------------------------------------------------------
@pytest.mark.slow
async def test_end_to_end_mention_on_the_sample_corpus(sample_store, tmp_path):
    from bot.chain import build_chain
    from bot.retrieval import HybridRetriever

    chain = build_chain(retriever=HybridRetriever(sample_store))
    bot = await wire(create_bot(make_settings(tmp_path), chain.ask))
    try:
        await dpytest.message(f"{bot.user.mention} How much is the winter access fund?")
        embed = dpytest.get_embed()
        assert "£58m" in embed.description
        assert re.search(r"<https?://\S+>", embed.fields[0].value)
    finally:
        await dpytest.empty_queue()


async def test_store_down_is_said_plainly_and_the_bot_stays_up(tmp_path):
    from vectorstore.store import StoreUnavailableError

    bot = create_bot(make_settings(tmp_path), FakeAsk(error=StoreUnavailableError("server down")))
    for _ in range(2):  # it keeps answering
        inter = interaction()
        await slash(bot, "ask")(inter, question="q")
        (sent,) = inter.followup.sent
        assert "unavailable" in sent["content"] and "error id" not in sent["content"]
