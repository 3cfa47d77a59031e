"""The Discord front end: `/ask`, @mentions and replies (follow-ups), `/sources`, `/help`,
`/reingest` for admins, and 👍/👎 feedback under every answer.

The shape is discord.py's own (a `Client` with an app-command `CommandTree`, commands
synced in `setup_hook`); the answer function is injected, so tests need no store. All
message text comes from `discord_format`; every send passes `AllowedMentions.none()`
as well as the client default, and every outgoing string goes through the secret
redactor. Answering runs in worker threads, so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import secrets
import time
from collections import OrderedDict
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable

import discord
from discord import app_commands

from vectorstore.store import StoreUnavailableError

from .answer import Answer
from .discord_format import (Payload, map_text, neutralise_mentions, render_answer, render_help,
                             render_ingest_report, render_stats, render_text, truncate)
from .feedback import FeedbackLog
from .logs import RedactSecrets, secrets_of
from .ratelimit import BUSY_TEXT, ConcurrencyGate, GateBusy, RateLimiter
from .settings import Settings

if TYPE_CHECKING:
    from .chain import AskOptions
    from .retrieval import SearchFilters

log = logging.getLogger("newsdesk.discord")

NO_MENTIONS = discord.AllowedMentions.none()
FEEDBACK_UP = "newsdesk:feedback:up"
FEEDBACK_DOWN = "newsdesk:feedback:down"
RECORDS_KEPT = 2000  # answers remembered for follow-ups and votes
FOLLOWUP_WINDOW = 14 * 60  # an interaction's follow-up webhook lasts 15 minutes

DM_REFUSAL = "I only answer questions in the server, not in direct messages."
CHANNEL_REFUSAL = "I don't answer questions in this channel."
ADMIN_REFUSAL = "Only server admins (Manage Server, or an admin role) can re-ingest the coverage."

AskFn = Callable[[str, "AskOptions"], Answer]
Send = Callable[[Payload, "discord.ui.View | None"], Awaitable[Any]]


STORE_DOWN_TEXT = "The news store is unavailable right now, so I can't look anything up. Please try again in a few minutes."


def new_error_id() -> str:
    """A short id that links an apology to its log line."""
    return secrets.token_hex(4)


def apology(error_id: str) -> str:
    """What a user sees when something failed."""
    return f"Sorry, something went wrong on my side. (error id `{error_id}`)"


def make_filters(since: str | None, until: str | None, include_comments: bool = True) -> "SearchFilters | None":
    """`/ask` options as search filters (None when nothing is filtered); ValueError with a friendly text."""
    from .dates_input import parse_user_date

    dates = []
    for name, value in (("since", since), ("until", until)):
        try:
            dates.append(parse_user_date(value))
        except ValueError:
            raise ValueError(f"I couldn't read `{name}` ({value!r}); please give a date as YYYY-MM-DD.") from None
    start, end = dates
    if start and end and start > end:
        raise ValueError("`since` is after `until`; nothing could match.")
    kinds = None if include_comments else ("article",)
    if not (start or end or kinds):
        return None
    from .retrieval import SearchFilters

    return SearchFilters(since=start, until=end, kinds=kinds, sources=None)


def _options(filters: "SearchFilters | None" = None, context: str = "") -> "AskOptions":
    from .chain import AskOptions

    return AskOptions(filters=filters, context=context)


@dataclass(frozen=True)
class AnswerRecord:
    """What the bot remembers of an answer it sent: for follow-ups and feedback."""

    question: str
    answer: str
    doc_ids: tuple[str, ...] = ()

    @property
    def context(self) -> str:
        """The earlier question and answer, as `AskOptions.context`."""
        return f"Q: {self.question}\nA: {self.answer}"

    @classmethod
    def from_answer(cls, answer: Answer) -> "AnswerRecord":
        """The record of a fresh answer."""
        doc_ids = tuple(dict.fromkeys(c.doc_id for c in answer.citations if c.doc_id))
        return cls(answer.question, answer.answer, doc_ids)

    @classmethod
    def from_message(cls, message: discord.Message) -> "AnswerRecord":
        """Rebuilt from an answer message (after a restart): the text it shows, no doc ids."""
        question = next((e.title for e in message.embeds if e.title), "")
        text = "\n".join(e.description for e in message.embeds if e.description) or message.content or ""
        return cls(question, text)


def _send_kwargs(payload: Payload, view: discord.ui.View | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"content": payload.content, "embeds": payload.embeds, "allowed_mentions": NO_MENTIONS}
    if view is not None:
        kwargs["view"] = view
    return kwargs


class FeedbackView(discord.ui.View):
    """👍/👎 under an answer. Fixed custom ids and no timeout, so buttons keep working after a restart."""

    def __init__(self, bot: "NewsdeskBot") -> None:
        super().__init__(timeout=None)
        self.bot = bot

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary, custom_id=FEEDBACK_UP)
    async def vote_up(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """The answer helped."""
        await self.bot.record_vote(interaction, 1)

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary, custom_id=FEEDBACK_DOWN)
    async def vote_down(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """The answer did not help."""
        await self.bot.record_vote(interaction, -1)


class NewsdeskBot(discord.Client):
    """The Newsdesk Discord client; build it with `create_bot`."""

    def __init__(self, settings: Settings, ask: AskFn, *, stats_fn: Callable[[], Any] | None = None,
                 reingest_fn: Callable[[], Any] | None = None, feedback: FeedbackLog | None = None) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # to read questions in @mentions
        super().__init__(intents=intents, allowed_mentions=NO_MENTIONS)
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        self.settings = settings
        self.ask = ask
        self.stats_fn = stats_fn
        self.reingest_fn = reingest_fn
        self.feedback = feedback
        self.limiter = RateLimiter(settings.rate_limit_count, settings.rate_limit_seconds)
        self.gate = ConcurrencyGate(settings.max_concurrency, settings.max_queue)
        self.records: OrderedDict[int, AnswerRecord] = OrderedDict()
        self.reingest_task: asyncio.Task | None = None
        self.sync_task: asyncio.Task | None = None  # the background sync (NEWSDESK_SYNC_EVERY)
        self.sync_running = False
        redactor = RedactSecrets(secrets_of(settings))
        self._redact = redactor.redact
        for old in [f for f in log.filters if isinstance(f, RedactSecrets)]:
            log.removeFilter(old)
        log.addFilter(redactor)  # our records are clean before any handler sees them
        _register_commands(self)

    async def setup_hook(self) -> None:
        """Register the persistent feedback buttons, start the background sync when
        NEWSDESK_SYNC_EVERY is set, and sync slash commands (test guild, or globally)."""
        if self.feedback is not None:
            self.add_view(FeedbackView(self))
        self.start_background_sync()
        if self.settings.discord_test_guild:
            guild = discord.Object(id=self.settings.discord_test_guild)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    # --- checks ------------------------------------------------------------------------------
    def clean(self, text: str) -> str:
        """Outgoing plain text: mentions neutralised, secrets masked."""
        return self._redact(neutralise_mentions(text))

    def location_refusal(self, guild: discord.abc.Snowflake | None, channel: Any) -> str | None:
        """Why the bot doesn't answer here (DMs disabled, guild or channel not allowed), or None."""
        s = self.settings
        if guild is None:
            return None if s.discord_allow_dms else DM_REFUSAL
        if s.discord_guilds and guild.id not in s.discord_guilds:
            return CHANNEL_REFUSAL
        ids = {getattr(channel, "id", None), getattr(channel, "parent_id", None)}  # a thread counts as its channel
        if s.discord_channels and not ids & set(s.discord_channels):
            return CHANNEL_REFUSAL
        return None

    def question_refusal(self, question: str) -> str | None:
        """Why a question is refused (empty or too long), or None."""
        if not question.strip():
            return "Please ask a question, for example: *How much is the winter access fund?*"
        limit = self.settings.max_question_chars
        if len(question) > limit:
            return f"Questions can be up to {limit} characters (yours has {len(question)}); please shorten it."
        return None

    def admission_refusal(self, user_id: int) -> str | None:
        """Busy, or this user is over the rate limit (a question let in counts towards it), or None."""
        if self.gate.full:
            return BUSY_TEXT
        wait = self.limiter.check(user_id)
        if wait:
            return f"You're asking quickly; try again in {math.ceil(wait)} s."
        return None

    def is_admin(self, user: Any) -> bool:
        """Manage Server permission, or a role named (or with an id) in NEWSDESK_DISCORD_ADMIN_ROLES."""
        perms = getattr(user, "guild_permissions", None)
        if perms is None:
            return False
        if perms.manage_guild or perms.administrator:
            return True
        wanted = {r.strip().lower() for r in self.settings.discord_admin_roles if r.strip()}
        return any(str(role.id) in wanted or role.name.lower() in wanted for role in getattr(user, "roles", []))

    # --- answering ---------------------------------------------------------------------------
    async def answer(self, question: str, options: "AskOptions", send: Send,
                     indicator: AbstractAsyncContextManager | None = None) -> None:
        """Answer under the concurrency cap (the ask runs in a worker thread) and send it;
        on failure, send an apology with an error id and log the details."""
        try:
            async with indicator or nullcontext():
                async with self.gate.slot():
                    answer = await asyncio.to_thread(self.ask, question, options)
            await self._deliver(answer, send)
        except GateBusy:
            await send(Payload(content=BUSY_TEXT), None)
        except StoreUnavailableError as exc:
            log.warning("store unavailable: %s", exc)
            await send(Payload(content=STORE_DOWN_TEXT), None)
        except Exception:
            error_id = new_error_id()
            log.exception("answering failed [error %s] question=%r", error_id, question)
            try:
                await send(Payload(content=apology(error_id)), None)
            except Exception:
                log.exception("could not send the apology [error %s]", error_id)

    async def _deliver(self, answer: Answer, send: Send) -> None:
        """Send the answer's messages; the feedback buttons go under the last one."""
        payloads = [map_text(p, self._redact) for p in render_answer(answer)]
        record = AnswerRecord.from_answer(answer)
        for i, payload in enumerate(payloads):
            last = i == len(payloads) - 1
            view = FeedbackView(self) if last and self.feedback is not None else None
            sent = await send(payload, view)
            if sent is not None:
                self.remember(sent.id, record)
        log.info("answered (found=%s, %d sources, %d messages)", answer.found, len(answer.citations), len(payloads))

    def remember(self, message_id: int, record: AnswerRecord) -> None:
        """Keep an answer for follow-ups and votes (the most recent RECORDS_KEPT)."""
        self.records[message_id] = record
        self.records.move_to_end(message_id)
        while len(self.records) > RECORDS_KEPT:
            self.records.popitem(last=False)

    async def record_vote(self, interaction: discord.Interaction, vote: int) -> None:
        """A 👍 (+1) or 👎 (-1) on the answer message the button is under, into the feedback log."""
        message = interaction.message
        record = self.records.get(message.id) or AnswerRecord.from_message(message)
        try:
            await asyncio.to_thread(self.feedback.record, question=record.question, answer=record.answer,
                                    doc_ids=record.doc_ids, vote=vote, user_id=interaction.user.id,
                                    message_id=message.id)
            text = "Thanks, noted: " + ("👍" if vote > 0 else "👎")
        except Exception:
            error_id = new_error_id()
            log.exception("recording feedback failed [error %s]", error_id)
            text = apology(error_id)
        await interaction.response.send_message(self.clean(text), ephemeral=True, allowed_mentions=NO_MENTIONS)

    # --- mentions and replies ------------------------------------------------------------------
    def _replied_record(self, message: discord.Message) -> AnswerRecord | None:
        """The earlier answer this message replies to, if it replies to one of ours."""
        ref = message.reference
        if ref is None or ref.message_id is None:
            return None
        if ref.message_id in self.records:
            return self.records[ref.message_id]
        target = ref.resolved if isinstance(ref.resolved, discord.Message) else ref.cached_message
        if target is not None and self.user is not None and target.author.id == self.user.id and target.embeds:
            return AnswerRecord.from_message(target)
        return None

    async def on_message(self, message: discord.Message) -> None:
        """Answer @mentions, replies to our answers (follow-ups) and, when allowed, DMs."""
        if message.author.bot or self.user is None:
            return
        earlier = self._replied_record(message)
        own_role = message.guild.self_role if message.guild is not None else None  # "@Newsdesk" may be the role
        mentioned = (any(u.id == self.user.id for u in message.mentions)
                     or (own_role is not None and own_role in message.role_mentions))
        if message.guild is not None and not (mentioned or earlier):
            return
        where = self.location_refusal(message.guild, message.channel)
        if where == DM_REFUSAL:
            await message.reply(self.clean(where), allowed_mentions=NO_MENTIONS)
        if where:
            return
        mention = rf"<@!?{self.user.id}>" + (rf"|<@&{own_role.id}>" if own_role is not None else "")
        question = " ".join(re.sub(mention, " ", message.content).split())
        refusal = self.question_refusal(question) or self.admission_refusal(message.author.id)
        if refusal:
            await message.reply(self.clean(refusal), allowed_mentions=NO_MENTIONS)
            return
        target = await self._answer_thread(message, question)
        replied = False

        async def send(payload: Payload, view: discord.ui.View | None) -> discord.Message:
            nonlocal replied
            if target is not None:
                return await target.send(**_send_kwargs(payload, view))
            if not replied:
                replied = True
                return await message.reply(**_send_kwargs(payload, view))
            return await message.channel.send(**_send_kwargs(payload, view))

        options = _options(context=earlier.context if earlier else "")
        await self.answer(question, options, send, (target or message.channel).typing())

    async def _answer_thread(self, message: discord.Message, question: str) -> discord.Thread | None:
        """A new thread for the answer when NEWSDESK_DISCORD_THREADS is on (None: reply in place)."""
        if not self.settings.discord_use_threads or not isinstance(message.channel, discord.TextChannel):
            return None
        try:
            return await message.create_thread(name=truncate(" ".join(question.split()), 100))
        except discord.HTTPException:
            log.warning("could not start a thread in channel %s; replying in place", message.channel.id)
            return None

    # --- admin -------------------------------------------------------------------------------
    def start_background_sync(self) -> asyncio.Task | None:
        """Sync the sources every NEWSDESK_SYNC_EVERY in a worker thread (skipped while /reingest runs)."""
        if not self.settings.sync_every or self.reingest_fn is None or self.sync_task is not None:
            return None
        from ingest.sync import parse_interval, run_periodically

        def job() -> Any:
            self.sync_running = True
            try:
                return self.reingest_fn()
            finally:
                self.sync_running = False

        def done(report: Any) -> None:
            log.info("background sync: %s added, %s updated, %s unchanged, %s removed, %s failed",
                     report.added, report.updated, report.unchanged, report.removed, len(report.failed))
            for failure in report.failed[:10]:
                log.warning("background sync: %s: %s", failure.path, failure.reason)

        def failed(exc: BaseException) -> None:
            log.warning("background sync failed [error %s]: %s", new_error_id(), exc)

        busy = lambda: self.reingest_task is not None and not self.reingest_task.done()  # noqa: E731
        self.sync_task = asyncio.create_task(
            run_periodically(parse_interval(self.settings.sync_every), job, is_busy=busy, on_result=done,
                             on_error=failed), name="newsdesk-sync")
        return self.sync_task

    async def run_reingest(self, interaction: discord.Interaction) -> None:
        """Run the re-ingest in a worker thread and post its summary (answering goes on meanwhile)."""
        started = time.monotonic()
        try:
            report = await asyncio.to_thread(self.reingest_fn)
            payloads = render_ingest_report(report)
            log.info("re-ingest finished: %s", report)
        except Exception:
            error_id = new_error_id()
            log.exception("re-ingest failed [error %s]", error_id)
            payloads = render_text(apology(error_id))
        try:
            for payload in payloads:
                payload = map_text(payload, self._redact)
                if time.monotonic() - started < FOLLOWUP_WINDOW:
                    await interaction.followup.send(**_send_kwargs(payload, None))
                else:  # the interaction's webhook has expired
                    await interaction.channel.send(**_send_kwargs(payload, None))
        except discord.HTTPException:
            log.exception("could not post the re-ingest summary")

    async def _on_tree_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Any failure in a slash command: an apology with an error id; the details go to the log."""
        error_id = new_error_id()
        name = interaction.command.name if interaction.command else "?"
        log.error("/%s failed [error %s]", name, error_id, exc_info=error)
        text = apology(error_id)
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


def _followup_sender(interaction: discord.Interaction) -> Send:
    async def send(payload: Payload, view: discord.ui.View | None) -> discord.WebhookMessage:
        return await interaction.followup.send(**_send_kwargs(payload, view), wait=True)

    return send


def _register_commands(bot: NewsdeskBot) -> None:
    """The slash commands; each docstring is the command's description in Discord."""

    async def refuse(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(bot.clean(text), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @bot.tree.command(name="ask")
    @app_commands.describe(question="Your question about the coverage",
                           since="Only coverage published on or after this date (YYYY-MM-DD)",
                           until="Only coverage published on or before this date (YYYY-MM-DD)",
                           include_comments="Also quote readers' comments (default: yes)")
    async def ask(interaction: discord.Interaction, question: str, since: str | None = None,
                  until: str | None = None, include_comments: bool = True) -> None:
        """Ask about the news coverage; the answer quotes and cites its sources."""
        refusal = bot.location_refusal(interaction.guild, interaction.channel) or bot.question_refusal(question)
        filters = None
        if not refusal:
            try:
                filters = make_filters(since, until, include_comments)
            except ValueError as exc:
                refusal = str(exc)
        refusal = refusal or bot.admission_refusal(interaction.user.id)
        if refusal:
            await refuse(interaction, refusal)
            return
        await interaction.response.defer(thinking=True)
        await bot.answer(question.strip(), _options(filters), _followup_sender(interaction))

    @bot.tree.command(name="sources")
    async def sources(interaction: discord.Interaction) -> None:
        """What coverage is indexed: outlets, articles, readers' comments, newest article."""
        refusal = bot.location_refusal(interaction.guild, interaction.channel)
        if refusal or bot.stats_fn is None:
            await refuse(interaction, refusal or "Index statistics aren't available here.")
            return
        await interaction.response.defer(thinking=True)
        stats = await asyncio.to_thread(bot.stats_fn)
        for payload in render_stats(stats):
            await interaction.followup.send(**_send_kwargs(map_text(payload, bot._redact), None))

    @bot.tree.command(name="help")
    async def help_(interaction: discord.Interaction) -> None:
        """How to ask Newsdesk questions, and what it can do."""
        s = bot.settings
        payload = render_help(s.max_question_chars, s.rate_limit_count, s.rate_limit_seconds)[0]
        await interaction.response.send_message(ephemeral=True, **_send_kwargs(payload, None))

    @bot.tree.command(name="reingest")
    async def reingest(interaction: discord.Interaction) -> None:
        """Re-read the sources (folders, feeds, sitemaps) into the index (server admins only)."""
        refusal = bot.location_refusal(interaction.guild, interaction.channel)
        if not refusal and not bot.is_admin(interaction.user):
            refusal = ADMIN_REFUSAL
        if not refusal and bot.reingest_fn is None:
            refusal = "Re-ingest isn't available in this deployment."
        if not refusal and ((bot.reingest_task is not None and not bot.reingest_task.done()) or bot.sync_running):
            refusal = "A re-ingest is already running; its summary will be posted when it finishes."
        if refusal:
            await refuse(interaction, refusal)
            return
        await interaction.response.send_message("Re-ingesting the sources; I keep answering meanwhile "
                                                "and will post a summary here.", allowed_mentions=NO_MENTIONS)
        bot.reingest_task = asyncio.create_task(bot.run_reingest(interaction), name="newsdesk-reingest")


def create_bot(settings: Settings, ask: AskFn, *, stats_fn: Callable[[], Any] | None = None,
               reingest_fn: Callable[[], Any] | None = None, feedback: FeedbackLog | None = None) -> NewsdeskBot:
    """The bot, answering with `ask(question, AskOptions)` (blocking; run in worker threads).

    `stats_fn()` returns a `StoreStats` for `/sources`; `reingest_fn()` runs an ingest and returns
    its `IngestReport` for `/reingest`; `feedback` stores 👍/👎 votes (no buttons without it).
    """
    return NewsdeskBot(settings, ask, stats_fn=stats_fn, reingest_fn=reingest_fn, feedback=feedback)


def run_bot(settings: Settings) -> None:
    """`newsdesk discord` / `newsdesk start`: open the store, build the chain, run the bot until stopped."""
    from ingest.pipeline import Ingestor

    from .chain import build_chain

    token = settings.discord_token.get_secret_value()
    if not token:
        raise ValueError("DISCORD_TOKEN is not set")
    chain = build_chain(settings)
    store = chain.retriever.store

    def reingest() -> Any:  # /reingest and the background sync: the same sources as `newsdesk sync`
        from ingest.sync import sync_once

        ingestor = Ingestor(store, default_source=settings.default_source,
                            max_file_bytes=int(settings.max_file_mb * 1_000_000), progress=False)
        return sync_once(ingestor, settings.sync_sources, crawl=settings.crawl, prune=settings.sync_prune)

    feedback = FeedbackLog(settings.feedback_path)
    chain.warm_up()  # the first question should not pay for loading the model
    bot = create_bot(settings, chain.ask, stats_fn=store.stats, reingest_fn=reingest, feedback=feedback)
    try:
        bot.run(token, log_handler=None)
    finally:
        feedback.close()
