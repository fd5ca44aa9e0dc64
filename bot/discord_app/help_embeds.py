"""`/help command:NAME` on Discord: the command's own options (from the registered slash
command, so never out of date) and the shared registry's detail and examples."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from agents.errors import BadInput
from bot.chat.help import find
from bot.discord_app.limits import clip, fit

if TYPE_CHECKING:
    from bot.discord_app.client import CotraderBot


def _slash(bot: CotraderBot, name: str) -> app_commands.Command | app_commands.Group | None:
    for cmd in bot.tree.walk_commands():
        if cmd.qualified_name == name:
            return cmd  # type: ignore[return-value]
    return None


def _names(bot: CotraderBot) -> list[str]:
    return sorted({c.qualified_name.split(" ")[0] for c in bot.tree.walk_commands()})


async def command_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The bot's slash commands, filtered by what was typed (max 25)."""
    bot: CotraderBot = interaction.client  # type: ignore[assignment]
    typed = (current or "").strip().lstrip("/").lower()
    return [app_commands.Choice(name=n, value=n) for n in _names(bot) if n.startswith(typed)][:25]


def command_embed(bot: CotraderBot, name: str) -> discord.Embed:
    """One command explained: its description and options, then the shared detail."""
    key = name.strip().lstrip("/").lower()[:32]
    slash = _slash(bot, key)
    entry = find(key)
    if slash is None:
        where = " (a terminal command: use the buttons here)" if entry else ""
        raise BadInput(f"No slash command /{key}{where}. /help lists them.")
    e = discord.Embed(title=f"/{slash.qualified_name}", description=slash.description)
    subs = slash.commands if isinstance(slash, app_commands.Group) else [slash]
    for cmd in subs:
        if not isinstance(cmd, app_commands.Command):
            continue
        opts = [
            f"`{p.display_name}`{'' if p.required else ' (optional)'}: {p.description}"
            for p in cmd.parameters
        ]
        label = f"/{cmd.qualified_name}" if cmd is not slash else "Options"
        e.add_field(name=label, value="\n".join(opts) or "none", inline=False)
    if entry is not None:
        if entry.detail:
            e.add_field(name="Detail", value=clip(entry.detail, 1024), inline=False)
        if entry.examples:
            shown = "\n".join(f"`{x}`" for x in entry.examples)
            e.add_field(name="In the terminal", value=shown, inline=False)
    return fit(e)


__all__ = ["command_choices", "command_embed"]
