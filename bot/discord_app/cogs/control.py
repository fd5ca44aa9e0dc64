"""The desk: /pause, /resume, /kill (two steps), /help, and the owner's /admin sync."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord_app.client import CotraderBot
from bot.discord_app.cogs._base import CotraderCog
from bot.discord_app.help_embeds import command_choices, command_embed
from bot.discord_app.limits import FIELD_VALUE, chunks, clip, fit
from bot.discord_app.replies import defer, fail, say

CHAT_EXAMPLES = (
    "In the chat channels, mention me or DM me in plain words: 'should I buy NVDA?', "
    "'buy 10 AAPL', 'close my TSLA', 'pnl this week', 'add AMD to my watchlist'. "
    "Chat only ever makes a proposal card; the Approve button decides."
)


class Control(CotraderCog):
    @app_commands.command(description="Pause new entry proposals (exits still allowed).")
    @app_commands.describe(reason="Why (recorded)")
    async def pause(self, interaction: discord.Interaction, reason: str = "") -> None:
        self.orch.pause(self.bot.actor_of(interaction), clip(reason, 300))
        await say(interaction, "⏸️ Paused: no new entry proposals until /resume.", ephemeral=False)

    @app_commands.command(description="Resume the desk after a pause, a halt or the kill switch.")
    @app_commands.describe(
        reason="Why (recorded)",
        rebase_peak="Accept the drawdown: measure it from today's equity from now on",
    )
    async def resume(
        self, interaction: discord.Interaction, reason: str = "", rebase_peak: bool = False
    ) -> None:
        text = await self.orch.resume(
            self.bot.actor_of(interaction), clip(reason, 300), rebase_peak
        )
        await say(interaction, f"▶️ {text}", ephemeral=False)

    @app_commands.command(
        description="Kill switch: cancel orders, expire proposals, halt (asks to confirm)."
    )
    @app_commands.describe(flatten="Also close every position at market")
    async def kill(self, interaction: discord.Interaction, flatten: bool = False) -> None:
        await self.bot.decisions.ask_kill(interaction, flatten)

    @app_commands.command(name="help", description="What I can do and how to ask.")
    @app_commands.describe(command="A command to explain: its options and examples")
    @app_commands.autocomplete(command=command_choices)
    async def help_(self, interaction: discord.Interaction, command: str | None = None) -> None:
        if command:
            await say(interaction, embed=command_embed(self.bot, command))
            return
        e = discord.Embed(title="cotrader: your co-trader desk", description=CHAT_EXAMPLES)
        lines = [
            f"`/{cmd.qualified_name}` {cmd.description}"
            for cmd in sorted(self.bot.tree.walk_commands(), key=lambda c: c.qualified_name)
            if isinstance(cmd, app_commands.Command)
        ]
        for i, block in enumerate(chunks("\n".join(lines), FIELD_VALUE)):  # none cut off
            e.add_field(name="Commands" if i == 0 else "\u200b", value=block, inline=False)
        e.set_footer(
            text=f"/help command:NAME explains one. Approvers: "
            f"{self.bot.config.approvers.describe()}"
        )
        await say(interaction, embed=fit(e))

    admin = app_commands.Group(
        name="admin",
        description="Owner-only maintenance.",
        default_permissions=discord.Permissions(administrator=True),
    )

    @admin.command(name="sync", description="Register the slash commands with Discord now.")
    async def sync(self, interaction: discord.Interaction) -> None:
        is_owner = await self.bot.is_owner(interaction.user) or (
            interaction.guild is not None and interaction.user.id == interaction.guild.owner_id
        )
        if not is_owner:
            self.orch.note("discord.sync_refused", f"discord:{interaction.user.id}", {})
            await fail(interaction, "Only the bot's owner or the server owner may sync commands.")
            return
        await defer(interaction, ephemeral=True)
        await say(interaction, await self.bot.sync_commands(force=True))


async def setup(bot: CotraderBot) -> None:
    await bot.add_cog(Control(bot))
