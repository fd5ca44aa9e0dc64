"""/chain and /ivrank: one expiry of an underlying's option chain (our IV and greeks beside
the quote) with the implied-vol smile across expiries as a chart, and the IV rank and
percentile. Nothing is stored or traded. Bad input (a malformed expiry, a delta or strike
count out of range, an unknown symbol) is refused privately with one sentence before
anything is fetched; a refusal found later (an expiry that is not listed) replaces the
"thinking" message with a private answer too."""

from __future__ import annotations

import asyncio
import io
from datetime import date

import discord
from discord import app_commands
from loguru import logger

from agents.chain_views import ChainView, SmileView
from agents.errors import BadInput, CotraderError
from agents.options_api import MAX_STRIKES, delta_arg, expiry_arg
from bot.discord_app.chain_embeds import chain_embed, ivrank_embed
from bot.discord_app.client import CotraderBot
from bot.discord_app.cogs._base import CotraderCog, symbol_choices
from bot.discord_app.limits import CONTENT, clip
from bot.discord_app.replies import defer, fail
from bot.logs import redact
from services.option_charts import SmileLine, smile_png

SIDE_CHOICES = [app_commands.Choice(name=s, value=s) for s in ("calls", "puts")]


def parse_expiry(text: str | None) -> tuple[int | None, date | None]:
    """(dte, expiry) from the expiry option (none: the default, nearest 30 days)."""
    return (None, None) if text is None or not text.strip() else expiry_arg(text)


def smile_lines(s: SmileView) -> list[SmileLine]:
    return [SmileLine(f"{c.dte}d · {c.expiry.isoformat()}", c.strikes, c.ivs) for c in s.curves]


def render_smile(s: SmileView) -> bytes:
    return smile_png(
        smile_lines(s), spot=s.spot, symbol=s.symbol, simulated=s.simulated, source=s.source
    )


class Options(CotraderCog):
    async def _smile_png(self, symbol: str) -> tuple[bytes | None, str | None]:
        """The smile chart, or why there is none (the chain is posted either way)."""
        try:
            smile = await self.orch.option_smile(symbol)
            return await asyncio.to_thread(render_smile, smile), None
        except CotraderError as e:
            return None, str(e)
        except Exception as e:  # a chart must never cost the table
            logger.exception("smile chart for {} failed: {}", symbol, e)
            return None, "the chart could not be drawn"

    @app_commands.command(
        description="One expiry of an option chain: quotes, our IV and delta, and the IV smile."
    )
    @app_commands.describe(
        symbol="The underlying",
        expiry="Days to expiry (e.g. 30: the nearest listed) or a date YYYY-MM-DD (default 30)",
        side="calls or puts (default both)",
        delta="Centre on this delta: 0.2 or 20 both mean 0.20 (a put's -0.2 too)",
        strikes=f"How many strikes per side (1-{MAX_STRIKES}, default 10)",
    )
    @app_commands.choices(side=SIDE_CHOICES)
    @app_commands.autocomplete(symbol=symbol_choices)
    async def chain(
        self,
        interaction: discord.Interaction,
        symbol: app_commands.Range[str, 1, 16],
        expiry: app_commands.Range[str, 1, 32] | None = None,
        side: app_commands.Choice[str] | None = None,
        delta: float | None = None,
        strikes: app_commands.Range[int, 1, MAX_STRIKES] = 10,
    ) -> None:
        # every check that needs no data runs before the defer: a refusal stays private
        dte, on = parse_expiry(expiry)
        wanted_delta = None if delta is None else delta_arg(delta)
        if not 1 <= strikes <= MAX_STRIKES:
            raise BadInput(f"strikes must be between 1 and {MAX_STRIKES}, not {strikes}.")
        sym = self.orch.data.normalise(symbol)
        await defer(interaction)
        chart = asyncio.create_task(self._smile_png(sym))
        try:
            view: ChainView = await self.orch.option_chain(
                sym,
                dte=dte,
                expiry=on,
                side=side.value if side else None,
                delta=wanted_delta,
                strikes=strikes,
            )
        except CotraderError as e:
            chart.cancel()
            await fail(interaction, str(e), withdraw=True)
            return
        except BaseException:
            chart.cancel()
            raise
        png, why = await chart
        name = f"smile-{view.symbol}.png"
        files = [discord.File(io.BytesIO(png), name)] if png else []
        content = None if png else f"Smile chart unavailable: {why}"
        await interaction.edit_original_response(
            content=clip(redact(content), CONTENT) if content else None,
            embed=chain_embed(view, self.orch.mode.label, name if png else None),
            attachments=files,
        )

    @app_commands.command(description="IV rank and IV percentile of an underlying (52 weeks).")
    @app_commands.describe(symbol="The underlying")
    @app_commands.autocomplete(symbol=symbol_choices)
    async def ivrank(
        self, interaction: discord.Interaction, symbol: app_commands.Range[str, 1, 16]
    ) -> None:
        sym = self.orch.data.normalise(symbol)
        await defer(interaction)
        try:
            view = await self.orch.iv_rank(sym)
        except CotraderError as e:
            await fail(interaction, str(e), withdraw=True)
            return
        await interaction.edit_original_response(
            embed=ivrank_embed(view, self.orch.mode.label), attachments=[]
        )


async def setup(bot: CotraderBot) -> None:
    await bot.add_cog(Options(bot))
