"""Alerts: orchestrator events to the alert channel, card edits, and the scheduled jobs."""

from __future__ import annotations

from bot.discord_app.client import CotraderBot
from bot.discord_app.cogs._base import CotraderCog
from bot.discord_app.schedule import DeskScheduler


class Alerts(CotraderCog):
    def __init__(self, bot: CotraderBot) -> None:
        super().__init__(bot)
        self.scheduler = DeskScheduler(bot)

    async def cog_load(self) -> None:
        self.orch.subscribe(self.bot.post_alert)
        self.orch.on_card_update(self._card_changed)
        if self.bot.config.scheduler:
            self.scheduler.start()

    async def cog_unload(self) -> None:
        self.orch.unsubscribe(self.bot.post_alert)
        self.orch.off_card_update(self._card_changed)
        self.scheduler.stop()

    async def _card_changed(self, proposal_id: str) -> None:
        """An LLM rationale arrived after the card was posted: edit every copy."""
        await self.bot.cards.refresh(proposal_id)


async def setup(bot: CotraderBot) -> None:
    await bot.add_cog(Alerts(bot))
