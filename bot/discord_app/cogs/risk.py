"""Risk and the venue: /risk (state, limits, VaR, what-if) and /reconcile."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord_app.client import CotraderBot
from bot.discord_app.cogs._base import CotraderCog
from bot.discord_app.limits import clip
from bot.discord_app.replies import defer, say
from bot.discord_app.risk_embeds import reconcile_embed, risk_embed

SIDES = [app_commands.Choice(name=s, value=s) for s in ("buy", "sell")]


class Risk(CotraderCog):
    @app_commands.command(
        name="risk", description="Desk state, limit use, 1-day VaR and correlation; a what-if."
    )
    @app_commands.describe(
        symbol="What-if: the symbol to add",
        side="What-if: buy or sell",
        quantity="What-if: shares",
        public="Show it to the channel (default: only you see it)",
    )
    @app_commands.choices(side=SIDES)
    async def risk(
        self,
        interaction: discord.Interaction,
        symbol: str | None = None,
        side: app_commands.Choice[str] | None = None,
        quantity: int | None = None,
        public: bool = False,
    ) -> None:
        await defer(interaction, ephemeral=not public)
        rep = await self.orch.risk_report(
            clip(symbol, 16) if symbol else None, side.value if side else "buy", quantity
        )
        await say(interaction, embed=risk_embed(rep, self.orch.mode.label))

    @app_commands.command(
        description="Compare the broker's positions and orders with our books (changes nothing)."
    )
    async def reconcile(self, interaction: discord.Interaction) -> None:
        await defer(interaction, ephemeral=False)
        view = await self.orch.reconcile(self.bot.actor_of(interaction))
        await say(interaction, embed=reconcile_embed(view))


async def setup(bot: CotraderBot) -> None:
    await bot.add_cog(Risk(bot))
