"""The desk's scheduled jobs follow the NYSE calendar and survive restarts without repeats."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from agents.scheduler import JobScheduler
from bot.app import App
from services.market_calendar import ET
from tests.conftest import Clock


def et(y: int, m: int, d: int, hh: int, mm: int) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ET)


def planned(make_app: Callable[..., App], now: datetime) -> dict[str, datetime]:
    app = make_app(Clock(now.astimezone(UTC)))
    sched = JobScheduler(app.orchestrator)
    sched.plan(now.astimezone(UTC))
    return {
        j.id.split(":")[0]: j.trigger.run_date.astimezone(ET)  # type: ignore[attr-defined]
        for j in sched.scheduler.get_jobs()
    }


def test_an_early_close_moves_the_end_of_day_summary(make_app: Callable[..., App]) -> None:
    jobs = planned(make_app, et(2026, 11, 27, 8, 0))  # day after Thanksgiving: 13:00 close
    assert {k: (v.hour, v.minute) for k, v in jobs.items()} == {
        "premarket_brief": (9, 0),
        "scan_open": (9, 35),
        "scan_midday": (12, 0),
        "eod_summary": (13, 5),
        "reconcile": (13, 5),
        "reports": (13, 6),
        "iv_record": (13, 15),
    }


def test_no_jobs_on_a_holiday(make_app: Callable[..., App]) -> None:
    assert planned(make_app, et(2026, 11, 26, 8, 0)) == {}  # Thanksgiving


def test_a_restart_runs_a_job_missed_by_minutes_and_drops_older_ones(
    make_app: Callable[..., App],
) -> None:
    now = et(2026, 11, 20, 9, 40)
    jobs = planned(make_app, now)
    assert "premarket_brief" not in jobs  # 40 minutes late: stale, not posted
    assert jobs["scan_open"] == now  # 5 minutes late: still worth running, right away
    assert (jobs["eod_summary"].hour, jobs["eod_summary"].minute) == (16, 5)
    assert (jobs["reconcile"].hour, jobs["reconcile"].minute) == (16, 5)


async def test_a_job_claimed_once_is_never_run_again(make_app: Callable[..., App]) -> None:
    app = make_app(Clock(et(2026, 11, 20, 16, 5).astimezone(UTC)))
    sched = JobScheduler(app.orchestrator)
    ran: list[date] = []

    async def job(day: date) -> None:
        ran.append(day)
        return None

    sched.jobs["eod_summary"] = job
    day = date(2026, 11, 20)
    assert await sched.fire("eod_summary", day) is True
    assert await sched.fire("eod_summary", day) is False
    assert ran == [day]
    assert app.store.frontend.claimed("job:eod_summary:2026-11-20") is not None
