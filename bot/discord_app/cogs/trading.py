"""Ideas and proposals: /scan, /analyze, /propose, /close, /pending, /why."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from loguru import logger

from agents.errors import CotraderError
from bot.discord_app.client import CotraderBot
from bot.discord_app.cogs._base import CotraderCog, symbol_choices
from bot.discord_app.components import card_view
from bot.discord_app.embeds import analysis_embed, card_embed, scan_embed, why_embed, why_text
from bot.discord_app.limits import DESCRIPTION, clip
from bot.discord_app.replies import defer, say

SIDES = [
    app_commands.Choice(name="buy (long)", value="buy"),
    app_commands.Choice(name="sell (short, or sell what you hold)", value="sell"),
    app_commands.Choice(name="let the trend decide", value="auto"),
]


class Trading(CotraderCog):
    @app_commands.command(
        description="Scan the watchlist (or given symbols) and post proposal cards."
    )
    @app_commands.describe(symbols="Space-separated symbols, e.g. 'AAPL MSFT' (default: watchlist)")
    async def scan(self, interaction: discord.Interaction, symbols: str | None = None) -> None:
        await defer(interaction)
        syms = (symbols or "").replace(",", " ").split()[:50] or None
        rep = await self.orch.scan(syms, self.bot.actor_of(interaction))
        await interaction.edit_original_response(embed=scan_embed(rep))
        for card in rep.cards:
            await self.bot.cards.follow_up(interaction, card)

    @app_commands.command(description="Indicators, score breakdown and what the strategy says.")
    @app_commands.describe(symbol="The symbol to analyse")
    @app_commands.autocomplete(symbol=symbol_choices)
    async def analyze(self, interaction: discord.Interaction, symbol: str) -> None:
        await defer(interaction)
        view = await self.orch.analyze(symbol)
        try:
            png = await self.orch.analysis_chart(view.symbol)
        except CotraderError as e:  # the numbers still help without the picture
            logger.warning("no chart for {}: {}", view.symbol, e)
            png = None
        name = f"{view.symbol}.png"
        files = [discord.File(io.BytesIO(png), name)] if png else []
        await interaction.edit_original_response(
            embed=analysis_embed(view, name if png else None), attachments=files
        )

    @app_commands.command(
        description="Propose a trade: sized and risk-checked, then a card to approve."
    )
    @app_commands.describe(
        symbol="The symbol to trade",
        side="Buy, sell, or let the trend decide",
        quantity="Shares (default: sized to your risk per trade)",
    )
    @app_commands.choices(side=SIDES)
    @app_commands.autocomplete(symbol=symbol_choices)
    async def propose(
        self,
        interaction: discord.Interaction,
        symbol: str,
        side: app_commands.Choice[str] | None = None,
        quantity: app_commands.Range[int, 1, 10_000_000] | None = None,
    ) -> None:
        await defer(interaction)
        sd = None if side is None or side.value == "auto" else side.value
        card = await self.orch.propose(
            symbol, sd, quantity, self.bot.actor_of(interaction), source="discord"
        )
        msg = await interaction.edit_original_response(embed=card_embed(card), view=card_view(card))
        self.bot.cards.record(card, msg)

    @app_commands.command(
        description="Propose closing (part of) a position; it needs its own click."
    )
    @app_commands.describe(symbol="The position to close", quantity="Shares (default: all)")
    @app_commands.autocomplete(symbol=symbol_choices)
    async def close(
        self,
        interaction: discord.Interaction,
        symbol: str,
        quantity: app_commands.Range[int, 1, 10_000_000] | None = None,
    ) -> None:
        await defer(interaction)
        card = await self.orch.close(symbol, quantity, self.bot.actor_of(interaction))
        msg = await interaction.edit_original_response(embed=card_embed(card), view=card_view(card))
        self.bot.cards.record(card, msg)

    @app_commands.command(description="Proposals waiting for a decision.")
    async def pending(self, interaction: discord.Interaction) -> None:
        cards = self.orch.pending()
        lines = [
            f"`{c.id}` {c.side.upper()} {c.quantity} {c.symbol} @ {c.entry:.2f} · "
            f"expires <t:{int(c.expires_at.timestamp())}:R>"
            for c in cards
        ]
        await say(interaction, clip("\n".join(lines) or "Nothing pending.", DESCRIPTION))

    @app_commands.command(description="Replay every step behind a proposal: signal to fill.")
    @app_commands.describe(id="The proposal id, e.g. p-abcd2345")
    async def why(self, interaction: discord.Interaction, id: str) -> None:
        w = self.orch.why(id)
        await say(
            interaction,
            embed=why_embed(w),
            long_text=why_text(w),
            filename=f"why-{w.card.id}.txt",
        )


async def setup(bot: CotraderBot) -> None:
    await bot.add_cog(Trading(bot))
