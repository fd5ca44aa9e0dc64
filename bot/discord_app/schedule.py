"""Scheduled desk jobs on the NYSE calendar, each posted once per session.

APScheduler (US/Eastern) fires the day's jobs at times the market calendar gives
(holidays skipped, early closes honoured). Every run first claims `job:NAME:DAY` in the
database, so a restart, a retry or a second instance never posts the same job twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from loguru import logger

from bot.discord_app.embeds import pnl_embed, positions_embed, scan_embed, status_embed
from bot.logs import redact
from models.domain import Actor
from services.market_calendar import DEFAULT_JOBS, ET, MarketCalendar, job_times

if TYPE_CHECKING:
    from bot.discord_app.client import CotraderBot

GRACE = timedelta(minutes=10)  # a job missed by a restart still runs within this window
HOUSEKEEPING_SECONDS = 15
SCHEDULER = Actor.system("scheduler")


class DeskScheduler:
    def __init__(self, bot: CotraderBot, calendar: MarketCalendar | None = None) -> None:
        self.bot = bot
        self.orch = bot.orch
        self.calendar = calendar or MarketCalendar()
        self.scheduler = AsyncIOScheduler(timezone=ET)
        self.jobs: dict[str, Callable[[date], Awaitable[None]]] = {
            "premarket_brief": self.premarket_brief,
            "scan_open": self.scan,
            "scan_midday": self.scan,
            "eod_summary": self.eod_summary,
            "reconcile": self.reconcile,
        }

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self.scheduler.add_job(
            self.housekeeping,
            IntervalTrigger(seconds=HOUSEKEEPING_SECONDS),
            id="housekeeping",
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.add_job(
            self.plan_today, CronTrigger(hour=0, minute=5, timezone=ET), id="planner"
        )
        self.scheduler.start()
        self.plan_today()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def plan_today(self) -> list[tuple[str, datetime]]:
        return self.plan(self.orch.clock())

    def plan(self, now: datetime) -> list[tuple[str, datetime]]:
        """Schedule today's session jobs that are still due (or missed by less than GRACE)."""
        session = self.calendar.session(now.astimezone(ET).date())
        if session is None:
            logger.info("no session on {}: no desk jobs today", now.astimezone(ET).date())
            return []
        planned = []
        for name, at in job_times(session, DEFAULT_JOBS).items():
            if at + GRACE < now:
                continue
            job_id = f"{name}:{session.day.isoformat()}"
            self.scheduler.add_job(
                self.fire,
                DateTrigger(run_date=max(at, now)),
                args=[name, session.day],
                id=job_id,
                replace_existing=True,
                misfire_grace_time=int(GRACE.total_seconds()),
            )
            planned.append((job_id, at))
        logger.info("desk jobs for {}: {}", session.day, ", ".join(j for j, _ in planned) or "none")
        return planned

    async def fire(self, name: str, day: date) -> bool:
        """Run one job once: False when it already ran (before a restart, or elsewhere)."""
        if not self.orch.store.frontend.claim(f"job:{name}:{day.isoformat()}", self.orch.clock()):
            logger.info("job {} for {} already ran; not posting twice", name, day)
            return False
        try:
            await self.jobs[name](day)
        except Exception as e:  # a failed job must not stop the scheduler
            logger.exception("job {} failed: {}", name, e)
            await self.bot.post_alert("error", f"Scheduled {name} failed: {e}")
        return True

    # ------------------------------------------------------------------ jobs
    async def housekeeping(self) -> None:
        """Expire due proposals, book working orders, bring posted cards up to date."""
        try:
            await self.orch.expire_due()
            await self.orch.sync()
            await self.bot.cards.refresh_outdated()
        except Exception as e:
            logger.exception("housekeeping failed: {}", e)

    async def premarket_brief(self, day: date) -> None:
        chan = self.bot.alert_channel()
        if chan is None:
            return
        session = self.calendar.session(day)
        hours = ""
        if session is not None:
            hours = (
                f"Session {session.open.astimezone(ET):%H:%M}-{session.close.astimezone(ET):%H:%M}"
                f" ET{' (early close)' if session.early_close else ''}. "
            )
        wl = ", ".join(self.orch.watchlist()) or "the whole universe"
        await chan.send(
            f"🌅 Pre-market brief for {day:%a %d %b}. {hours}Scans at 09:35 and 12:00 ET on {wl}.",
            embeds=[
                status_embed(await self.orch.status()),
                positions_embed(await self.orch.positions()),
            ],
        )

    async def scan(self, day: date) -> None:
        chan = self.bot.alert_channel()
        if chan is None:
            return
        rep = await self.orch.scan(None, SCHEDULER)
        await chan.send(embed=scan_embed(rep))
        for card in rep.cards:
            await self.bot.cards.post(chan, card)

    async def eod_summary(self, day: date) -> None:
        await self.orch.record_day()
        chan = self.bot.alert_channel()
        if chan is None:
            return
        await chan.send(
            f"🌇 End of day {day:%a %d %b}.",
            embeds=[
                pnl_embed(await self.orch.pnl("day")),
                positions_embed(await self.orch.positions()),
            ],
        )

    async def reconcile(self, day: date) -> None:
        """The venue against our books after the close; discrepancies are alerted by the
        orchestrator, a clean result is posted as one line."""
        view = await self.orch.reconcile(SCHEDULER)
        chan = self.bot.alert_channel()
        if chan is not None and view.ok:
            await chan.send(redact(f"🧾 [{view.mode_label}] {view.report.summary()}"))
