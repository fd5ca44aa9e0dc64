"""Embeds for research replies: a backtest's metrics table."""

from __future__ import annotations

import math

import discord

from agents.results import BacktestView
from bot.discord_app.embeds import banner, shown

ROWS = (
    ("Trades", "trades", "{:.0f}"),
    ("Return", "return_pct", "{:+.2f}%"),
    ("Buy & hold", "buy_hold_return_pct", "{:+.2f}%"),
    ("CAGR", "cagr_pct", "{:+.2f}%"),
    ("Max drawdown", "max_drawdown_pct", "{:.2f}%"),
    ("Win rate", "win_rate_pct", "{:.1f}%"),
    ("Profit factor", "profit_factor", "{:.2f}"),
    ("Expectancy", "expectancy_pct", "{:+.2f}%"),
    ("Sharpe", "sharpe", "{:.2f}"),
    ("Sortino", "sortino", "{:.2f}"),
    ("Calmar", "calmar", "{:.2f}"),
    ("Exposure", "exposure_pct", "{:.1f}%"),
    ("Kelly", "kelly", "{:.3f}"),
    ("Final equity", "equity_final", "${:,.2f}"),
)


def _fmt(value: object, pattern: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return pattern.format(value)


def backtest_table(b: BacktestView) -> str:
    """The metrics as an aligned table (also what the terminal prints)."""
    s = b.summary
    lines = [f"{name:<14}{_fmt(s.get(key), pat):>14}" for name, key, pat in ROWS if key in s]
    return "\n".join(lines)


def backtest_embed(b: BacktestView, image: str | None = None) -> discord.Embed:
    tag, _, colour = banner(b.mode_label)
    params = ", ".join(f"{k}={v}" for k, v in b.params.items())
    s = b.summary
    e = discord.Embed(
        title=f"{tag} · backtest {b.strategy}({params}) on {b.symbol}",
        description=(
            f"{s.get('start', '')[:10]} → {s.get('end', '')[:10]}, {s.get('bars', 0)} daily "
            "bars. Signals at the close, fills at the next open, whole shares, all equity, "
            "open trade closed at the end."
        ),
        colour=colour,
    )
    e.add_field(name="Metrics", value=f"```{backtest_table(b)}```", inline=False)
    if image:
        e.set_image(url=f"attachment://{image}")
    return shown(e)
