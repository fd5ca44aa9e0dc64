"""Research: /backtest a strategy on a symbol's history, with the table and an equity chart."""

from __future__ import annotations

import io

import discord
from discord import app_commands

from bot.discord_app.client import CotraderBot
from bot.discord_app.cogs._base import CotraderCog, symbol_choices
from bot.discord_app.replies import defer
from bot.discord_app.research_embeds import backtest_embed
from services.signals import STRATEGIES

STRATEGY_CHOICES = [app_commands.Choice(name=n, value=n) for n in STRATEGIES]


class Research(CotraderCog):
    @app_commands.command(
        description="Backtest a strategy on a symbol's daily history: metrics and equity chart."
    )
    @app_commands.describe(
        symbol="The symbol",
        strategy="The strategy rule",
        params="Parameters as key=value, space-separated (e.g. fast=10 slow=20)",
        cash="Starting cash (default 10,000)",
        commission="Commission rate per side (e.g. 0.002 for 0.2%)",
    )
    @app_commands.choices(strategy=STRATEGY_CHOICES)
    @app_commands.autocomplete(symbol=symbol_choices)
    async def backtest(
        self,
        interaction: discord.Interaction,
        symbol: str,
        strategy: str,
        params: str = "",
        cash: float = 10_000.0,
        commission: float = 0.0,
    ) -> None:
        await defer(interaction)
        view = await self.orch.backtest(
            symbol, strategy, params.replace(",", " ").split(), cash, commission
        )
        name = f"backtest-{view.symbol}.png"
        files = [discord.File(io.BytesIO(view.chart_png), name)] if view.chart_png else []
        await interaction.edit_original_response(
            embed=backtest_embed(view, name if files else None), attachments=files
        )


async def setup(bot: CotraderBot) -> None:
    await bot.add_cog(Research(bot))
