"""Exchange sessions (NYSE by default) and the scheduler's daily job times.

Everything that asks "is the market open?" or "when is the close today?" asks here.
pandas_market_calendars is imported lazily (it costs about a second), and each calendar
year is computed once and cached, so repeated look-ups are dict and bisect operations.
Nothing here reads the clock: callers pass the dates and times in.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

ET = ZoneInfo("America/New_York")
_MAX_YEARS_SCANNED = 5  # how far next/previous_session look before giving up


@dataclass(frozen=True, slots=True)
class Session:
    """One trading session: its exchange-local date and UTC open/close."""

    day: date
    open: datetime
    close: datetime
    early_close: bool = False


class _Year(NamedTuple):
    by_day: dict[date, Session]
    days: list[date]  # sorted
    closes: list[datetime]  # sorted, aligned with `days`
    sessions: list[Session]  # sorted, aligned with `days`


def _require_aware(t: datetime) -> datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t!r}: pass a timezone-aware datetime")
    return t.astimezone(UTC)


def _require_date(day: date) -> date:
    if isinstance(day, datetime):
        raise TypeError(f"expected a date, got a datetime {day!r}")
    return day


class MarketCalendar:
    """Trading sessions of one exchange, computed a calendar year at a time and cached.

    An unknown exchange name raises (RuntimeError from pandas_market_calendars) on first use.
    """

    def __init__(self, exchange: str = "NYSE") -> None:
        self.exchange = exchange
        self._cal: Any = None
        self._years: dict[int, _Year] = {}

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        if self._cal is None:
            import pandas_market_calendars as mcal  # lazy: ~1 s import

            self._cal = mcal.get_calendar(self.exchange)
        sched = self._cal.schedule(f"{year}-01-01", f"{year}-12-31")
        early = {ts.date() for ts in self._cal.early_closes(sched).index}
        sessions = [
            Session(
                day=(d := idx.date()),
                open=o.to_pydatetime().astimezone(UTC),
                close=c.to_pydatetime().astimezone(UTC),
                early_close=d in early,
            )
            for idx, o, c in zip(
                sched.index, sched["market_open"], sched["market_close"], strict=True
            )
        ]
        built = _Year(
            by_day={s.day: s for s in sessions},
            days=[s.day for s in sessions],
            closes=[s.close for s in sessions],
            sessions=sessions,
        )
        self._years[year] = built
        return built

    def session(self, day: date) -> Session | None:
        """The session on `day`, or None on weekends and holidays."""
        day = _require_date(day)
        return self._year(day.year).by_day.get(day)

    def is_trading_day(self, day: date) -> bool:
        """True if the exchange holds a session (full or early close) on `day`."""
        return self.session(day) is not None

    def is_open(self, at: datetime) -> bool:
        """True if `at` falls inside a session: open <= at < close. Naive `at` raises."""
        s = self.next_session(at)
        return s.open <= _require_aware(at)

    def next_session(self, after: datetime) -> Session:
        """The first session whose close is after `after`.

        That is the session in progress if the market is open at `after` (open <= after
        < close), else the next session to open. Naive `after` raises ValueError.
        """
        at = _require_aware(after)
        for year in range(at.year, at.year + _MAX_YEARS_SCANNED):
            y = self._year(year)
            i = bisect_right(y.closes, at)
            if i < len(y.sessions):
                return y.sessions[i]
        raise LookupError(f"no {self.exchange} session after {after!r}")

    def previous_session(self, before: date) -> Session | None:
        """The last session on a day strictly before `before`, or None if none is found."""
        before = _require_date(before)
        for year in range(before.year, before.year - _MAX_YEARS_SCANNED, -1):
            y = self._year(year)
            i = bisect_left(y.days, before)
            if i > 0:
                return y.sessions[i - 1]
        return None

    def sessions(self, start: date, end: date) -> list[Session]:
        """All sessions with start <= day <= end (both inclusive), in order."""
        start, end = _require_date(start), _require_date(end)
        out: list[Session] = []
        for year in range(start.year, end.year + 1):
            y = self._year(year)
            out.extend(y.sessions[bisect_left(y.days, start) : bisect_right(y.days, end)])
        return out


# ----------------------------------------------------------------------------- job planner


@dataclass(frozen=True, slots=True)
class DailyJob:
    """A job run once per session.

    anchor="clock": fires at `at` (US/Eastern wall clock) on the session day, unless that
    is at or after the session's close (then it is skipped that day).
    anchor="close": fires at the session's close + `offset` (leave `at` unset).
    """

    name: str
    at: time | None = None
    anchor: Literal["clock", "close"] = "clock"
    offset: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        if self.anchor == "clock" and self.at is None:
            raise ValueError(f"clock-anchored job {self.name!r} needs `at`")
        if self.anchor == "close" and self.at is not None:
            raise ValueError(f"close-anchored job {self.name!r} takes `offset`, not `at`")
        if self.anchor not in ("clock", "close"):
            raise ValueError(f"unknown anchor {self.anchor!r} for job {self.name!r}")


DEFAULT_JOBS: tuple[DailyJob, ...] = (
    DailyJob("premarket_brief", time(9, 0)),
    DailyJob("scan_open", time(9, 35)),
    DailyJob("scan_midday", time(12, 0)),
    DailyJob("eod_summary", anchor="close", offset=timedelta(minutes=5)),
    DailyJob("reconcile", anchor="close", offset=timedelta(minutes=5)),  # 16:05 on full days
    # the day's report (and the week's and the month's on their last sessions)
    DailyJob("reports", anchor="close", offset=timedelta(minutes=6)),
    DailyJob("iv_record", anchor="close", offset=timedelta(minutes=15)),  # the day's IV series
)


def job_times(session: Session, jobs: Sequence[DailyJob] = DEFAULT_JOBS) -> dict[str, datetime]:
    """UTC fire times of `jobs` for `session`, keyed by job name (skipped jobs are absent)."""
    names = [job.name for job in jobs]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate job names in {names}")
    out: dict[str, datetime] = {}
    for job in jobs:
        if job.anchor == "close":
            out[job.name] = session.close + job.offset
            continue
        assert job.at is not None  # enforced by DailyJob
        fire = datetime.combine(session.day, job.at, tzinfo=ET).astimezone(UTC)
        if fire < session.close:
            out[job.name] = fire
    return out
