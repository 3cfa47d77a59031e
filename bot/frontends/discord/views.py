"""The 👍/👎 buttons under every answer."""

from __future__ import annotations

from typing import Awaitable, Callable

import discord

FEEDBACK_UP = "newsdesk:feedback:up"
FEEDBACK_DOWN = "newsdesk:feedback:down"


class FeedbackView(discord.ui.View):
    """👍/👎 under an answer. Fixed custom ids and no timeout, so buttons keep working after a
    restart. `on_vote(interaction, vote)` records the vote (+1 or -1) and answers the voter."""

    def __init__(self, on_vote: Callable[[discord.Interaction, int], Awaitable[None]]) -> None:
        super().__init__(timeout=None)
        self.on_vote = on_vote

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary, custom_id=FEEDBACK_UP)
    async def vote_up(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """The answer helped."""
        await self.on_vote(interaction, 1)

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary, custom_id=FEEDBACK_DOWN)
    async def vote_down(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """The answer did not help."""
        await self.on_vote(interaction, -1)
