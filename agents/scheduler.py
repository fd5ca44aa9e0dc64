"""The desk's scheduled jobs on the NYSE calendar: each runs once per session and publishes
its result as an event (front ends only render it).

APScheduler (US/Eastern) fires the day's jobs at times the market calendar gives (holidays
skipped, early closes honoured). Every run first claims `job:NAME:DAY` in the database, so a
restart, a retry or a second instance never runs the same job twice. A job missed by a
restart still runs if it is less than ten minutes late.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from loguru import logger

from agents import events as ev
from agents.errors import CotraderError
from models.domain import Actor
from services.market_calendar import DEFAULT_JOBS, ET, MarketCalendar, job_times

if TYPE_CHECKING:
    from agents.orchestrator import Orchestrator

JobResult = ev.DeskEvent | list[ev.DeskEvent] | None
GRACE = timedelta(minutes=10)  # a job missed by a restart still runs within this window
SCHEDULER = Actor.system("scheduler")


class JobScheduler:
    def __init__(self, orch: Orchestrator, calendar: MarketCalendar | None = None) -> None:
        self.orch = orch
        self.calendar = calendar or MarketCalendar()
        self.scheduler = AsyncIOScheduler(timezone=ET)
        self.jobs: dict[str, Callable[[date], Awaitable[JobResult]]] = {
            "premarket_brief": self.premarket_brief,
            "scan_open": self.scan,
            "scan_midday": self.scan,
            "eod_summary": self.eod_summary,
            "reconcile": self.reconcile,
            "iv_record": self.iv_record,
            "reports": self.reports,
        }
        self._current = ""  # the job running now (its name, for its event)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
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
        """Run one job once and publish its result: False when it already ran (before a
        restart, or in another instance)."""
        if not self.orch.claim_once(f"job:{name}:{day.isoformat()}"):
            logger.info("job {} for {} already ran; not posting twice", name, day)
            return False
        self._current = name
        try:
            result = await self.jobs[name](day)
        except Exception as e:  # a failed job must not stop the scheduler
            logger.exception("job {} failed: {}", name, e)
            result = ev.JobFailed(mode_label=self._label, job=name, day=day, error=str(e))
        for event in result if isinstance(result, list) else [result]:
            if event is not None:
                await self.orch.publish(event)
        return True

    @property
    def _label(self) -> str:
        return self.orch.mode.label

    # ------------------------------------------------------------------ jobs
    async def premarket_brief(self, day: date) -> ev.JobEvent:
        session = self.calendar.session(day)
        hours = ""
        if session is not None:
            hours = (
                f"{session.open.astimezone(ET):%H:%M}-{session.close.astimezone(ET):%H:%M} ET"
                + (" (early close)" if session.early_close else "")
            )
        return ev.PremarketBrief(
            mode_label=self._label,
            job="premarket_brief",
            day=day,
            session=hours,
            watchlist=tuple(self.orch.watchlist()),
            status=await self.orch.status(),
            positions=await self.orch.positions(),
            top_stories=await self._top_stories(),
        )

    async def _top_stories(self) -> tuple[str, ...]:
        """The strongest headlines (by |sentiment|, newest first on ties) of the last day on
        the held and watched symbols, one line each."""
        try:
            view = await self.orch.news(None, 24)
        except CotraderError as e:
            logger.warning("pre-market brief: no news: {}", e)
            return ()
        items = sorted(view.items, key=lambda i: -abs(float(i.sentiment["score"])))[:5]
        return tuple(f"{' '.join(i.symbols)}: {i.headline} ({i.sentiment['label']})" for i in items)

    async def scan(self, day: date) -> ev.JobEvent:
        report = await self.orch.scan(None, SCHEDULER)
        return ev.ScanPosted(mode_label=self._label, job=self._current, day=day, report=report)

    async def eod_summary(self, day: date) -> ev.JobEvent:
        await self.orch.record_day()
        return ev.EndOfDay(
            mode_label=self._label,
            job="eod_summary",
            day=day,
            pnl=await self.orch.pnl("day"),
            positions=await self.orch.positions(),
        )

    async def reports(self, day: date) -> list[ev.DeskEvent]:
        """After the close: the day's report, the week's and the month's on their last
        sessions, and the week's suggestions (see ReportsApi.scheduled_reports)."""
        return await self.orch.scheduled_reports(day)

    async def iv_record(self, day: date) -> ev.JobEvent | None:
        """After the close: each watched, held and universe symbol's 30-day ATM IV into the
        store (IV rank's series for venues that keep none). Nothing is posted."""
        n = await self.orch.record_iv(SCHEDULER)
        logger.info("iv_record {}: {} symbols recorded", day, n)
        return None

    async def reconcile(self, day: date) -> ev.JobEvent | None:
        """The venue against our books after the close: differences are published by the
        reconciliation itself; a clean result is one line."""
        view = await self.orch.reconcile(SCHEDULER)
        if not view.ok:
            return None
        return ev.ReconcileDone(mode_label=self._label, job="reconcile", day=day, view=view)
