"""The simulator: /sim shock (approvers only) moves the simulated market for a symbol."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord_app.client import CotraderBot
from bot.discord_app.cogs._base import CotraderCog, symbol_choices
from bot.discord_app.embeds import sim_shock_embed
from bot.discord_app.replies import say


class Sim(CotraderCog):
    sim = app_commands.Group(name="sim", description="The simulated market (approvers only).")

    @sim.command(
        name="shock", description="Move the simulated market for a symbol now (approvers only)."
    )
    @app_commands.describe(
        symbol="The symbol to move",
        pct="The move in percent, e.g. -15 or 8 (between -90 and +500, not zero)",
    )
    @app_commands.autocomplete(symbol=symbol_choices)
    async def shock(
        self, interaction: discord.Interaction, symbol: app_commands.Range[str, 1, 16], pct: float
    ) -> None:
        # no defer: a refusal stays private (the error handler answers ephemerally)
        view = await self.orch.sim_shock(symbol, pct, self.bot.actor_of(interaction))
        await say(interaction, embed=sim_shock_embed(view), ephemeral=False)


async def setup(bot: CotraderBot) -> None:
    await bot.add_cog(Sim(bot))
