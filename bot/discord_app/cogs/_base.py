"""What every cog shares: the bot, its orchestrator, and symbol autocomplete."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.client import CotraderBot


class CotraderCog(commands.Cog):
    def __init__(self, bot: CotraderBot) -> None:
        self.bot = bot
        self.orch = bot.orch


async def symbol_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Watchlist first, then the rest of the universe, filtered by what was typed (max 25)."""
    bot: CotraderBot = interaction.client  # type: ignore[assignment]
    typed = (current or "").strip().upper().lstrip("$")
    seen: dict[str, None] = {}
    for s in [*bot.orch.watchlist(), *bot.orch.data.known()]:
        if s.startswith(typed):
            seen.setdefault(s, None)
    return [app_commands.Choice(name=s, value=s) for s in list(seen)[:25]]
