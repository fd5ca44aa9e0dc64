"""P&L periods and summaries (pure; the clock is handed in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models.domain import Period

ET = ZoneInfo("America/New_York")


def period_start(now: datetime, period: Period) -> datetime | None:
    """Start of the period containing `now`, in US/Eastern trading days (None for ALL)."""
    local = now.astimezone(ET)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period is Period.DAY:
        return day
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period is Period.MONTH:
        return day.replace(day=1)
    return None


@dataclass(frozen=True, slots=True)
class PnlSummary:
    period: Period
    since: datetime | None
    realized: float
    unrealized: float
    commissions: float
    trades_closed: int
    wins: int
    equity: float
    start_equity: float | None

    @property
    def total(self) -> float:
        return self.realized + self.unrealized

    @property
    def equity_change_pct(self) -> float | None:
        if not self.start_equity:
            return None
        return (self.equity / self.start_equity - 1) * 100

    @property
    def win_rate(self) -> float | None:
        return self.wins / self.trades_closed * 100 if self.trades_closed else None
