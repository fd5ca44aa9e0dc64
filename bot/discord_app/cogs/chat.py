"""Plain language: messages in the chat channels, mentions and DMs go to the conversation.

A trading request becomes a proposal card with buttons, never an order.
"""

from __future__ import annotations

import io
import re

import discord
from discord.ext import commands
from loguru import logger

from agents.conversation import Conversation
from agents.errors import CotraderError
from agents.results import (
    AnalysisView,
    Card,
    OrdersView,
    PnlView,
    PositionsView,
    ScanReport,
    StatusView,
    WhyView,
)
from bot.discord_app.client import CotraderBot
from bot.discord_app.cogs._base import CotraderCog
from bot.discord_app.components import card_view
from bot.discord_app.embeds import (
    analysis_embed,
    card_embed,
    orders_embed,
    pnl_embed,
    positions_embed,
    scan_embed,
    status_embed,
    why_embed,
)
from bot.discord_app.limits import CONTENT, chunks, clip
from bot.logs import redact

MAX_CHARS = 4000
MENTION = re.compile(r"<@!?\d+>")


class Chat(CotraderCog):
    def __init__(self, bot: CotraderBot) -> None:
        super().__init__(bot)
        self.conversation = Conversation(bot.orch)

    def _addressed(self, message: discord.Message) -> bool:
        if message.guild is None:
            return True  # a DM
        if self.bot.user is not None and self.bot.user in message.mentions:
            return True
        return message.channel.id in self.bot.config.chat_channel_ids

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.webhook_id is not None or not self._addressed(message):
            return
        text = MENTION.sub("", message.content or "").strip()
        if not text:
            return  # without the message-content intent, unaddressed messages arrive empty
        if len(text) > MAX_CHARS:
            await message.reply(
                f"That message is {len(text):,} characters; I read up to {MAX_CHARS:,}. "
                "Nothing was done.",
                mention_author=False,
            )
            return
        actor = self.bot.actor_for_user(message.author, message.guild)
        try:
            async with message.channel.typing():
                reply = await self.conversation.handle(text, actor)
        except CotraderError as e:
            await message.reply(clip(redact(str(e)), CONTENT), mention_author=False)
            return
        except Exception:
            logger.exception("chat message failed")
            await message.reply("Something went wrong on my side; nothing was changed.")
            return
        await self._answer(message, reply.text, reply.payload)

    async def _answer(self, message: discord.Message, text: str, payload: object) -> None:
        embed = None
        text = redact(text)
        if isinstance(payload, Card):
            msg = await message.reply(
                clip(text, CONTENT),
                embed=card_embed(payload),
                view=card_view(payload),
                mention_author=False,
            )
            self.bot.cards.record(payload, msg)
            return
        if isinstance(payload, ScanReport):
            await message.reply(embed=scan_embed(payload), mention_author=False)
            for card in payload.cards:
                await self.bot.cards.post(message.channel, card)
            return
        if isinstance(payload, AnalysisView):  # "analyze NVDA": the numbers and the chart
            try:
                png = await self.bot.orch.analysis_chart(payload.symbol)
            except CotraderError as e:
                logger.warning("no chart for {}: {}", payload.symbol, e)
                png = None
            name = f"{payload.symbol}.png"
            await message.reply(
                embed=analysis_embed(payload, name if png else None),
                files=[discord.File(io.BytesIO(png), name)] if png else [],
                mention_author=False,
            )
            return
        if isinstance(payload, PositionsView):
            embed = positions_embed(payload)
        elif isinstance(payload, OrdersView):
            embed = orders_embed(payload)
        elif isinstance(payload, PnlView):
            embed = pnl_embed(payload)
        elif isinstance(payload, StatusView):
            embed = status_embed(payload)
        elif isinstance(payload, WhyView):
            embed = why_embed(payload)
        parts = chunks(text)
        await message.reply(parts[0], embed=embed, mention_author=False)
        for extra in parts[1:3]:
            await message.channel.send(extra)


async def setup(bot: CotraderBot) -> None:
    await bot.add_cog(Chat(bot))
