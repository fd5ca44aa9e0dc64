"""/greeks: the options calculator (the same one as `cotrader greeks` and the chat's
/greeks). No account is read and nothing is stored; the answer is a public embed with
the price, the five greeks and the European-pricing note. A bad input is refused
privately with the calculator's one sentence."""

from __future__ import annotations

import discord
from discord import app_commands

from agents.options_calc import GreeksView, greeks_view
from bot.discord_app.client import CotraderBot
from bot.discord_app.cogs._base import CotraderCog
from bot.discord_app.replies import say

COLOUR = discord.Colour.blurple()
KIND_CHOICES = [app_commands.Choice(name=k, value=k) for k in ("call", "put")]


def greeks_embed(v: GreeksView) -> discord.Embed:
    """The option as priced: the inputs in the title and description, a field per
    number (the implied vol first when solved), the note in the footer."""
    e = discord.Embed(title=f"Greeks · {v.title()}", description=v.assumptions(), colour=COLOUR)
    for name, value in v.rows():
        e.add_field(name=name[:1].upper() + name[1:], value=f"`{value}`")
    e.set_footer(text=v.note)
    return e


class Greeks(CotraderCog):
    @app_commands.command(
        name="greeks",
        description="Price and greeks of a call or put, or its implied vol from a price.",
    )
    @app_commands.rename(kind="type")
    @app_commands.describe(
        kind="call or put",
        spot="The underlying's price",
        strike="The strike price",
        days="Calendar days to expiry (give this or expiry)",
        expiry="Expiry date YYYY-MM-DD, at 16:00 ET (give this or days)",
        vol="Volatility as a decimal, 0.25 is 25% (give this or price)",
        price="The option's price per share: solve its implied vol (give this or vol)",
        rate="Risk-free rate as a decimal (default COTRADER_RISK_FREE_RATE, else 0.04)",
        dividend="Continuous dividend yield as a decimal (default 0)",
    )
    @app_commands.choices(kind=KIND_CHOICES)
    async def greeks(
        self,
        interaction: discord.Interaction,
        kind: app_commands.Choice[str],
        spot: float,
        strike: float,
        days: float | None = None,
        expiry: app_commands.Range[str, 1, 32] | None = None,
        vol: float | None = None,
        price: float | None = None,
        rate: float | None = None,
        dividend: float = 0.0,
    ) -> None:
        # no defer: it is instant, and a refusal stays private (the error handler answers)
        view = greeks_view(
            kind.value,
            spot,
            strike,
            days=days,
            expiry=expiry,
            vol=vol,
            price=price,
            rate=rate if rate is not None else self.orch.desk_cfg.risk_free_rate,
            dividend=dividend,
            now=self.orch.clock(),
        )
        await say(interaction, embed=greeks_embed(view), ephemeral=False)


async def setup(bot: CotraderBot) -> None:
    await bot.add_cog(Greeks(bot))
