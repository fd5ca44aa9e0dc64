"""Time in force in the simulator: pure rules over the venue's clock.

A session is an ET trading date (the SimMarket squeezes each real day onto one session of
its sim date and is always open; a real data source opens 09:30-16:00 ET). DAY orders end
with their session, GTC orders work until cancelled, OPG orders wait for the next open and
trade only there.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from brokers.base import MarketData
from models.domain import OrderRequest, OrderType, Side, TimeInForce
from models.sim_tables import SimOrder

NY = ZoneInfo("America/New_York")
OPEN_ET = time(9, 30)
CLOSE_ET = time(16, 0)
EXPIRED = "expired at the close"
OPG_TYPES = (OrderType.MARKET, OrderType.LIMIT)


def session_day(t: datetime) -> date:
    """The ET trading date of a venue time."""
    return t.astimezone(NY).date()


def day_over(submitted: datetime, now: datetime, open_now: bool) -> bool:
    """A DAY order placed at `submitted` is over at `now`: a later session, or its own
    date after the close while the market is shut (an order placed after the close
    belongs to the next session and ends when the date changes)."""
    if session_day(now) > session_day(submitted):
        return True
    before_close = submitted.astimezone(NY).time() < CLOSE_ET
    return before_close and not open_now and now.astimezone(NY).time() >= CLOSE_ET


def open_due(submitted: datetime, now: datetime, open_now: bool) -> bool:
    """An at-the-open order trades at the first open after it was placed: a later session
    that is open now (or the same date's open, for an order placed before 09:30 ET)."""
    if not open_now:
        return False
    return session_day(now) > session_day(submitted) or (submitted.astimezone(NY).time() < OPEN_ET)


def day_expired(row: SimOrder, now: datetime, open_now: bool) -> bool:
    """A working DAY order whose session has closed."""
    return row.time_in_force == TimeInForce.DAY.value and day_over(row.submitted_at, now, open_now)


def opg_due(row: SimOrder, now: datetime, open_now: bool) -> bool:
    """An at-the-open order whose open has come."""
    return row.time_in_force == TimeInForce.OPG.value and open_due(row.submitted_at, now, open_now)


def tif_problem(r: OrderRequest) -> str | None:
    """Why this time in force cannot go with this order, or None."""
    if r.time_in_force is not TimeInForce.OPG:
        return None
    if r.oco:
        return "a protective OCO pair cannot wait for the open: send it DAY or GTC"
    if r.order_type not in OPG_TYPES:
        return "an at-the-open (OPG) order must be a market or limit order"
    return None


def opening_fill(side: Side, open_price: float, limit: float | None, slip: float) -> float | None:
    """The price an at-the-open order trades at (the session's first price with slippage,
    a limit's or better), or None when a limit was not reached at the open."""
    if side is Side.BUY:
        if limit is not None and open_price > limit:
            return None
        px = open_price * (1 + slip)
        return min(px, limit) if limit is not None else px
    if limit is not None and open_price < limit:
        return None
    px = open_price * (1 - slip)
    return max(px, limit) if limit is not None else px


async def opening_price(market: MarketData, symbol: str) -> float | None:
    """The session's first price of `symbol` (the open of today's first bar), or None."""
    bars = await market.intraday_bars(symbol, minutes=30, limit=13)
    return bars.open[0] if len(bars) else None
