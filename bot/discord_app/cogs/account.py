"""The account: /positions, /orders, /pnl, /status (private unless asked otherwise)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord_app.client import CotraderBot
from bot.discord_app.cogs._base import CotraderCog
from bot.discord_app.embeds import orders_embed, pnl_embed, positions_embed, status_embed
from bot.discord_app.replies import defer, say

PERIODS = [app_commands.Choice(name=p, value=p) for p in ("day", "week", "month", "all")]
PUBLIC = "Show it to the channel (default: only you see it)"


class Account(CotraderCog):
    @app_commands.command(description="Open positions with live P&L.")
    @app_commands.describe(public=PUBLIC)
    async def positions(self, interaction: discord.Interaction, public: bool = False) -> None:
        await defer(interaction, ephemeral=not public)
        await say(interaction, embed=positions_embed(await self.orch.positions()))

    @app_commands.command(description="Recent orders (or only the open ones).")
    @app_commands.describe(open_only="Only working orders", public=PUBLIC)
    async def orders(
        self, interaction: discord.Interaction, open_only: bool = False, public: bool = False
    ) -> None:
        await say(
            interaction, embed=orders_embed(self.orch.orders(open_only)), ephemeral=not public
        )

    @app_commands.command(description="Realised and unrealised P&L for a period.")
    @app_commands.describe(period="day, week, month or all", public=PUBLIC)
    @app_commands.choices(period=PERIODS)
    async def pnl(
        self,
        interaction: discord.Interaction,
        period: app_commands.Choice[str] | None = None,
        public: bool = False,
    ) -> None:
        await defer(interaction, ephemeral=not public)
        view = await self.orch.pnl(period.value if period else "day")
        await say(interaction, embed=pnl_embed(view))

    @app_commands.command(description="Mode, broker, data, LLM, circuit breakers and the book.")
    async def status(self, interaction: discord.Interaction) -> None:
        await defer(interaction, ephemeral=True)
        await say(interaction, embed=status_embed(await self.orch.status()))


async def setup(bot: CotraderBot) -> None:
    await bot.add_cog(Account(bot))
