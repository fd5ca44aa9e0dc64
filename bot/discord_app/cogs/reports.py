"""Reports and learning: /report (figures, charts and files), /suggestions (cards with
Apply / Dismiss for approvers) and /settings (the run-time changes; revert one)."""

from __future__ import annotations

import discord
from discord import app_commands

from agents.errors import CotraderError, NotAuthorized
from bot.discord_app.client import CotraderBot
from bot.discord_app.cogs._base import CotraderCog
from bot.discord_app.limits import clip
from bot.discord_app.replies import defer, fail, say
from bot.discord_app.report_embeds import (
    report_embed,
    report_files,
    suggestion_embed,
    suggestion_view,
)

PERIODS = (
    ("day: today's session (after the close: the day just ended)", "day"),
    ("week: this trading week so far", "week"),
    ("month: this month so far", "month"),
)
MAX_CARDS = 10  # suggestions shown by /suggestions (newest first)


async def period_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """day, week, month (or whatever date was typed, YYYY-MM-DD)."""
    typed = (current or "").strip().lower()
    out = [app_commands.Choice(name=n, value=v) for n, v in PERIODS if v.startswith(typed)]
    if typed and not out:
        out.append(app_commands.Choice(name=clip(typed, 100), value=clip(typed, 100)))
    return out


async def change_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The setting changes still in force, by id, filtered by what was typed (max 25)."""
    bot: CotraderBot = interaction.client  # type: ignore[assignment]
    typed = (current or "").strip().lstrip("#").lower()
    out = []
    for c in bot.orch.settings_view().changes:
        if c.reverted_at is None and typed in c.line.lower():
            out.append(app_commands.Choice(name=clip(c.line, 100), value=str(c.id)))
    return out[:25]


class Reports(CotraderCog):
    @app_commands.command(
        description="Performance report: figures, equity chart, markdown and CSVs attached."
    )
    @app_commands.describe(
        period="day, week, month or a date YYYY-MM-DD (default: day)",
        public="Post it in the channel for everyone (default: only you see it)",
    )
    @app_commands.autocomplete(period=period_choices)
    async def report(
        self,
        interaction: discord.Interaction,
        period: app_commands.Range[str, 1, 20] | None = None,
        public: bool = False,
    ) -> None:
        await defer(interaction, ephemeral=not public)
        try:
            view = await self.orch.report(period)
        except CotraderError as e:  # a bad period: said privately, the thinking removed
            await fail(interaction, str(e), withdraw=public)
            return
        await interaction.edit_original_response(
            embed=report_embed(view), attachments=report_files(view)
        )

    @app_commands.command(
        description="Pending setting suggestions from the weekly review, with Apply / Dismiss."
    )
    async def suggestions(self, interaction: discord.Interaction) -> None:
        pending = self.orch.suggestions("pending")
        if not pending:
            await say(
                interaction,
                "No pending suggestions. They come weekly once 30 closed trades are reviewed.",
            )
            return
        shown = pending[:MAX_CARDS]
        more = f" (showing the newest {len(shown)})" if len(pending) > len(shown) else ""
        await say(
            interaction,
            f"💡 {len(pending)} pending suggestion{'s' if len(pending) != 1 else ''}{more}. "
            "Only approvers can Apply or Dismiss.",
        )
        for s in shown:
            await interaction.followup.send(
                embed=suggestion_embed(s), view=suggestion_view(s), ephemeral=True
            )

    @app_commands.command(
        name="settings", description="Settings changed at run time; revert one (approvers)."
    )
    @app_commands.describe(revert="A change id to put back as it was (approvers only)")
    @app_commands.autocomplete(revert=change_choices)
    async def settings_(
        self,
        interaction: discord.Interaction,
        revert: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        if revert is None:
            await say(
                interaction, long_text=self.orch.settings_view().text, filename="settings.txt"
            )
            return
        actor = self.bot.actor_of(interaction)
        try:
            c = self.orch.revert_setting(revert, actor)
        except NotAuthorized as e:
            await fail(interaction, f"{e} Approvers: {self.bot.config.approvers.describe()}.")
            return
        except CotraderError as e:
            await fail(interaction, str(e))
            return
        back = "?" if c.old_value is None else f"{c.old_value:g}"
        await say(
            interaction,
            f"↩️ Reverted change #{c.id} by {actor.name}: `{c.key}` is {back} again "
            f"(was {c.new_value:g}).",
            ephemeral=False,
        )


async def setup(bot: CotraderBot) -> None:
    await bot.add_cog(Reports(bot))
