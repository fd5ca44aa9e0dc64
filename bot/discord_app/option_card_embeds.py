"""An option strategy card on Discord: its legs, the net price, max profit and loss,
breakevens, probability of profit, greeks and buying power, with the payoff-at-expiry chart
attached (services/option_charts.payoff_png)."""

from __future__ import annotations

import io

import discord

from agents.results import Card
from services.option_charts import payoff_png
from services.options.payoff import LegSpec


def _money(x: float | None) -> str:
    return "-" if x is None else f"${x:,.2f}"


def legs_text(c: Card) -> str:
    o = c.option or {}
    rows = []
    for leg in o.get("legs", []):
        quote = f"{leg['bid']}/{leg['ask']}" if leg.get("bid") is not None else "no quote"
        delta = f" · Δ {leg['delta']:+.2f}" if leg.get("delta") is not None else ""
        rows.append(
            f"`{leg['side'].upper():4} {leg['quantity']}x {leg['symbol']}` "
            f"{leg['strike']:g} {leg['type']} · {quote}{delta}"
        )
    return "\n".join(rows) or "-"


def add_option_fields(e: discord.Embed, c: Card) -> None:
    """The option card's numbers as embed fields."""
    o = c.option or {}
    e.add_field(name="Legs", value=legs_text(c), inline=False)
    credit = o.get("credit")
    if c.kind == "exit":
        verb = "Net debit" if o.get("debit") else "Net credit"
        e.add_field(name=verb, value=f"{_money(o.get('limit'))} limit")
        e.add_field(name="Realises", value=_money(c.realizes))
        return
    e.add_field(name="Credit", value=f"{_money(credit)} (limit {_money(o.get('limit'))})")
    e.add_field(name="Max profit", value=_money(o.get("max_profit")))
    e.add_field(name="Max loss (the risk)", value=_money(o.get("max_loss")))
    e.add_field(name="Breakevens", value=", ".join(f"{b:,.2f}" for b in o.get("breakevens", [])))
    e.add_field(name="POP", value=f"{float(o.get('pop', 0)):.0%} · {o.get('dte')} DTE")
    g = o.get("greeks") or {}
    e.add_field(
        name="Greeks",
        value=f"Δ {g.get('delta', 0):+.1f} · θ {g.get('theta', 0):+.2f}/day · "
        f"ν {g.get('vega', 0):+.2f}",
    )
    bp = o.get("buying_power") or {}
    e.add_field(
        name="Capital / buying power",
        value=f"{_money(o.get('capital'))} · BP effect {_money(bp.get('effect'))} "
        f"({bp.get('source', 'computed')})",
        inline=False,
    )


def payoff_file(c: Card) -> discord.File | None:
    """The payoff-at-expiry chart of an option card, as an attachment (None: not one)."""
    o = c.option
    if not o or c.kind != "entry" or o.get("underlying_price") is None:
        return None
    legs = [
        LegSpec(x["type"], float(x["strike"]), x["side"], int(x["quantity"])) for x in o["legs"]
    ]
    png = payoff_png(
        legs,
        float(o["limit"]),
        spot=float(o["underlying_price"]),
        title=f"{c.symbol} {c.strategy.replace('_', ' ')} {o.get('expiry', '')}",
        contracts=c.quantity,
        simulated=c.mode_label == "SIMULATED",
    )
    return discord.File(io.BytesIO(png), payoff_name(c))


def payoff_name(c: Card) -> str:
    return f"payoff-{c.id}.png"
