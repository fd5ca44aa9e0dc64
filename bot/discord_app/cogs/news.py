"""/news: headlines with their sentiment (links), by default on the held and watched
symbols; a material headline on a holding is posted once in the alert channel with a
"Review exit" button (an exit card on request, never an order)."""

from __future__ import annotations

import discord
from discord import app_commands

from agents import events as ev
from bot.chat.news_command import news_args
from bot.discord_app.client import CotraderBot
from bot.discord_app.cogs._base import CotraderCog
from bot.discord_app.monitor_embeds import review_view
from bot.discord_app.news_embeds import news_alert_embed, news_embed
from bot.discord_app.replies import defer


class News(CotraderCog):
    async def cog_load(self) -> None:
        self.orch.subscribe(self.on_event)

    async def cog_unload(self) -> None:
        self.orch.unsubscribe(self.on_event)

    async def on_event(self, e: ev.DeskEvent) -> None:
        if not isinstance(e, ev.NewsAlert):
            return
        chan = self.bot.alert_channel()
        if chan is not None:
            await chan.send(embed=news_alert_embed(e), view=review_view(e.symbol))

    @app_commands.command(description="Headlines with sentiment (default: held and watched).")
    @app_commands.describe(
        symbols="Symbols, space-separated (default: held and watchlist)",
        hours="How far back, in hours (default 24)",
    )
    async def news(
        self,
        interaction: discord.Interaction,
        symbols: app_commands.Range[str, 1, 200] | None = None,
        hours: app_commands.Range[int, 1, 336] | None = None,
    ) -> None:
        syms, _ = news_args((symbols or "").replace(",", " ").split())
        await defer(interaction)
        view = await self.orch.news(syms or None, hours)
        await interaction.edit_original_response(embed=news_embed(view))


async def setup(bot: CotraderBot) -> None:
    await bot.add_cog(News(bot))
