"""Embeds for research replies: a backtest's metrics table."""

from __future__ import annotations

import discord

from agents.results import BacktestView
from bot.discord_app.embeds import banner, shown
from bot.text_views import backtest_span, backtest_table, backtest_title

__all__ = ["backtest_embed", "backtest_table"]


def backtest_embed(b: BacktestView, image: str | None = None) -> discord.Embed:
    tag, _, colour = banner(b.mode_label)
    e = discord.Embed(
        title=f"{tag} · {backtest_title(b)}", description=backtest_span(b), colour=colour
    )
    e.add_field(name="Metrics", value=f"```{backtest_table(b)}```", inline=False)
    if image:
        e.set_image(url=f"attachment://{image}")
    return shown(e)
