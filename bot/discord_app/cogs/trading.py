"""Ideas and proposals: /scan, /analyze, /propose, /close, /cancel, /pending, /why."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from loguru import logger

from agents.errors import CotraderError
from agents.results import Card
from bot.chat.trade_commands import close_spec, order_spec
from bot.discord_app.client import CotraderBot
from bot.discord_app.cogs._base import CotraderCog, symbol_choices
from bot.discord_app.components import card_view
from bot.discord_app.embeds import analysis_embed, card_embed, scan_embed, why_embed, why_text
from bot.discord_app.limits import CONTENT, DESCRIPTION, clip
from bot.discord_app.option_card_embeds import payoff_file
from bot.discord_app.replies import defer, say
from bot.text_views import risk_text

SIDES = [
    app_commands.Choice(name="buy (long, or cover a short)", value="buy"),
    app_commands.Choice(name="sell (what you hold; flat: a short)", value="sell"),
    app_commands.Choice(name="short (open or add to a short)", value="short"),
]
TIFS = [
    app_commands.Choice(name="day (default)", value="day"),
    app_commands.Choice(name="gtc: good till cancelled", value="gtc"),
    app_commands.Choice(name="opg: at the next open", value="opg"),
]
PRICE = app_commands.Range[float, 0.0001, 10_000_000.0]


def order_args(
    side: str | None,
    size: str | None,
    limit: float | None,
    stop: float | None,
    target: float | None,
    tif: str | None,
) -> list[str]:
    """Discord's /propose options as the slash syntax's parts (one parser for both)."""
    args = [x for x in (side, (size or "").strip()) if x]
    for name, value in (("limit", limit), ("stop", stop), ("target", target)):
        if value is not None:
            args.append(f"{name}={value!r}")
    if tif:
        args.append(f"tif={tif}")
    return args


STRATEGIES = [
    app_commands.Choice(name="bull put spread", value="bull_put_spread"),
    app_commands.Choice(name="cash-secured put", value="cash_secured_put"),
    app_commands.Choice(name="iron condor", value="iron_condor"),
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
        side="buy, sell or short (default: the trend decides)",
        size="Shares (10), dollars ($5000) or % of equity (5%); default: sized by risk",
        limit="Limit price (default: a market order)",
        stop="Stop price (default: ATR-based)",
        target="Target price (default: ATR-based)",
        tif="Time in force: day, gtc or opg",
        strategy="An option strategy instead of shares: the best position on the chain",
        contracts="Option contracts (default: sized by the max loss)",
    )
    @app_commands.choices(side=SIDES, tif=TIFS, strategy=STRATEGIES)
    @app_commands.autocomplete(symbol=symbol_choices)
    async def propose(
        self,
        interaction: discord.Interaction,
        symbol: str,
        side: app_commands.Choice[str] | None = None,
        size: app_commands.Range[str, 1, 20] | None = None,
        limit: PRICE | None = None,
        stop: PRICE | None = None,
        target: PRICE | None = None,
        tif: app_commands.Choice[str] | None = None,
        strategy: app_commands.Choice[str] | None = None,
        contracts: app_commands.Range[int, 1, 10_000] | None = None,
    ) -> None:
        if strategy is not None:
            await defer(interaction)
            card = await self.orch.propose_option(
                symbol, strategy.value, contracts, self.bot.actor_of(interaction), "discord"
            )
            chart = payoff_file(card)
            msg = await interaction.edit_original_response(
                content=clip(f"Asked: {strategy.name} on {symbol.upper()}", CONTENT),
                embed=card_embed(card),
                view=card_view(card),
                attachments=[chart] if chart else [],
            )
            self.bot.cards.record(card, msg)
            return
        args = order_args(side and side.value, size, limit, stop, target, tif and tif.value)
        spec = order_spec(self.orch, symbol, args)  # bad input: refused before the defer
        await defer(interaction)
        card = await self.orch.propose_order(spec, self.bot.actor_of(interaction), "discord")
        await self._post(interaction, card, spec.readback())

    @app_commands.command(
        description="Propose closing (part of) a position; it needs its own click."
    )
    @app_commands.describe(
        symbol="The position to close", size="Shares (5) or % of the position (50%); default: all"
    )
    @app_commands.autocomplete(symbol=symbol_choices)
    async def close(
        self,
        interaction: discord.Interaction,
        symbol: str,
        size: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        spec = close_spec(self.orch, symbol, size)
        await defer(interaction)
        card = await self.orch.propose_order(spec, self.bot.actor_of(interaction), "discord")
        await self._post(interaction, card, spec.readback())

    async def _post(self, interaction: discord.Interaction, card: Card, asked: str) -> None:
        msg = await interaction.edit_original_response(
            content=clip(f"Asked: {asked}", CONTENT), embed=card_embed(card), view=card_view(card)
        )
        self.bot.cards.record(card, msg)

    @app_commands.command(description="Cancel a working order (approvers only; no card needed).")
    @app_commands.describe(order_id="The order's client id, as /orders shows it")
    async def cancel(
        self, interaction: discord.Interaction, order_id: app_commands.Range[str, 1, 64]
    ) -> None:
        await defer(interaction, ephemeral=True)
        o = await self.orch.cancel_order(order_id.strip(), self.bot.actor_of(interaction))
        await say(
            interaction,
            f"🚫 Order `{o.client_order_id}` ({o.side} {o.quantity} {o.symbol}, {o.role}): "
            f"{o.status_text or o.status}.",
        )

    @app_commands.command(description="Proposals waiting for a decision.")
    async def pending(self, interaction: discord.Interaction) -> None:
        cards = self.orch.pending()
        lines = [
            f"`{c.id}` {c.title} @ {c.entry:.2f} · {risk_text(c)} · "
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
