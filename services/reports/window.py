"""Report periods on the exchange's calendar: what `/report week` covers, and which session
closes a week or a month (the scheduled weekly and monthly reports run after it)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from services.market_calendar import ET, MarketCalendar
from services.reports.types import PERIODS, ReportWindow

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NOW_SLACK = timedelta(milliseconds=1)  # a running window includes `now` itself


class PeriodError(ValueError):
    """A period or date a report cannot cover; the message says what is accepted."""


def parse_period(text: str | None, today: date) -> tuple[str, date]:
    """`day`, `week`, `month` (the one containing today) or `YYYY-MM-DD` (that day), with
    the synonyms a person types (today, daily, weekly, monthly)."""
    t = (text or "day").strip().lower()
    t = {"today": "day", "daily": "day", "weekly": "week", "monthly": "month"}.get(t, t)
    if t in PERIODS:
        return t, today
    if _DATE.match(t):
        try:
            d = date.fromisoformat(t)
        except ValueError:
            raise PeriodError(f"{text!r} is not a date.") from None
        if d > today:
            raise PeriodError(f"{d} is in the future: a report covers what happened.")
        return "day", d
    raise PeriodError(f"Unknown period {text!r}: day, week, month or a date (YYYY-MM-DD).")


def period_bounds(period: str, day: date) -> tuple[date, date, str]:
    """(first day, the day after the last, label) of the period containing `day`."""
    if period == "day":
        return day, day + timedelta(days=1), day.isoformat()
    if period == "week":
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=7), f"week of {first.isoformat()}"
    first = day.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1), f"{first:%Y-%m}"


def period_end(period: str, day: date) -> datetime:
    """Midnight (US/Eastern) after the period containing `day`."""
    return datetime.combine(period_bounds(period, day)[1], time(), tzinfo=ET)


def report_window(
    period: str, day: date, now: datetime, calendar: MarketCalendar | None = None
) -> ReportWindow:
    """The day, Monday-to-Sunday week or calendar month containing `day` (US/Eastern), ending
    just after `now` when it is still running (what happened at `now` is in it)."""
    if period not in PERIODS:
        raise PeriodError(f"Unknown period {period!r}: day, week or month.")
    first, after, label = period_bounds(period, day)
    start = datetime.combine(first, time(), tzinfo=ET)
    end = min(datetime.combine(after, time(), tzinfo=ET), now.astimezone(ET) + NOW_SLACK)
    if end <= start:
        raise PeriodError(f"The {period} of {day} has not started yet.")
    cal = calendar or MarketCalendar()
    last = min(after - timedelta(days=1), end.date())
    sessions = tuple(s.day for s in cal.sessions(first, last))
    return ReportWindow(period=period, start=start, end=end, label=label, sessions=sessions)


def slug(w: ReportWindow) -> str:
    """The window in a file name: day-2026-12-04, week-2026-11-30, month-2026-12."""
    first = w.start.astimezone(ET).date()
    if w.period == "month":
        return f"month-{first:%Y-%m}"
    return f"{w.period}-{first.isoformat()}"


def closes_week(calendar: MarketCalendar, day: date) -> bool:
    """True when `day` is the week's last session (the next one is in another week)."""
    s = calendar.session(day)
    if s is None:
        return False
    nxt = calendar.next_session(s.close + timedelta(seconds=1)).day
    return nxt.isocalendar()[:2] != day.isocalendar()[:2]


def closes_month(calendar: MarketCalendar, day: date) -> bool:
    """True when `day` is the month's last trading day."""
    s = calendar.session(day)
    if s is None:
        return False
    nxt = calendar.next_session(s.close + timedelta(seconds=1)).day
    return (nxt.year, nxt.month) != (day.year, day.month)


def bar_day(ts: datetime) -> date:
    """A daily bar's session day: a bar stamped at midnight UTC is that UTC date, any other
    stamp is read in US/Eastern."""
    if ts.hour == 0 and ts.minute == 0:
        return ts.date()
    return ts.astimezone(ET).date()
