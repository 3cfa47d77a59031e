"""How the bot sends: keyword arguments for every send (no mentions, ever), and senders."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import discord

from .render import Payload

NO_MENTIONS = discord.AllowedMentions.none()

Send = Callable[[Payload, "discord.ui.View | None"], Awaitable[Any]]


def send_kwargs(payload: Payload, view: discord.ui.View | None) -> dict[str, Any]:
    """The keyword arguments of a send: content, embeds, no mentions, and the view if any."""
    kwargs: dict[str, Any] = {"content": payload.content, "embeds": payload.embeds, "allowed_mentions": NO_MENTIONS}
    if view is not None:
        kwargs["view"] = view
    return kwargs


def followup_sender(interaction: discord.Interaction) -> Send:
    """A sender that posts an interaction's follow-ups."""
    async def send(payload: Payload, view: discord.ui.View | None) -> discord.WebhookMessage:
        return await interaction.followup.send(**send_kwargs(payload, view), wait=True)

    return send
