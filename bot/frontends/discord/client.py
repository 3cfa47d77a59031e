"""The Discord client: @mentions and replies (follow-ups), answering under the concurrency
cap, delivering answers with 👍/👎 buttons, and /reingest runs. Slash commands are in
`commands.py`, refusal rules in `policy.py`, all message text in `render.py`.

The shape is discord.py's own (a `Client` with an app-command `CommandTree`, commands
synced in `setup_hook`); the answer function is injected, so tests need no store. Every
send passes `AllowedMentions.none()` as well as the client default, and every outgoing
string goes through the secret redactor. Answering runs in worker threads, so the event
loop never blocks.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any, Callable

import discord
from discord import app_commands

from vectorstore.store import StoreUnavailableError

from ...answer import Answer
from ...chain import AskOptions
from ...errors import apology, log_failure, new_error_id
from ...language.followups import topic_of
from ...logs import RedactSecrets, secrets_of
from ...settings import Settings
from .commands import register_commands
from .feedback import FeedbackLog
from .memory import AnswerMemory, AnswerRecord
from .policy import (ADMIN_REFUSAL, DM_REFUSAL, STORE_DOWN_TEXT, admission_refusal, is_admin, location_refusal,
                     question_refusal)
from .ratelimit import BUSY_TEXT, ConcurrencyGate, GateBusy, RateLimiter
from .render import Payload, map_text, neutralise_mentions, render_answer, render_ingest_report, render_text, truncate
from .sending import NO_MENTIONS, Send, send_kwargs
from .streaming import EDIT_INTERVAL, StreamedReply, StreamFn, stream_answer
from .views import FEEDBACK_DOWN, FEEDBACK_UP, FeedbackView

__all__ = ["NewsdeskBot", "create_bot", "FeedbackView", "FEEDBACK_UP", "FEEDBACK_DOWN"]

log = logging.getLogger("newsdesk.discord")

FOLLOWUP_WINDOW = 14 * 60  # an interaction's follow-up webhook lasts 15 minutes

AskFn = Callable[[str, AskOptions], Answer]


class NewsdeskBot(discord.Client):
    """The Newsdesk Discord client; build it with `create_bot`."""

    def __init__(self, settings: Settings, ask: AskFn, *, stats_fn: Callable[[], Any] | None = None,
                 reingest_fn: Callable[[], Any] | None = None, feedback: FeedbackLog | None = None,
                 stream: StreamFn | None = None) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # to read questions in @mentions
        super().__init__(intents=intents, allowed_mentions=NO_MENTIONS)
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        self.settings = settings
        self.ask = ask
        self.stream_fn = stream  # when given, answers are posted early and edited as the model writes
        self.edit_interval = EDIT_INTERVAL
        self.stats_fn = stats_fn
        self.reingest_fn = reingest_fn
        self.feedback = feedback
        self.limiter = RateLimiter(settings.rate_limit_count, settings.rate_limit_seconds)
        self.gate = ConcurrencyGate(settings.max_concurrency, settings.max_queue)
        self.records = AnswerMemory()
        self.reingest_task: asyncio.Task | None = None
        self.sync_task: asyncio.Task | None = None  # the background sync (NEWSDESK_SYNC_EVERY)
        self.sync_running = False
        redactor = RedactSecrets(secrets_of(settings))
        self.redact = redactor.redact
        for old in [f for f in log.filters if isinstance(f, RedactSecrets)]:
            log.removeFilter(old)
        log.addFilter(redactor)  # our records are clean before any handler sees them
        register_commands(self)

    async def setup_hook(self) -> None:
        """Register the persistent feedback buttons, start the background sync when
        NEWSDESK_SYNC_EVERY is set, and sync slash commands (test guild, or globally)."""
        if self.feedback is not None:
            self.add_view(FeedbackView(self.record_vote))
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
        return self.redact(neutralise_mentions(text))

    def redact_payload(self, payload: Payload) -> Payload:
        """An outgoing payload with every secret masked."""
        return map_text(payload, self.redact)

    def admission_refusal(self, user_id: int) -> str | None:
        """Busy, or this user is over the rate limit (a question let in counts towards it), or None."""
        return admission_refusal(self.gate, self.limiter, user_id)

    def is_admin(self, user: Any) -> bool:
        """Whether a member may run /reingest (see `policy.is_admin`)."""
        return is_admin(self.settings, user)

    # --- answering ---------------------------------------------------------------------------
    async def answer(self, question: str, options: "AskOptions", send: Send,
                     indicator: AbstractAsyncContextManager | None = None) -> None:
        """Answer under the concurrency cap (the chain runs in a worker thread) and send it,
        streamed when a stream function is set; on failure, send an apology with an error id
        (in place of a half-written answer) and log the details."""
        reply = StreamedReply(question, send, self.redact_payload, interval=self.edit_interval) \
            if self.stream_fn is not None else None
        try:
            async with indicator or nullcontext():
                async with self.gate.slot():
                    if reply is not None:
                        answer = await stream_answer(self.stream_fn, question, options, reply)
                    else:
                        answer = await asyncio.to_thread(self.ask, question, options)
            # a follow-up's record keeps the question it followed up, for a reply to it in turn
            await self._deliver(answer, send, reply, topic=topic_of(question, options.context))
        except GateBusy:
            await send(Payload(content=BUSY_TEXT), None)
        except StoreUnavailableError as exc:
            log.warning("store unavailable: %s", exc)
            await self._say(Payload(content=STORE_DOWN_TEXT), send, reply)
        except Exception:
            error_id = log_failure(log, "answering failed question=%r", question)
            try:
                await self._say(Payload(content=apology(error_id)), send, reply)
            except Exception:
                log.exception("could not send the apology [error %s]", error_id)

    async def _say(self, payload: Payload, send: Send, reply: StreamedReply | None) -> None:
        """A short message: in place of the streamed answer if one was posted, else sent."""
        if reply is not None and reply.message is not None:
            await reply.replace(payload, None)
        else:
            await send(payload, None)

    async def _deliver(self, answer: Answer, send: Send, reply: StreamedReply | None = None, *,
                       topic: str = "") -> None:
        """Send the answer's messages (the first replaces a streamed one); the feedback buttons
        go under the last one. `topic`: the question a follow-up followed up."""
        payloads = [self.redact_payload(p) for p in render_answer(answer)]
        record = AnswerRecord.from_answer(answer, topic)
        for i, payload in enumerate(payloads):
            last = i == len(payloads) - 1
            view = FeedbackView(self.record_vote) if last and self.feedback is not None else None
            if i == 0 and reply is not None and reply.message is not None:
                sent = await reply.replace(payload, view)
            else:
                sent = await send(payload, view)
            if sent is not None:
                self.records.remember(sent.id, record)
        log.info("answered (found=%s, %d sources, %d messages, answerer %s%s)", answer.found, len(answer.citations),
                 len(payloads), answer.answerer, f", fallback: {answer.fallback_reason}" if answer.fallback_reason else "")

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
            text = apology(log_failure(log, "recording feedback failed"))
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
        where = location_refusal(self.settings, message.guild, message.channel)
        if where == DM_REFUSAL:
            await message.reply(self.clean(where), allowed_mentions=NO_MENTIONS)
        if where:
            return
        mention = rf"<@!?{self.user.id}>" + (rf"|<@&{own_role.id}>" if own_role is not None else "")
        question = " ".join(re.sub(mention, " ", message.content).split())
        refusal = question_refusal(self.settings, question) or self.admission_refusal(message.author.id)
        if refusal:
            await message.reply(self.clean(refusal), allowed_mentions=NO_MENTIONS)
            return
        target = await self._answer_thread(message, question)
        replied = False

        async def send(payload: Payload, view: discord.ui.View | None) -> discord.Message:
            nonlocal replied
            if target is not None:
                return await target.send(**send_kwargs(payload, view))
            if not replied:
                replied = True
                return await message.reply(**send_kwargs(payload, view))
            return await message.channel.send(**send_kwargs(payload, view))

        options = AskOptions(context=earlier.context if earlier else "")
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

        def busy() -> bool:
            return self.reingest_task is not None and not self.reingest_task.done()

        self.sync_task = asyncio.create_task(
            run_periodically(parse_interval(self.settings.sync_every), job, is_busy=busy, on_result=done,
                             on_error=failed), name="newsdesk-sync")
        return self.sync_task

    def reingest_refusal(self, user: Any) -> str | None:
        """Why /reingest is refused for this user now (not an admin, not available, already running), or None."""
        if not self.is_admin(user):
            return ADMIN_REFUSAL
        if self.reingest_fn is None:
            return "Re-ingest isn't available in this deployment."
        if (self.reingest_task is not None and not self.reingest_task.done()) or self.sync_running:
            return "A re-ingest is already running; its summary will be posted when it finishes."
        return None

    async def run_reingest(self, interaction: discord.Interaction) -> None:
        """Run the re-ingest in a worker thread and post its summary (answering goes on meanwhile)."""
        started = time.monotonic()
        try:
            report = await asyncio.to_thread(self.reingest_fn)
            payloads = render_ingest_report(report)
            log.info("re-ingest finished: %s", report)
        except Exception:
            payloads = render_text(apology(log_failure(log, "re-ingest failed")))
        try:
            for payload in payloads:
                payload = self.redact_payload(payload)
                if time.monotonic() - started < FOLLOWUP_WINDOW:
                    await interaction.followup.send(**send_kwargs(payload, None))
                else:  # the interaction's webhook has expired
                    await interaction.channel.send(**send_kwargs(payload, None))
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


def create_bot(settings: Settings, ask: AskFn, *, stats_fn: Callable[[], Any] | None = None,
               reingest_fn: Callable[[], Any] | None = None, feedback: FeedbackLog | None = None,
               stream: StreamFn | None = None) -> NewsdeskBot:
    """The bot, answering with `ask(question, AskOptions)` (blocking; run in worker threads),
    or, when `stream` is given (`AnswerChain.stream`), streaming LLM answers into the message.

    `stats_fn()` returns a `StoreStats` for `/sources`; `reingest_fn()` runs an ingest and returns
    its `IngestReport` for `/reingest`; `feedback` stores 👍/👎 votes (no buttons without it).
    """
    return NewsdeskBot(settings, ask, stats_fn=stats_fn, reingest_fn=reingest_fn, feedback=feedback, stream=stream)
