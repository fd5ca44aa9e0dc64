"""MarketCalendar against real 2026 NYSE dates, plus the scheduler's job-time planner.

The 2026 facts asserted here (holidays, early closes) were checked against
pandas_market_calendars 5.5 itself.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.market_calendar import (
    DEFAULT_JOBS,
    ET,
    DailyJob,
    MarketCalendar,
    Session,
    job_times,
)

# pandas_market_calendars 5.5 trips pandas' own deprecation warnings (Series.dt.weekday).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pandas_market_calendars")

CAL = MarketCalendar()  # one shared instance: the per-year cache is what we want to exercise


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


def session(day: date) -> Session:
    s = CAL.session(day)
    assert s is not None, f"{day} should be a trading day"
    return s


# ----------------------------------------------------------------------------- sessions


def test_2026_weekday_holidays_match_the_library() -> None:
    weekdays = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    closed = [d for d in weekdays if d.weekday() < 5 and not CAL.is_trading_day(d)]
    assert closed == [
        date(2026, 1, 1),  # New Year's Day
        date(2026, 1, 19),  # MLK Day
        date(2026, 2, 16),  # Washington's Birthday
        date(2026, 4, 3),  # Good Friday
        date(2026, 5, 25),  # Memorial Day
        date(2026, 6, 19),  # Juneteenth
        date(2026, 7, 3),  # Independence Day (observed; the 4th is a Saturday)
        date(2026, 9, 7),  # Labor Day
        date(2026, 11, 26),  # Thanksgiving
        date(2026, 12, 25),  # Christmas
    ]
    early = [s.day for s in CAL.sessions(date(2026, 1, 1), date(2026, 12, 31)) if s.early_close]
    assert early == [date(2026, 11, 27), date(2026, 12, 24)]


def test_a_regular_session_is_0930_to_1600_et_in_utc() -> None:
    s = session(date(2026, 11, 20))
    assert s == Session(date(2026, 11, 20), utc(2026, 11, 20, 14, 30), utc(2026, 11, 20, 21, 0))
    assert s.open.tzinfo == UTC and s.close.tzinfo == UTC
    assert not s.early_close


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 11, 26),
        date(2026, 12, 25),
        date(2026, 7, 3),
        date(2026, 11, 21),
        date(2026, 11, 22),
    ],
    ids=["thanksgiving", "christmas", "july4-observed", "saturday", "sunday"],
)
def test_holidays_and_weekends_have_no_session(day: date) -> None:
    assert CAL.session(day) is None
    assert not CAL.is_trading_day(day)


@pytest.mark.parametrize("day", [date(2026, 11, 27), date(2026, 12, 24)])
def test_early_close_days_close_at_1300_et(day: date) -> None:
    s = session(day)
    assert s.early_close
    assert s.open.astimezone(ET).time() == time(9, 30)
    assert s.close.astimezone(ET).time() == time(13, 0)
    assert s.close == datetime.combine(day, time(18, 0), tzinfo=UTC)  # EST: UTC-5


def test_the_day_before_the_observed_july_4_is_a_full_day() -> None:
    assert not session(date(2026, 7, 2)).early_close


def test_dst_moves_the_utc_open() -> None:
    assert session(date(2026, 3, 6)).open == utc(2026, 3, 6, 14, 30)  # EST
    assert session(date(2026, 3, 9)).open == utc(2026, 3, 9, 13, 30)  # EDT from 2026-03-08


def test_a_year_is_computed_once_and_cached() -> None:
    assert CAL.session(date(2026, 11, 20)) is CAL.session(date(2026, 11, 20))


def test_session_refuses_a_datetime() -> None:
    with pytest.raises(TypeError, match="datetime"):
        CAL.session(utc(2026, 11, 20, 15))


# ----------------------------------------------------------------------------- is_open


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2026, 11, 20, 14, 29, 59), False),  # a second before the open
        (utc(2026, 11, 20, 14, 30), True),  # the open
        (utc(2026, 11, 20, 20, 59, 59), True),  # a second before the close
        (utc(2026, 11, 20, 21, 0), False),  # the close
        (utc(2026, 11, 26, 17, 0), False),  # Thanksgiving midday
        (utc(2026, 11, 27, 17, 59, 59), True),  # early close day, just before 13:00 ET
        (utc(2026, 11, 27, 18, 30), False),  # after the early close, before a normal one
        (utc(2026, 11, 21, 17, 0), False),  # Saturday
        (datetime(2026, 11, 20, 9, 30, tzinfo=ET), True),  # any tz-aware input works
        (datetime(2026, 11, 20, 23, 29, tzinfo=ZoneInfo("Asia/Tokyo")), False),  # 09:29 ET
        (datetime(2026, 11, 21, 0, 30, tzinfo=ZoneInfo("Asia/Tokyo")), True),  # 10:30 ET
    ],
)
def test_is_open(at: datetime, expected: bool) -> None:
    assert CAL.is_open(at) is expected


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        CAL.is_open(datetime(2026, 11, 20, 15, 0))
    with pytest.raises(ValueError, match="naive"):
        CAL.next_session(datetime(2026, 11, 20, 15, 0))


# ----------------------------------------------------------------------------- navigation


def test_next_session_from_friday_evening_is_monday() -> None:
    assert CAL.next_session(utc(2026, 11, 20, 23, 0)).day == date(2026, 11, 23)


def test_next_session_during_a_session_is_that_session() -> None:
    assert CAL.next_session(utc(2026, 11, 20, 16, 0)).day == date(2026, 11, 20)
    assert CAL.next_session(utc(2026, 11, 20, 21, 0)).day == date(2026, 11, 23)  # at the close


def test_next_session_skips_holidays_and_crosses_years() -> None:
    assert CAL.next_session(utc(2026, 11, 25, 22, 0)).day == date(2026, 11, 27)
    assert CAL.next_session(utc(2026, 12, 31, 22, 0)).day == date(2027, 1, 4)  # Jan 1 closed


def test_previous_session() -> None:
    assert CAL.previous_session(date(2026, 11, 27)) == session(date(2026, 11, 25))
    assert CAL.previous_session(date(2026, 11, 25)) == session(date(2026, 11, 24))  # strict
    assert CAL.previous_session(date(2026, 11, 23)) == session(date(2026, 11, 20))
    prev = CAL.previous_session(date(2026, 1, 2))
    assert prev is not None and prev.day == date(2025, 12, 31)


def test_sessions_is_inclusive_and_crosses_years() -> None:
    week = CAL.sessions(date(2026, 11, 23), date(2026, 11, 29))
    assert [s.day for s in week] == [date(2026, 11, d) for d in (23, 24, 25, 27)]
    span = CAL.sessions(date(2026, 12, 30), date(2027, 1, 5))
    assert [s.day for s in span] == [
        date(2026, 12, 30),
        date(2026, 12, 31),
        date(2027, 1, 4),
        date(2027, 1, 5),
    ]
    assert CAL.sessions(date(2026, 11, 25), date(2026, 11, 23)) == []


# ----------------------------------------------------------------------------- job planner


def test_default_jobs_on_a_regular_day() -> None:
    assert job_times(session(date(2026, 11, 20)), DEFAULT_JOBS) == {
        "premarket_brief": utc(2026, 11, 20, 14, 0),
        "scan_open": utc(2026, 11, 20, 14, 35),
        "scan_midday": utc(2026, 11, 20, 17, 0),
        "eod_summary": utc(2026, 11, 20, 21, 5),
        "reconcile": utc(2026, 11, 20, 21, 5),  # 16:05 ET
        "reports": utc(2026, 11, 20, 21, 6),  # with the end of day's numbers recorded
        "iv_record": utc(2026, 11, 20, 21, 15),
    }


def test_default_jobs_on_an_early_close_day() -> None:
    times = job_times(session(date(2026, 11, 27)), DEFAULT_JOBS)
    assert times["eod_summary"] == utc(2026, 11, 27, 18, 5)  # 13:05 ET
    assert times["scan_midday"] == utc(2026, 11, 27, 17, 0)  # 12:00 ET, before the 13:00 close
    assert times["premarket_brief"] == utc(2026, 11, 27, 14, 0)


def test_dst_moves_the_scan_in_utc() -> None:
    assert job_times(session(date(2026, 3, 6)))["scan_open"] == utc(2026, 3, 6, 14, 35)
    assert job_times(session(date(2026, 3, 9)))["scan_open"] == utc(2026, 3, 9, 13, 35)


def test_clock_jobs_at_or_after_the_close_are_dropped() -> None:
    jobs = [
        DailyJob("before", time(12, 59)),
        DailyJob("at_close", time(13, 0)),
        DailyJob("after", time(15, 30)),
        DailyJob("pre_close", anchor="close", offset=timedelta(minutes=-15)),
    ]
    assert job_times(session(date(2026, 12, 24)), jobs) == {
        "before": utc(2026, 12, 24, 17, 59),
        "pre_close": utc(2026, 12, 24, 17, 45),
    }
    assert set(job_times(session(date(2026, 12, 23)), jobs)) == {n.name for n in jobs}


def test_daily_job_validation() -> None:
    with pytest.raises(ValueError, match="needs `at`"):
        DailyJob("x")
    with pytest.raises(ValueError, match="not `at`"):
        DailyJob("x", time(9, 0), anchor="close")
    with pytest.raises(ValueError, match="duplicate"):
        job_times(session(date(2026, 11, 20)), [DailyJob("a", time(9)), DailyJob("a", time(10))])


# ----------------------------------------------------------------------------- laziness


def test_importing_the_module_does_not_import_pandas_market_calendars() -> None:
    code = (
        "import sys, services.market_calendar; "
        "assert 'pandas_market_calendars' not in sys.modules, 'imported eagerly'"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)


# ----------------------------------------------------------------------------- property


@cache
def _library_sessions() -> list[tuple[datetime, datetime]]:
    """(open, close) pairs straight from pandas_market_calendars: an independent oracle."""
    import pandas_market_calendars as mcal

    sched = mcal.get_calendar("NYSE").schedule("2024-12-01", "2028-01-31")
    return [
        (o.to_pydatetime(), c.to_pydatetime())
        for o, c in zip(sched["market_open"], sched["market_close"], strict=True)
    ]


TZS = st.sampled_from([UTC, ET, ZoneInfo("Europe/London"), ZoneInfo("Asia/Tokyo")])
ANY_TIME = st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31, 23, 59, 59), timezones=TZS)


@st.composite
def near_a_boundary(draw: st.DrawFn) -> datetime:
    """A time within a few seconds of some session's open or close (uniform draws rarely are)."""
    opening, closing = draw(st.sampled_from(_library_sessions()))
    edge = draw(st.sampled_from([opening, closing]))
    return (edge + timedelta(seconds=draw(st.integers(-3, 3)))).astimezone(draw(TZS))


@settings(max_examples=300, deadline=None)
@given(t=st.one_of(ANY_TIME, near_a_boundary()))
def test_is_open_iff_inside_some_session(t: datetime) -> None:
    expected = any(o <= t < c for o, c in _library_sessions())
    assert CAL.is_open(t) is expected
    nxt = CAL.next_session(t)
    assert nxt.close > t
    assert CAL.previous_session(nxt.day) is None or CAL.previous_session(nxt.day).close <= t
