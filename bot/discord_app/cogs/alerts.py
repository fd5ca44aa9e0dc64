"""Alerts: the desk's events rendered in the alert channel, posted cards kept up to date,
and the scheduled jobs' results (the jobs themselves are the orchestrator's)."""

from __future__ import annotations

from discord.ext import tasks
from loguru import logger

from agents import events as ev
from bot.discord_app.client import CotraderBot
from bot.discord_app.cogs._base import CotraderCog
from bot.discord_app.embeds import pnl_embed, positions_embed, scan_embed, status_embed
from bot.discord_app.report_embeds import post_report, post_suggestions
from bot.event_text import event_text
from bot.logs import redact

CARD_REFRESH_SECONDS = 15  # posted cards catch up with changes made by other instances


class Alerts(CotraderCog):
    def __init__(self, bot: CotraderBot) -> None:
        super().__init__(bot)
        self.refresher = tasks.loop(seconds=CARD_REFRESH_SECONDS)(self._refresh)

    async def cog_load(self) -> None:
        self.orch.subscribe(self.on_event)
        self.orch.on_card_update(self._card_changed)
        self.refresher.start()

    async def cog_unload(self) -> None:
        self.orch.unsubscribe(self.on_event)
        self.orch.off_card_update(self._card_changed)
        self.refresher.cancel()

    async def on_event(self, e: ev.DeskEvent) -> None:
        if isinstance(e, ev.JobEvent) and not isinstance(e, ev.JobFailed):
            await self._job(e)
        elif isinstance(e, ev.SuggestionsReady):
            if (chan := self.bot.alert_channel()) is not None:
                await post_suggestions(chan, e.suggestions)
        else:
            await self.bot.on_event(e)

    async def _job(self, e: ev.JobEvent) -> None:
        """A scheduled job's result in the alert channel (once: the job ran once)."""
        chan = self.bot.alert_channel()
        if chan is None:
            return
        match e:
            case ev.PremarketBrief():
                await chan.send(
                    "🌅 " + event_text(e),
                    embeds=[status_embed(e.status), positions_embed(e.positions)],
                )
            case ev.ScanPosted():
                await chan.send(embed=scan_embed(e.report))
                for card in e.report.cards:
                    await self.bot.cards.post(chan, card)
            case ev.EndOfDay():
                await chan.send(
                    f"🌇 End of day {e.day:%a %d %b}.",
                    embeds=[pnl_embed(e.pnl), positions_embed(e.positions)],
                )
            case ev.ReportReady():
                await post_report(chan, e.view)
            case _:
                await chan.send(redact("🧾 " + event_text(e)))

    async def _refresh(self) -> None:
        try:
            await self.bot.cards.refresh_outdated()
        except Exception as e:  # the next round tries again
            logger.warning("card refresh failed: {}", e)

    async def _card_changed(self, proposal_id: str) -> None:
        """An LLM rationale arrived after the card was posted: edit every copy."""
        await self.bot.cards.refresh(proposal_id)


async def setup(bot: CotraderBot) -> None:
    await bot.add_cog(Alerts(bot))
