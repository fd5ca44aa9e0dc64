"""Technical indicators for a whole universe in one pass, per timeframe.

A `Panel` holds one timeframe's bars for many symbols as (T, N) arrays, one column per
symbol, right-aligned (every column ends on its latest bar; NaN before its first).
`compute` runs each indicator once over the whole panel with the functions of
services.indicators (the one indicator library: the same functions a card, /analyze, the
chart and the strategy signals use), which reproduce pandas-ta 0.4.71b0's definitions.
`compute_reference` is the same set computed the plain way, pandas-ta per symbol: the
oracle the tests compare against and the baseline the bench beats. pandas-ta is imported
lazily (it costs about a second, plus numba) and always with TA-Lib off, so results never
depend on whether TA-Lib happens to be installed.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from services import indicators as ind
from services.indicators import Array

DAILY = "1d"
# Intraday timeframes and the number of their bars in a 6.5-hour US session.
SESSION_BARS = {"1m": 390, "5m": 78, "15m": 26, "30m": 13, "1h": 7}


SHOWN_DECIMALS = 4  # indicator values as a card's facts and /analyze show them


def shown(value: float) -> float:
    """An indicator value rounded the one way a card and /analyze show it."""
    return round(float(value), SHOWN_DECIMALS)


class TaError(ValueError):
    """Bad indicator input or parameters (the message says which and why)."""


@dataclass(frozen=True, slots=True)
class TaParams:
    """Indicator settings; all lengths are in bars of the panel's timeframe."""

    sma: tuple[int, ...] = (20, 50, 200)
    ema: tuple[int, ...] = (21,)
    rsi: int = 14
    macd_fast: int = 12
    macd_slow: int = 26
    macd_signal: int = 9
    bb_length: int = 20
    bb_std: float = 2.0
    atr: int = 14
    adx: int = 14
    volume: int = 20
    roc: tuple[int, ...] = (5, 20, 60)
    range_window: int = 252  # the 52-week range on daily bars

    def __post_init__(self) -> None:
        lengths = {
            "sma": self.sma,
            "ema": self.ema,
            "roc": self.roc,
            "rsi": (self.rsi,),
            "macd": (self.macd_fast, self.macd_slow, self.macd_signal),
            "atr": (self.atr,),
            "adx": (self.adx,),
            "volume": (self.volume,),
            "range_window": (self.range_window,),
        }
        for name, values in lengths.items():
            for v in values:
                if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                    raise TaError(f"{name} length must be a whole number of bars >= 1, got {v!r}")
        if not isinstance(self.bb_length, int) or self.bb_length < 2:
            raise TaError(f"bb_length must be >= 2 bars, got {self.bb_length!r}")
        if not (np.isfinite(self.bb_std) and self.bb_std > 0):
            raise TaError(f"bb_std must be a positive number, got {self.bb_std!r}")

    @classmethod
    def for_timeframe(cls, timeframe: str, **overrides: Any) -> TaParams:
        """Defaults for `timeframe` ("1d" or one of SESSION_BARS): on intraday bars the
        range is the last session's instead of 52 weeks'."""
        if timeframe == DAILY:
            return cls(**overrides)
        if timeframe not in SESSION_BARS:
            known = ", ".join([DAILY, *SESSION_BARS])
            raise TaError(f"unknown timeframe {timeframe!r} (known: {known})")
        return cls(**{"range_window": SESSION_BARS[timeframe], **overrides})

    def names(self) -> list[str]:
        """The indicator names `compute` returns, in a stable order."""
        return [
            *(f"sma_{n}" for n in self.sma),
            *(f"ema_{n}" for n in self.ema),
            "rsi",
            "macd",
            "macd_hist",
            "macd_signal",
            "bb_lower",
            "bb_mid",
            "bb_upper",
            "bb_bandwidth",
            "bb_percent",
            "atr",
            "adx",
            "adxr",
            "dmp",
            "dmn",
            "volume_avg",
            "volume_ratio",
            "dollar_volume_avg",
            *(f"roc_{n}" for n in self.roc),
            "range_high",
            "range_low",
            "range_pos",
        ]


_FIELDS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True, slots=True)
class Panel:
    """One timeframe's OHLCV for many symbols: (T, N) arrays, right-aligned, NaN-padded."""

    symbols: tuple[str, ...]
    open: Array
    high: Array
    low: Array
    close: Array
    volume: Array
    lengths: NDArray[np.int64]
    timeframe: str = DAILY

    @classmethod
    def from_arrays(
        cls,
        symbols: Sequence[str],
        open: Sequence[ArrayLike],
        high: Sequence[ArrayLike],
        low: Sequence[ArrayLike],
        close: Sequence[ArrayLike],
        volume: Sequence[ArrayLike],
        *,
        timeframe: str = DAILY,
        max_bars: int | None = None,
    ) -> Panel:
        """Stack per-symbol columns (oldest first); keeps the last `max_bars` of each.

        Raises TaError on duplicate symbols, ragged or empty columns, or non-finite values:
        a panel never holds guessed data.
        """
        syms = tuple(symbols)
        cols = (open, high, low, close, volume)
        if any(len(c) != len(syms) for c in cols):
            raise TaError("one open/high/low/close/volume column is needed per symbol")
        if len(set(syms)) != len(syms):
            raise TaError("duplicate symbols in the panel")
        if max_bars is not None and max_bars < 1:
            raise TaError(f"max_bars must be >= 1, got {max_bars}")
        arrays = [[np.asarray(c[j], dtype=np.float64) for c in cols] for j in range(len(syms))]
        lengths = np.zeros(len(syms), dtype=np.int64)
        for j, (sym, five) in enumerate(zip(syms, arrays, strict=True)):
            n = len(five[0])
            if any(a.ndim != 1 or len(a) != n for a in five):
                raise TaError(f"{sym}: open/high/low/close/volume differ in length")
            if n == 0:
                raise TaError(f"{sym}: no bars")
            for name, a in zip(_FIELDS, five, strict=True):
                if not np.isfinite(a).all():
                    raise TaError(f"{sym}: {name} has missing or non-finite values")
            lengths[j] = min(n, max_bars) if max_bars else n
        t_len = int(lengths.max()) if len(syms) else 0
        stacked = []
        for k in range(5):
            out = np.full((t_len, len(syms)), np.nan)
            for j in range(len(syms)):
                n = int(lengths[j])
                out[t_len - n :, j] = arrays[j][k][-n:]
            stacked.append(out)
        return cls(syms, *stacked, lengths=lengths, timeframe=timeframe)

    def column(self, symbol: str) -> int:
        try:
            return self.symbols.index(symbol)
        except ValueError:
            raise TaError(f"{symbol} is not in the panel") from None


@dataclass(frozen=True, slots=True)
class Indicators:
    """Indicator arrays shaped like the panel they came from: name -> (T, N)."""

    symbols: tuple[str, ...]
    lengths: NDArray[np.int64]
    timeframe: str
    params: TaParams
    values: Mapping[str, Array] = field(default_factory=dict)

    def latest(self) -> dict[str, Array]:
        """Each indicator on each symbol's latest bar: name -> (N,)."""
        blank = np.full(len(self.symbols), np.nan)
        return {k: (v[-1].copy() if len(v) else blank.copy()) for k, v in self.values.items()}

    def series(self, symbol: str) -> dict[str, Array]:
        """One symbol's indicators over its own bars (no padding): name -> (len,)."""
        try:
            j = self.symbols.index(symbol)
        except ValueError:
            raise TaError(f"{symbol} is not in the panel") from None
        n = int(self.lengths[j])
        return {k: v[len(v) - n :, j].copy() for k, v in self.values.items()}


def _ratio(num: Array, den: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    out[~np.isfinite(out)] = np.nan
    return out


def _range_pos(close: Array, hi: Array, lo: Array) -> Array:
    """Where the close sits in the high-low range, 0-100 (NaN when the range is empty)."""
    width = hi - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 * (close - lo) / width
    out[~(width > 0)] = np.nan
    return out


def compute(panel: Panel, params: TaParams | None = None) -> Indicators:
    """Every indicator for every symbol of the panel, one vectorised pass each."""
    p = params or TaParams.for_timeframe(panel.timeframe)
    h, lo, c, v = panel.high, panel.low, panel.close, panel.volume
    out: dict[str, Array] = {}
    for n in p.sma:
        out[f"sma_{n}"] = ind.sma(c, n)
    for n in p.ema:
        out[f"ema_{n}"] = ind.ema(c, n)
    out["rsi"] = ind.rsi(c, p.rsi)
    out["macd"], out["macd_hist"], out["macd_signal"] = ind.macd(
        c, p.macd_fast, p.macd_slow, p.macd_signal
    )
    bands = ind.bbands(c, p.bb_length, p.bb_std)
    out["bb_lower"], out["bb_mid"], out["bb_upper"] = bands.lower, bands.mid, bands.upper
    out["bb_bandwidth"], out["bb_percent"] = bands.bandwidth, bands.percent
    out["atr"] = ind.atr(h, lo, c, p.atr)
    out["atr"][:, ind.too_short(c, p.atr + 1)] = np.nan  # pandas-ta: no ATR under n+1 bars
    out["adx"], out["adxr"], out["dmp"], out["dmn"] = ind.adx(h, lo, c, p.adx)
    out["volume_avg"] = ind.sma(v, p.volume)
    out["volume_ratio"] = _ratio(v, out["volume_avg"])
    out["dollar_volume_avg"] = ind.sma(c * v, p.volume)
    for n in p.roc:
        out[f"roc_{n}"] = ind.roc(c, n)
    out["range_high"] = ind.rolling_max(h, p.range_window)
    out["range_low"] = ind.rolling_min(lo, p.range_window)
    out["range_pos"] = _range_pos(c, out["range_high"], out["range_low"])
    return Indicators(panel.symbols, panel.lengths, panel.timeframe, p, out)


def compute_timeframes(
    panels: Mapping[str, Panel], params: Mapping[str, TaParams] | None = None
) -> dict[str, Indicators]:
    """`compute` for each timeframe's panel (e.g. {"1d": daily, "5m": intraday})."""
    out: dict[str, Indicators] = {}
    for tf, panel in panels.items():
        if panel.timeframe != tf:
            raise TaError(f"panel under {tf!r} holds {panel.timeframe!r} bars")
        out[tf] = compute(panel, (params or {}).get(tf))
    return out


# ----------------------------------------------------------------------------- pandas-ta


def pandas_ta() -> ModuleType:
    """pandas-ta with TA-Lib switched off process-wide.

    Every call below also passes talib=False, but 0.4.71b0's adx() calls atr() without
    forwarding it, so the module switch (`Imports["talib"]`, its only global option) is
    pinned too, on every use, in case something else flipped it.
    """
    with warnings.catch_warnings():  # its import trips pandas deprecation warnings
        warnings.simplefilter("ignore")
        import pandas_ta as ta
        from pandas_ta.maps import Imports

    Imports["talib"] = False
    return ta


def _col(frame: Any, i: int, n: int) -> Array:
    if frame is None:
        return np.full(n, np.nan)
    data = frame.iloc[:, i] if getattr(frame, "ndim", 1) == 2 else frame
    return np.asarray(data, dtype=np.float64)


def reference_series(
    open: ArrayLike,
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    volume: ArrayLike,
    params: TaParams | None = None,
) -> dict[str, Array]:
    """One symbol's indicators straight from pandas-ta (TA-Lib off): name -> (len,)."""
    import pandas as pd

    ta = pandas_ta()
    p = params or TaParams()
    h, lo, c, v = (pd.Series(np.asarray(x, dtype=np.float64)) for x in (high, low, close, volume))
    n = len(c)
    out: dict[str, Array] = {}
    for w in p.sma:
        out[f"sma_{w}"] = _col(ta.sma(c, w, talib=False), 0, n)
    for w in p.ema:
        out[f"ema_{w}"] = _col(ta.ema(c, w, talib=False), 0, n)
    out["rsi"] = _col(ta.rsi(c, p.rsi, talib=False), 0, n)
    m = ta.macd(c, p.macd_fast, p.macd_slow, p.macd_signal, talib=False)
    for i, k in enumerate(("macd", "macd_hist", "macd_signal")):
        out[k] = _col(m, i, n)
    bb = ta.bbands(c, p.bb_length, p.bb_std, p.bb_std, talib=False)
    for i, k in enumerate(("bb_lower", "bb_mid", "bb_upper", "bb_bandwidth", "bb_percent")):
        out[k] = _col(bb, i, n)
    out["atr"] = _col(ta.atr(h, lo, c, p.atr, talib=False), 0, n)
    dmi = ta.adx(h, lo, c, p.adx, talib=False)
    for i, k in enumerate(("adx", "adxr", "dmp", "dmn")):
        out[k] = _col(dmi, i, n)
    out["volume_avg"] = _col(ta.sma(v, p.volume, talib=False), 0, n)
    out["volume_ratio"] = _ratio(v.to_numpy(), out["volume_avg"])
    out["dollar_volume_avg"] = _col(ta.sma(c * v, p.volume, talib=False), 0, n)
    for w in p.roc:
        out[f"roc_{w}"] = _col(ta.roc(c, w, talib=False), 0, n)
    w = min(p.range_window, n)  # shorter history: the range of all of it, as a partial window
    dc = ta.donchian(h, lo, w, w, lmin_periods=1, umin_periods=1, talib=False)
    out["range_low"], out["range_high"] = _col(dc, 0, n), _col(dc, 2, n)
    out["range_pos"] = _range_pos(c.to_numpy(), out["range_high"], out["range_low"])
    return out


def compute_reference(panel: Panel, params: TaParams | None = None) -> Indicators:
    """The same indicators as `compute`, the plain way: pandas-ta once per symbol."""
    p = params or TaParams.for_timeframe(panel.timeframe)
    t_len, width = panel.close.shape
    values = {k: np.full((t_len, width), np.nan) for k in p.names()}
    for j in range(width):
        rows = slice(t_len - int(panel.lengths[j]), None)
        cols = (panel.open, panel.high, panel.low, panel.close, panel.volume)
        one = reference_series(*(x[rows, j] for x in cols), params=p)
        for k, arr in one.items():
            values[k][rows, j] = arr
    return Indicators(panel.symbols, panel.lengths, panel.timeframe, p, values)
