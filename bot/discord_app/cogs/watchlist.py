"""/watchlist add | remove | list: what scans look at (the universe when empty)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord_app.client import CotraderBot
from bot.discord_app.cogs._base import CotraderCog, symbol_choices
from bot.discord_app.replies import say


def _shown(symbols: list[str]) -> str:
    return ", ".join(symbols) or "(empty: scans use the whole universe)"


class Watchlist(CotraderCog):
    group = app_commands.Group(name="watchlist", description="The symbols scans look at.")

    @group.command(name="add", description="Watch one or more symbols.")
    @app_commands.describe(symbols="Space-separated symbols, e.g. 'AAPL NVDA'")
    @app_commands.autocomplete(symbols=symbol_choices)
    async def add(self, interaction: discord.Interaction, symbols: str) -> None:
        actor = self.bot.actor_of(interaction)
        syms = [self.orch.data.normalise(s) for s in symbols.replace(",", " ").split()[:50]]
        if not syms:
            await say(interaction, "Name at least one symbol, e.g. AAPL.")
            return
        for s in syms:  # all validated above: nothing is half-added
            self.orch.watch(s, actor)
        await say(
            interaction,
            f"Watching {', '.join(syms)}. Watchlist: {_shown(self.orch.watchlist())}",
            ephemeral=False,
        )

    @group.command(name="remove", description="Stop watching a symbol.")
    @app_commands.autocomplete(symbol=symbol_choices)
    async def remove(self, interaction: discord.Interaction, symbol: str) -> None:
        self.orch.unwatch(symbol, self.bot.actor_of(interaction))
        await say(
            interaction, f"Removed. Watchlist: {_shown(self.orch.watchlist())}", ephemeral=False
        )

    @group.command(name="list", description="Show the watchlist.")
    async def list_(self, interaction: discord.Interaction) -> None:
        await say(interaction, f"Watchlist: {_shown(self.orch.watchlist())}")


async def setup(bot: CotraderBot) -> None:
    await bot.add_cog(Watchlist(bot))
