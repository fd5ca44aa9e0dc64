"""Bars for the backtester: validated numpy OHLCV columns, from arrays or a DataFrame."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from services.backtest.errors import DataError

if TYPE_CHECKING:
    from models.domain import Bars

FloatArray = NDArray[np.float64]
TimeArray = NDArray[np.datetime64]
PRICE_COLUMNS = ("Open", "High", "Low", "Close")
COLUMNS = (*PRICE_COLUMNS, "Volume")
# the days a datetime64[ns] can hold (the bars' time unit): outside them it wraps silently
FIRST_DAY, LAST_DAY = np.datetime64("1677-09-22", "D"), np.datetime64("2262-04-11", "D")


@dataclass(frozen=True, slots=True, eq=False)
class OHLCV:
    """One symbol's bars, oldest first: `time` (datetime64[ns], strictly increasing, naive
    UTC) and float columns. Build it with `ohlcv_from_arrays`/`_frame`, which
    validate; the constructor trusts its input. `cache` keeps values derived from the
    dates (the metrics' sampling periods) across runs on the same bars."""

    time: TimeArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    symbol: str = ""
    cache: dict[str, object] = field(default_factory=dict, init=False, repr=False)

    def __len__(self) -> int:
        return len(self.close)

    def between(self, start: date | str | None = None, end: date | str | None = None) -> OHLCV:
        """The bars dated from `start` to `end` (both inclusive, by calendar day).

        Raises DataError naming the range when no bar falls inside it."""
        days = self.time.astype("datetime64[D]")
        keep = np.ones(len(self), dtype=bool)
        lo = _day(start, "start") if start is not None else None
        hi = _day(end, "end") if end is not None else None
        if lo is not None and hi is not None and lo > hi:
            raise DataError(f"start date {lo} is after end date {hi}")
        if lo is not None:
            keep &= days >= lo
        if hi is not None:
            keep &= days <= hi
        if not keep.any():
            span = f"{days[0]} to {days[-1]}" if len(self) else "no bars"
            frm, to = lo or "the start", hi or "the end"
            raise DataError(f"no bars between {frm} and {to} (the data covers {span})")
        if keep.all():
            return self
        idx = np.flatnonzero(keep)
        sl = slice(int(idx[0]), int(idx[-1]) + 1)
        return OHLCV(
            self.time[sl],
            self.open[sl],
            self.high[sl],
            self.low[sl],
            self.close[sl],
            self.volume[sl],
            self.symbol,
        )


def _day(value: date | str, what: str) -> np.datetime64:
    try:
        return np.datetime64(value if isinstance(value, str) else value.isoformat()[:10], "D")
    except ValueError:
        raise DataError(f"{what} date {value!r} is not a date (use YYYY-MM-DD)") from None


def _fmt(t: np.datetime64) -> str:
    s = str(t.astype("datetime64[s]"))
    return s[:10] if s.endswith("T00:00:00") else s.replace("T", " ")


def ohlcv_from_arrays(
    time: ArrayLike,
    open: ArrayLike,
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    volume: ArrayLike | None = None,
    symbol: str = "",
    *,
    min_bars: int = 2,
) -> OHLCV:
    """Validated bars; raises DataError naming the first bad column, date or value."""
    t = _nanoseconds(time)
    cols: dict[str, FloatArray] = {}
    raw = {"Open": open, "High": high, "Low": low, "Close": close}
    raw["Volume"] = np.zeros(len(t)) if volume is None else volume
    for name, values in raw.items():
        try:
            cols[name] = np.asarray(values, dtype=np.float64).reshape(-1)
        except (ValueError, TypeError):
            raise DataError(f"column {name} holds values that are not numbers") from None
        if len(cols[name]) != len(t):
            raise DataError(f"column {name} has {len(cols[name])} values for {len(t)} dates")
    n = len(t)
    if n < min_bars:
        raise DataError(f"need at least {min_bars} bars, got {n}")
    if np.isnat(t).any():
        raise DataError(f"date missing in row {int(np.flatnonzero(np.isnat(t))[0]) + 1}")
    for name, x in cols.items():
        bad = ~np.isfinite(x)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"column {name} has {int(bad.sum())} missing (NaN) or infinite value(s), "
                f"first on {_fmt(t[i])}"
            )
    for name in PRICE_COLUMNS:
        bad = cols[name] <= 0
        if bad.any():
            raise DataError(
                f"column {name} must be positive; {_fmt(t[np.argmax(bad)])} has "
                f"{cols[name][np.argmax(bad)]}"
            )
    if (cols["Volume"] < 0).any():
        raise DataError(f"column Volume is negative on {_fmt(t[np.argmax(cols['Volume'] < 0)])}")
    if (cols["High"] < cols["Low"]).any():
        raise DataError(f"High is below Low on {_fmt(t[np.argmax(cols['High'] < cols['Low'])])}")
    step = np.diff(t)
    if (step <= np.timedelta64(0)).any():
        uniq, counts = np.unique(t, return_counts=True)
        if (counts > 1).any():
            d = uniq[counts > 1][0]
            rows = np.flatnonzero(t == d)[:2] + 1
            raise DataError(f"duplicated date {_fmt(d)} (rows {rows[0]} and {rows[1]})")
        i = int(np.argmax(step < np.timedelta64(0)))
        raise DataError(
            f"dates are not sorted: {_fmt(t[i + 1])} (row {i + 2}) comes after {_fmt(t[i])}"
        )
    return OHLCV(t, cols["Open"], cols["High"], cols["Low"], cols["Close"], cols["Volume"], symbol)


def _nanoseconds(time: ArrayLike) -> TimeArray:
    """Dates as datetime64[ns], refusing any the unit cannot hold (numpy would wrap them)."""
    try:
        t = np.asarray(time)
        if t.dtype.kind in "OUS":
            t = t.astype("datetime64")
        elif t.dtype.kind != "M":
            t = np.asarray(t, dtype="datetime64[ns]")
        days = t.astype("datetime64[D]")
    except (ValueError, TypeError) as e:
        raise DataError(f"dates are not readable as dates: {e}") from None
    outside = ~np.isnat(days) & ((days < FIRST_DAY) | (days > LAST_DAY))
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise DataError(
            f"date {days[i]} (row {i + 1}) is outside the dates the backtester handles "
            f"({FIRST_DAY} to {LAST_DAY})"
        )
    return t.astype("datetime64[ns]")


def _one_format(raw: pd.Series | pd.Index) -> None:
    """Refuse a Date column whose text mixes formats (2024-01-02 next to 01/02/2024): read
    as one, such rows give wrong or duplicated dates. The shape of a date is its text with
    four-digit runs as Y and other digit runs as n."""
    if not (pd.api.types.is_string_dtype(raw) or pd.api.types.is_object_dtype(raw)):
        return
    values = list(raw)
    at = [i for i, v in enumerate(values) if isinstance(v, str)]
    text = pd.Series([values[i].strip() for i in at], dtype=object)
    shapes = text.str.replace(r"\d{4}", "Y", regex=True).str.replace(r"\d+", "n", regex=True)
    if shapes.nunique() <= 1:
        return
    other = int(np.argmax((shapes != shapes.iloc[0]).to_numpy()))
    rows = (at[0] + 1, at[other] + 1)
    raise DataError(
        f"column Date mixes date formats: {text.iloc[0]!r} (row {rows[0]}) and "
        f"{text.iloc[other]!r} (row {rows[1]}); write every date the same way, e.g. YYYY-MM-DD"
    )


def _naive_utc(values: pd.Series | pd.Index) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(values)
    return idx.tz_convert("UTC").tz_localize(None) if idx.tz is not None else idx


def ohlcv_from_frame(df: pd.DataFrame, symbol: str = "") -> OHLCV:
    """Bars from a DataFrame with Open/High/Low/Close[/Volume] columns (any letter case) and
    a Date/Time column or a DatetimeIndex (tz-aware dates are converted to UTC)."""
    by_lower = {str(c).strip().lower(): c for c in df.columns}
    missing = [c for c in COLUMNS if c.lower() not in by_lower]
    if missing:
        have = ", ".join(str(c) for c in df.columns) or "none"
        raise DataError(f"missing column(s) {', '.join(missing)} (columns found: {have})")
    date_col = next(
        (by_lower[k] for k in ("date", "datetime", "time", "timestamp") if k in by_lower), None
    )
    if date_col is not None:
        raw_dates: pd.Series | pd.Index = df[date_col]
    elif isinstance(df.index, pd.DatetimeIndex):
        raw_dates = df.index
    else:
        raise DataError("missing column Date (or a date index)")
    try:
        dates = pd.to_datetime(raw_dates, format="mixed", utc=True)
    except (ValueError, TypeError, OverflowError) as e:
        raise DataError(f"column Date holds a value that is not a date: {e}") from None
    _one_format(raw_dates)
    time = _naive_utc(dates).to_numpy()  # its own unit: ohlcv_from_arrays checks the range
    cols = []
    for c in COLUMNS:
        s = df[by_lower[c.lower()]]
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() & s.notna()
        if bad.any():
            i = int(np.argmax(bad.to_numpy()))
            raise DataError(f"column {c} holds {s.iloc[i]!r}, not a number (row {i + 1})")
        cols.append(num.to_numpy(dtype=np.float64, na_value=np.nan))
    return ohlcv_from_arrays(time, *cols, symbol=symbol)


def ohlcv_from_domain(bars: Bars) -> OHLCV:
    """Bars from the app's `models.domain.Bars` (aware timestamps, converted to naive UTC)."""
    time = _naive_utc(pd.DatetimeIndex(bars.ts)).to_numpy()
    return ohlcv_from_arrays(
        time, bars.open, bars.high, bars.low, bars.close, bars.volume, symbol=bars.symbol
    )
