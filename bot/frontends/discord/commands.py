"""The slash commands: /ask, /sources, /help, /reingest. Each docstring is the command's
description in Discord."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from ...chain import AskOptions
from .policy import location_refusal, make_filters, question_refusal
from .render import render_help, render_stats
from .sending import NO_MENTIONS, followup_sender, send_kwargs

if TYPE_CHECKING:
    from .client import NewsdeskBot


def register_commands(bot: "NewsdeskBot") -> None:
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
        refusal = location_refusal(bot.settings, interaction.guild, interaction.channel) or question_refusal(bot.settings, question)
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
        await bot.answer(question.strip(), AskOptions(filters=filters), followup_sender(interaction))

    @bot.tree.command(name="sources")
    async def sources(interaction: discord.Interaction) -> None:
        """What coverage is indexed: outlets, articles, readers' comments, newest article."""
        refusal = location_refusal(bot.settings, interaction.guild, interaction.channel)
        if refusal or bot.stats_fn is None:
            await refuse(interaction, refusal or "Index statistics aren't available here.")
            return
        await interaction.response.defer(thinking=True)
        stats = await asyncio.to_thread(bot.stats_fn)
        for payload in render_stats(stats):
            await interaction.followup.send(**send_kwargs(bot.redact_payload(payload), None))

    @bot.tree.command(name="help")
    async def help_(interaction: discord.Interaction) -> None:
        """How to ask Newsdesk questions, and what it can do."""
        s = bot.settings
        payload = render_help(s.max_question_chars, s.rate_limit_count, s.rate_limit_seconds)[0]
        await interaction.response.send_message(ephemeral=True, **send_kwargs(payload, None))

    @bot.tree.command(name="reingest")
    async def reingest(interaction: discord.Interaction) -> None:
        """Re-read the sources (folders, feeds, sitemaps) into the index (server admins only)."""
        refusal = (location_refusal(bot.settings, interaction.guild, interaction.channel)
                   or bot.reingest_refusal(interaction.user))
        if refusal:
            await refuse(interaction, refusal)
            return
        await interaction.response.send_message("Re-ingesting the sources; I keep answering meanwhile "
                                                "and will post a summary here.", allowed_mentions=NO_MENTIONS)
        bot.reingest_task = asyncio.create_task(bot.run_reingest(interaction), name="newsdesk-reingest")
