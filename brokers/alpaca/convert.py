"""alpaca-py models -> cotrader domain types. SDK types never leave brokers/alpaca."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from alpaca.data.models import Bar as SdkBar
from alpaca.data.models import Snapshot as SdkSnapshot

from models.domain import Bars, Quote


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def bars_from_sdk(symbol: str, bars: Sequence[SdkBar]) -> Bars:
    """Columns from SDK bars, oldest first; duplicate timestamps keep the last one."""
    by_ts = {_utc(b.timestamp): b for b in bars}
    stamps = sorted(by_ts)
    rows = [by_ts[t] for t in stamps]
    return Bars(
        symbol=symbol,
        ts=stamps,
        open=[float(b.open) for b in rows],
        high=[float(b.high) for b in rows],
        low=[float(b.low) for b in rows],
        close=[float(b.close) for b in rows],
        volume=[float(b.volume) for b in rows],
    )


def empty_bars(symbol: str) -> Bars:
    return Bars(symbol=symbol, ts=[], open=[], high=[], low=[], close=[], volume=[])


class IncompleteSnapshot(ValueError):
    """The snapshot lacks what a Quote needs (no latest quote or trade on this feed)."""


def _price(x: float | None) -> float:
    return float(x) if x is not None and math.isfinite(x) else 0.0


def quote_from_snapshot(symbol: str, snap: SdkSnapshot) -> Quote:
    """A Quote from a snapshot: bid/ask/sizes from the latest quote, last from the latest trade.

    Nothing is filled in: a missing quote or trade raises IncompleteSnapshot; zero or crossed
    prices pass through unchanged so the data agent can refuse them with its own reason.
    """
    q, t = snap.latest_quote, snap.latest_trade
    missing = [name for name, v in (("latest quote", q), ("latest trade", t)) if v is None]
    if missing:
        raise IncompleteSnapshot(f"no {' or '.join(missing)} for {symbol}")
    assert q is not None and t is not None
    return Quote(
        symbol=symbol,
        bid=_price(q.bid_price),
        ask=_price(q.ask_price),
        last=_price(t.price),
        bid_size=int(q.bid_size or 0),
        ask_size=int(q.ask_size or 0),
        ts=_utc(q.timestamp),
        simulated=False,
    )
