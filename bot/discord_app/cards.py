"""Posting proposal cards and keeping every posted copy in step with the proposal."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from loguru import logger

from agents.errors import CotraderError
from agents.results import Card
from bot.discord_app.components import card_view
from bot.discord_app.embeds import card_embed
from bot.discord_app.option_card_embeds import payoff_file

if TYPE_CHECKING:
    from bot.discord_app.client import CotraderBot


class CardPoster:
    def __init__(self, bot: CotraderBot) -> None:
        self.bot = bot
        self.orch = bot.orch

    def record(self, card: Card, message: discord.Message | discord.PartialMessage) -> None:
        self.orch.record_post(card, message.channel.id, message.id)

    async def post(self, channel: discord.abc.Messageable, card: Card) -> discord.Message:
        """A card in a channel (an option card with its payoff chart attached)."""
        chart = payoff_file(card)
        msg = await channel.send(
            embed=card_embed(card), view=card_view(card), files=[chart] if chart else None
        )
        self.record(card, msg)
        return msg

    async def follow_up(self, interaction: discord.Interaction, card: Card) -> discord.Message:
        """A card as a public follow-up of a (deferred) interaction."""
        chart = payoff_file(card)
        msg = await interaction.followup.send(
            embed=card_embed(card),
            view=card_view(card),
            files=[chart] if chart else discord.utils.MISSING,
            wait=True,
        )
        self.record(card, msg)
        return msg

    async def refresh(self, proposal_id: str, skip_message: int | None = None) -> int:
        """Edit every posted copy that shows an older status or revision; returns edits."""
        try:
            card = self.bot.orch.proposal(proposal_id)
        except CotraderError:
            return 0
        edits = 0
        for post in self.orch.posts(proposal_id):
            if post.shown_status == card.status and post.shown_revision == card.revision:
                continue
            if skip_message is not None and int(post.message_id) == skip_message:
                self.orch.mark_shown(post.message_id, card)
                continue
            chan = self.bot.get_partial_messageable(int(post.channel_id))
            try:
                await chan.get_partial_message(int(post.message_id)).edit(
                    embed=card_embed(card), view=card_view(card)
                )
                edits += 1
            except discord.NotFound:
                pass  # the message was deleted: nothing left to update
            except discord.HTTPException as e:
                logger.warning("could not update card {} ({}): {}", post.message_id, card.id, e)
                continue
            self.orch.mark_shown(post.message_id, card)
        return edits

    async def refresh_outdated(self) -> int:
        """Bring every card whose proposal moved on (expired, superseded, filled) up to date."""
        n = 0
        for pid in self.orch.outdated_posts():
            n += await self.refresh(pid)
        return n
