"""LLM answers streamed into Discord: the reply is posted as soon as the model starts
writing and edited as it writes, at most once per `EDIT_INTERVAL` (Discord allows about
five edits per five seconds per channel); at the end it is replaced by the checked answer
(citations validated, sources listed) with its 👍/👎 buttons. A model failing half-way
ends in the fallback answer the chain gives, in the same message.

The chain's stream runs in a worker thread; its items reach the event loop through a
queue, so the loop never blocks.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable, Iterator

import discord

from ...answer import Answer
from ...answering.safety import safe_text
from ...chain import AskOptions
from .render import ANSWER_COLOUR, DESCRIPTION_LIMIT, TITLE_LIMIT, Payload, truncate
from .sending import NO_MENTIONS, Send

EDIT_INTERVAL = 1.0  # seconds between edits of a message being written
CURSOR = " ▍"
WRITING_FOOTER = "Newsdesk · writing… · the sources follow once the answer is checked"

StreamFn = Callable[[str, AskOptions], Iterator["str | Answer"]]
_DONE = object()


def render_partial(question: str, text: str) -> Payload:
    """The answer as written so far: the question as title, the text (its end, if long) and a cursor."""
    shown = safe_text(text).strip()
    room = DESCRIPTION_LIMIT - len(CURSOR) - 1
    if len(shown) > room:
        shown = "…" + shown[-room + 1:]
    embed = discord.Embed(title=truncate(safe_text(" ".join(question.split())), TITLE_LIMIT),
                          description=(shown or "…") + CURSOR, colour=ANSWER_COLOUR)
    embed.set_footer(text=WRITING_FOOTER)
    return Payload(embeds=[embed])


def edit_kwargs(payload: Payload, view: discord.ui.View | None) -> dict[str, Any]:
    """Keyword arguments of an edit that replaces a message's content and embeds (no mentions)."""
    kwargs: dict[str, Any] = {"content": payload.content, "embeds": payload.embeds, "allowed_mentions": NO_MENTIONS}
    if view is not None:
        kwargs["view"] = view
    return kwargs


class StreamedReply:
    """One answer message being written: posted on the first text, then edited no more often
    than `interval` seconds."""

    def __init__(self, question: str, send: Send, redact: Callable[[Payload], Payload], *,
                 interval: float = EDIT_INTERVAL, clock: Callable[[], float] = time.monotonic) -> None:
        self.question = question
        self.send = send
        self.redact = redact
        self.interval = interval
        self.clock = clock
        self.text = ""
        self.message: Any = None  # the message posted, once there is text
        self.edits = 0
        self._shown = ""
        self._last = 0.0

    @property
    def pending(self) -> bool:
        """Whether text has arrived that the message does not show yet."""
        return self.message is not None and self.text != self._shown

    def wait(self) -> float:
        """Seconds until the next edit is allowed."""
        return max(0.0, self._last + self.interval - self.clock())

    async def add(self, piece: str) -> None:
        """More text: post the message the first time, else edit it if the interval has passed."""
        self.text += piece
        if self.message is None:
            if self.text.strip():
                self.message = await self.send(self.redact(render_partial(self.question, self.text)), None)
                self._shown, self._last = self.text, self.clock()
        elif self.wait() == 0:
            await self.flush()

    async def flush(self) -> None:
        """Show the text written so far (an edit)."""
        if not self.pending:
            return
        await self.message.edit(**edit_kwargs(self.redact(render_partial(self.question, self.text)), None))
        self._shown, self._last = self.text, self.clock()
        self.edits += 1

    async def replace(self, payload: Payload, view: discord.ui.View | None) -> Any:
        """The final edit (after the interval): the checked answer, or an apology."""
        await asyncio.sleep(self.wait())
        self._last = self.clock()
        self.edits += 1
        result = await self.message.edit(**edit_kwargs(self.redact(payload), view))
        return result if isinstance(result, discord.Message) else self.message


async def stream_answer(stream: StreamFn, question: str, options: AskOptions, reply: StreamedReply) -> Answer:
    """Run the chain's stream in a worker thread, showing its text through `reply`; return
    the final `Answer` (an exception of the chain is raised here)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()

    def produce() -> None:
        try:
            for item in stream(question, options):
                loop.call_soon_threadsafe(queue.put_nowait, item)
        except BaseException as exc:  # noqa: BLE001 - handed to the event loop, raised there
            loop.call_soon_threadsafe(queue.put_nowait, exc)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, _DONE)

    worker = asyncio.ensure_future(asyncio.to_thread(produce))
    answer: Answer | None = None
    error: BaseException | None = None
    try:
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), reply.wait() if reply.pending else None)
            except asyncio.TimeoutError:
                await reply.flush()  # the model paused: show what it wrote
                continue
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                error = item
            elif isinstance(item, Answer):
                answer = item
            else:
                await reply.add(item)
    finally:
        await worker
    if error is not None:
        raise error
    if answer is None:
        raise RuntimeError("the answer stream ended without an answer")
    return answer
