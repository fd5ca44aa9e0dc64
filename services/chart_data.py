"""What a candlestick chart shows, as plain data (pure): the window of completed bars,
today's candle so far, and a pending card's entry, stop and target lines. services.charts
draws it; the tests read it without pixels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
from numpy.typing import ArrayLike, NDArray

from models.domain import Bars
from services.indicators import Array
from services.market_calendar import ET

UP, DOWN = "#26a69a", "#ef5350"
LEVEL_COLOURS = {"entry": "#1f77b4", "stop": DOWN, "target": UP}


class ChartError(ValueError):
    """The data cannot be charted (the message says what is wrong)."""


@dataclass(frozen=True, slots=True)
class TodayBar:
    """Today's intraday bars so far as one daily candle."""

    ts: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float


@dataclass(frozen=True, slots=True)
class Level:
    """A horizontal line across the price panel (a card's entry, stop or target)."""

    name: str
    price: float
    colour: str

    @property
    def label(self) -> str:
        return f"{self.name} {self.price:,.2f}"


@dataclass(frozen=True, slots=True)
class CandleData:
    """What the candlestick chart shows: the window of completed bars (`completed` of them)
    then today's candle when there is one, as columns; the levels; the price range that
    keeps every candle and level in view."""

    symbol: str
    ts: NDArray[np.datetime64]
    open: Array
    high: Array
    low: Array
    close: Array
    volume: Array
    completed: int
    today: TodayBar | None
    lines: tuple[Level, ...]
    price_range: tuple[float, float]


def _ny_date(t: datetime) -> date:
    return (t if t.tzinfo is not None else t.replace(tzinfo=UTC)).astimezone(ET).date()


def today_bar(intraday: Bars | None, after: datetime | None = None) -> TodayBar | None:
    """Today's intraday bars aggregated into one daily candle (first open, highest high,
    lowest low, last close, summed volume), stamped at the first bar. None when there are
    none, or when they are not of a later (New York) day than `after`, the last completed
    daily bar: after the close, the daily history already has today."""
    if intraday is None or len(intraday) == 0:
        return None
    cols = [
        np.asarray(getattr(intraday, k), dtype=np.float64)
        for k in ("open", "high", "low", "close", "volume")
    ]
    n = len(cols[3])
    if any(len(c) != n for c in cols) or len(intraday.ts) != n:
        raise ChartError(f"{intraday.symbol}: intraday columns differ in length")
    if not all(np.isfinite(c).all() for c in cols) or (cols[1] < cols[2]).any():
        raise ChartError(f"{intraday.symbol}: intraday bars have bad values")
    first = intraday.ts[0]
    if after is not None and _ny_date(first) <= _ny_date(after):
        return None
    o, h, lo, c, v = cols
    return TodayBar(
        first, float(o[0]), float(h.max()), float(lo.min()), float(c[-1]), float(v.sum())
    )


def card_levels(levels: Mapping[str, float | None] | None) -> tuple[Level, ...]:
    """The lines for a card's levels ({"entry": .., "stop": .., "target": ..}), leaving out
    the missing ones; ChartError on a price that is not a positive number."""
    out: list[Level] = []
    for name, price in (levels or {}).items():
        if price is None:
            continue
        if not (np.isfinite(price) and price > 0):
            raise ChartError(f"{name} level {price!r} is not a price")
        out.append(Level(name, float(price), LEVEL_COLOURS.get(name, "#555555")))
    return tuple(out)


def candle_data(
    bars: Bars,
    *,
    today: Bars | None = None,
    levels: Mapping[str, float | None] | None = None,
    last: int | None = 120,
) -> CandleData:
    """The data the candlestick chart draws: the last `last` completed bars, today's candle
    after them (from `today`, its intraday bars), and the levels' lines."""
    o, h, lo, c, v = ohlcv_columns(bars)
    n = len(c)
    stamps = datetimes(bars.ts, n, bars.symbol)
    start = max(0, n - last) if last else 0
    now = today_bar(today, bars.ts[-1])
    cols = [x[start:] for x in (o, h, lo, c, v)]
    ts = stamps[start:]
    if now is not None:
        extra = (now.open, now.high, now.low, now.close, now.volume)
        cols = [np.append(col, x) for col, x in zip(cols, extra, strict=True)]
        ts = np.append(ts, datetimes([now.ts], 1, "today"))
    lines = card_levels(levels)
    prices = [float(cols[2].min()), float(cols[1].max()), *(x.price for x in lines)]
    return CandleData(bars.symbol, ts, *cols, n - start, now, lines, (min(prices), max(prices)))


def datetimes(ts: Sequence[datetime] | ArrayLike, n: int, what: str) -> NDArray[np.datetime64]:
    """Naive-UTC datetime64 stamps, strictly increasing, one per point."""
    items = list(ts)  # type: ignore[arg-type]
    if len(items) != n:
        raise ChartError(f"{what}: {len(items)} timestamps for {n} values")
    conv = [
        t.astimezone(UTC).replace(tzinfo=None)
        if isinstance(t, datetime) and t.tzinfo is not None
        else t
        for t in items
    ]
    try:
        out = np.asarray(conv, dtype="datetime64[ns]")
    except (TypeError, ValueError) as e:
        raise ChartError(f"{what}: timestamps are not dates ({e})") from None
    if n > 1 and not (np.diff(out) > np.timedelta64(0, "ns")).all():
        raise ChartError(f"{what}: timestamps must be strictly increasing")
    return out


def ohlcv_columns(bars: Bars) -> tuple[Array, ...]:
    cols = [
        np.asarray(getattr(bars, k), dtype=np.float64)
        for k in ("open", "high", "low", "close", "volume")
    ]
    n = len(cols[3])
    if any(len(c) != n for c in cols):
        raise ChartError(f"{bars.symbol}: open/high/low/close/volume differ in length")
    if n < 2:
        raise ChartError(f"{bars.symbol}: at least 2 bars are needed for a chart, got {n}")
    if not all(np.isfinite(c).all() for c in cols):
        raise ChartError(f"{bars.symbol}: bars have missing or non-finite values")
    if (cols[1] < cols[2]).any():
        raise ChartError(f"{bars.symbol}: a bar's high is below its low")
    return tuple(cols)
