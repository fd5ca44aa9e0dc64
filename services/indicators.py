"""The one indicator library: every formula once, for a series (T,) or a panel (T, N).

A panel has one column per symbol, oldest row first, NaN before each column's first bar.
The scanner's panel (services/ta.py), a card's facts, /analyze, the chart and the strategy
signals (services/signals.py) all call these functions, so they show the same numbers.
Formulas are pandas-ta 0.4.71b0's with TA-Lib off (tests/unit/test_ta_panel.py holds them
to pandas-ta; tests/integration/test_backtest_parity.py, the strategies to backtesting.py):
- SMA: the plain rolling mean (pandas-ta's `sma` and backtesting.py's `SMA` agree).
- EMA: alpha 2/(n+1), seeded with the SMA of the first n values (pandas-ta, TA-Lib).
- RSI: Wilder's smoothing (alpha 1/n) of gains and losses from the first change (not
  TA-Lib's SMA seed); NaN under n+1 bars or before the first move.
- Bollinger: SMA(n) +/- k sample standard deviations (ddof=1; TA-Lib's is the population's).
- ATR: Wilder's smoothing of the true range (high-low without a previous close) from the
  mean of the first n, first value on bar n-1. pandas-ta's `atr()` returns nothing under
  n+1 bars; services/ta.py keeps that rule for its panel.
A column starts at its first non-NaN row; a NaN after that is treated as pandas does.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]
_EPS = float(np.finfo(np.float64).eps)
_ONE = 1  # up to this many columns, the single-series way is the faster (sma, std, ewm)


class Macd(NamedTuple):
    line: Array
    hist: Array
    signal: Array


class Bands(NamedTuple):
    lower: Array
    mid: Array
    upper: Array
    bandwidth: Array
    percent: Array


class Dmi(NamedTuple):
    adx: Array
    adxr: Array
    dmp: Array
    dmn: Array


def _panel(x: ArrayLike) -> tuple[Array, bool]:
    """(x as a float 2-D array, without a copy when it already is one; whether x was 1-D)."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        return a[:, None], True
    if a.ndim != 2:
        raise ValueError(f"expected a series (T,) or a panel (T, N), got shape {a.shape}")
    return a, False


def _out(a: Array, one: bool) -> Array:
    return a[:, 0] if one else a


def first_valid(x: ArrayLike) -> NDArray[np.int64]:
    """Row of each column's first non-NaN value (the row count when there is none)."""
    a, _ = _panel(x)
    return _first(np.isnan(a))


def _first(nan: NDArray[np.bool_]) -> NDArray[np.int64]:
    """`first_valid` from the NaN mask."""
    if nan.shape[0] == 0:
        return np.zeros(nan.shape[1], dtype=np.int64)
    idx = nan.argmin(axis=0).astype(np.int64)
    idx[nan[idx, np.arange(nan.shape[1])]] = nan.shape[0]  # all NaN
    return idx


def too_short(x: ArrayLike, need: int) -> NDArray[np.bool_]:
    """Columns whose series (from their first value) is shorter than `need` bars."""
    a, _ = _panel(x)
    return (a.shape[0] - first_valid(a)) < need


def shift(x: ArrayLike, n: int = 1) -> Array:
    """`x` delayed by `n` bars, NaN in front: shift(x)[i] == x[i-1]."""
    a, one = _panel(x)
    out = np.full(a.shape, np.nan)
    if 0 < n < a.shape[0]:
        out[n:] = a[:-n]
    return _out(out, one)


def _non_zero(d: Array) -> Array:
    """pandas-ta `non_zero_range`: add epsilon to a whole column that has an exact zero."""
    return d + np.where((d == 0).any(axis=0), _EPS, 0.0)


def sma(x: ArrayLike, n: int) -> Array:
    """Mean of the last `n` values, NaN unless all `n` are present (pandas `rolling(n).mean()`,
    pandas-ta `sma`, backtesting.py `SMA`)."""
    a, one = _panel(x)
    out = np.full(a.shape, np.nan)
    if n <= 0 or a.shape[0] < n:
        return _out(out, one)
    if a.shape[1] <= _ONE:  # a series: each window summed afresh, no drift
        for j in range(a.shape[1]):
            out[n - 1 :, j] = np.convolve(a[:, j], np.ones(n), "valid") / n
        return _out(out, one)
    nan = np.isnan(a)  # a panel: running sums, and a count of the NaNs in each window
    zero = np.zeros((1, a.shape[1]))
    c = np.concatenate([zero, np.cumsum(np.where(nan, 0.0, a), axis=0)])
    k = np.concatenate([zero, np.cumsum(nan, axis=0)])
    out[n - 1 :] = np.where(k[n:] > k[:-n], np.nan, (c[n:] - c[:-n]) / n)
    return _out(out, one)


rolling_mean = sma  # the pandas name of the same function


def rolling_std(x: ArrayLike, n: int, ddof: int = 1) -> Array:
    """Standard deviation of the last `n` values, like pandas `rolling(n).std(ddof)`: two
    passes (no cancellation), exactly 0 on a constant window, NaN unless the window is full."""
    a, one = _panel(x)
    t_len = a.shape[0]
    out = np.full(a.shape, np.nan)
    if n <= ddof or t_len < n:
        return _out(out, one)
    mu = sma(a, n)[n - 1 :]
    if a.shape[1] <= _ONE:  # a series: every window at once
        d = sliding_window_view(a, n, axis=0) - mu[:, :, None]
        acc = np.einsum("twk,twk->tw", d, d)
    else:  # a panel: one lag at a time, no (T, N, n) temporary
        acc = np.zeros(mu.shape)
        for k in range(n):
            d = a[n - 1 - k : t_len - k] - mu
            acc += d * d
    sd = np.sqrt(acc / (n - ddof))
    moves = np.zeros((t_len, a.shape[1]))  # moves[i]: changes between rows 0..i
    np.cumsum(a[1:] != a[:-1], axis=0, out=moves[1:])
    flat = moves[n - 1 :] == moves[: t_len - n + 1]
    out[n - 1 :] = np.where(flat & ~np.isnan(sd), 0.0, sd)
    return _out(out, one)


def _rolling_extreme(x: ArrayLike, n: int, min_periods: int, largest: bool) -> Array:
    a, one = _panel(x)
    t_len, width = a.shape
    if n <= 0 or t_len == 0:
        return _out(np.full(a.shape, np.nan), one)
    fill = -np.inf if largest else np.inf
    acc = np.maximum.accumulate if largest else np.minimum.accumulate
    pick = np.maximum if largest else np.minimum
    total = -(-(t_len + n - 1) // n) * n  # van Herk / Gil-Werman: blocks of n rows
    y = np.full((total, width), fill)
    y[n - 1 : n - 1 + t_len] = np.where(np.isnan(a), fill, a)
    blocks = y.reshape(total // n, n, width)
    g = acc(blocks, axis=1).reshape(total, width)
    h = acc(blocks[:, ::-1], axis=1)[:, ::-1].reshape(total, width)
    out = pick(h[:t_len], g[n - 1 : n - 1 + t_len])
    valid = np.concatenate([np.zeros((1, width)), np.cumsum(~np.isnan(a), axis=0)])
    count = valid[1:] - valid[np.maximum(np.arange(1, t_len + 1) - n, 0)]
    out[count < max(min_periods, 1)] = np.nan
    return _out(out, one)


def rolling_max(x: ArrayLike, n: int, min_periods: int = 1) -> Array:
    """Highest of the last `n` values (pandas `rolling(n, min_periods).max()`)."""
    return _rolling_extreme(x, n, min_periods, largest=True)


def rolling_min(x: ArrayLike, n: int, min_periods: int = 1) -> Array:
    """Lowest of the last `n` values (pandas `rolling(n, min_periods).min()`)."""
    return _rolling_extreme(x, n, min_periods, largest=False)


@lru_cache(maxsize=64)
def _ewm_weights(alpha: float, block: int) -> tuple[Array, Array]:
    """The lower-triangular weights alpha (1-alpha)^lag and the carry (1-alpha)^(k+1)."""
    f = 1.0 - alpha
    k = np.arange(block)
    lag = k[:, None] - k[None, :]
    tri = np.where(lag >= 0, alpha * f ** np.maximum(lag, 0), 0.0)
    decay = f ** (k + 1.0)
    tri.flags.writeable = decay.flags.writeable = False
    return tri, decay


def _ewm_zero_start(x0: Array, alpha: float) -> Array:
    """y[t] = (1-alpha) y[t-1] + alpha x0[t] from y[-1] = 0, down each column.

    Within a block of rows the recursion is a lower-triangular matrix product (BLAS does
    every column at once); the last row carries into the next block. Long blocks suit a
    series, short ones a panel.
    """
    one = x0.shape[1] <= _ONE
    tri, decay = _ewm_weights(alpha, 128 if one else 32)
    block = len(decay)
    src = x0[:, 0] if one else x0  # a series: matrix-vector products
    out = np.empty_like(src)
    carry = decay if one else decay[:, None]
    for t0 in range(0, len(src), block):
        y = out[t0 : t0 + block]
        b = len(y)
        np.matmul(tri[:b, :b], src[t0 : t0 + b], out=y)
        if t0:
            y += carry[:b] * out[t0 - 1]
    return out[:, None] if one else out


def ewm_mean(x: ArrayLike, alpha: float) -> Array:
    """pandas `ewm(alpha=alpha, adjust=False).mean()` down each column (NaN-aware)."""
    a, one = _panel(x)
    t_len = a.shape[0]
    if t_len == 0:
        return _out(a.copy(), one)
    nan = np.isnan(a)
    start = _first(nan)
    s = int(start.min(initial=t_len))
    if (start == s).all() and not nan[s:].any():  # one start row, nothing missing after
        out = np.full(a.shape, np.nan)
        if s < t_len:
            x0 = a[s:].copy()
            x0[0] /= alpha  # from y = 0, so that y[s] = x[s]
            out[s:] = _ewm_zero_start(x0, alpha)
        return _out(out, one)
    before = np.arange(t_len)[:, None] < start[None, :]
    if not (nan > before).any():  # NaN only before each column's start
        x0 = np.where(before, 0.0, a)
        cols = np.flatnonzero(start < t_len)
        x0[start[cols], cols] /= alpha  # from y = 0, so that y[start] = x[start]
        out = _ewm_zero_start(x0, alpha)
        out[before] = np.nan
        return _out(out, one)
    out = np.empty_like(a)  # NaN gaps: pandas' own recursion, row by row
    f = 1.0 - alpha
    w = a[0].copy()
    out[0] = w
    old = np.ones(a.shape[1])
    for i in range(1, t_len):
        cur = a[i]
        have, obs = w == w, cur == cur
        old = np.where(have, old * f, old)
        upd = have & obs
        w = np.where(upd, (old * w + alpha * cur) / (old + alpha), np.where(have, w, cur))
        old = np.where(upd, 1.0, old)
        out[i] = w
    return _out(out, one)


def _seeded(x: Array, start: NDArray[np.int64], n: int) -> Array:
    """How pandas-ta starts its EMA and ATR: each column NaN before its row start+n-1, and on
    that row the mean of its first `n` values (NaN skipped), then `x` as it is."""
    t_len, width = x.shape
    s = int(start.min(initial=t_len))
    if (start == s).all():  # one start row for every column
        out = np.full(x.shape, np.nan)
        if s + n <= t_len:
            win = x[s : s + n]
            ok = ~np.isnan(win)
            out[s + n :] = x[s + n :]
            with np.errstate(invalid="ignore", divide="ignore"):
                out[s + n - 1] = np.where(ok, win, 0.0).sum(axis=0) / ok.sum(axis=0)
        return out
    zero = np.zeros((1, width))
    total = np.concatenate([zero, np.cumsum(np.nan_to_num(x), axis=0)])
    count = np.concatenate([zero, np.cumsum(~np.isnan(x), axis=0)])
    row = start + n - 1
    out = np.where(np.arange(t_len)[:, None] > row[None, :], x, np.nan)
    cols = np.flatnonzero(row < t_len)
    a, b = start[cols], row[cols] + 1
    with np.errstate(invalid="ignore", divide="ignore"):
        out[b - 1, cols] = (total[b, cols] - total[a, cols]) / (count[b, cols] - count[a, cols])
    return out


def ema(x: ArrayLike, n: int) -> Array:
    """pandas-ta `ema`: seeded with the SMA of the first `n` values, then alpha 2/(n+1)."""
    a, one = _panel(x)
    if n <= 0:
        return _out(np.full(a.shape, np.nan), one)
    return _out(ewm_mean(_seeded(a, first_valid(a), n), 2.0 / (n + 1.0)), one)


def rma(x: ArrayLike, n: int) -> Array:
    """pandas-ta `rma` (Wilder's smoothing): ewm with alpha 1/n from the first value."""
    return ewm_mean(x, 1.0 / n)


def roc(x: ArrayLike, n: int) -> Array:
    """pandas-ta `roc`: percent change over `n` bars."""
    a, one = _panel(x)
    prev = shift(a, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 * (a - prev) / prev
    return _out(out, one)


def rsi(close: ArrayLike, n: int = 14) -> Array:
    """pandas-ta `rsi`: 100 x the rma of gains over the rma of gains plus losses (0..100)."""
    a, one = _panel(close)
    d = a - shift(a)
    pos = np.where(d < 0, 0.0, d)
    neg = np.where(d > 0, 0.0, d)
    pa, na = rma(pos, n), rma(neg, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 * pa / (pa + np.abs(na))
    out[:, too_short(a, n + 1)] = np.nan
    return _out(out, one)


def macd(close: ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9) -> Macd:
    """pandas-ta `macd`: EMA(fast) - EMA(slow), its EMA(signal) and the histogram."""
    a, one = _panel(close)
    fast, slow = min(fast, slow), max(fast, slow)
    line = ema(a, fast) - ema(a, slow)
    sig = ema(line, signal)
    hist = line - sig
    short = too_short(a, slow + signal - 1)
    for arr in (line, sig, hist):
        arr[:, short] = np.nan
    return Macd(_out(line, one), _out(hist, one), _out(sig, one))


def bbands(close: ArrayLike, n: int = 20, std: float = 2.0, ddof: int = 1) -> Bands:
    """pandas-ta `bbands`: SMA(n) -/+ `std` sample deviations; bandwidth % and %B."""
    a, one = _panel(close)
    mid = sma(a, n)
    sd = rolling_std(a, n, ddof)
    lower, upper = mid - std * sd, mid + std * sd
    ulr = _non_zero(upper - lower)
    with np.errstate(divide="ignore", invalid="ignore"):
        bandwidth = 100.0 * ulr / mid
        percent = _non_zero(a - lower) / ulr
    bands = Bands(lower, mid, upper, bandwidth, percent)
    return Bands(*(_out(b, one) for b in bands))


def true_range(high: ArrayLike, low: ArrayLike, close: ArrayLike, prenan: bool = False) -> Array:
    """pandas-ta `true_range`: the largest of high-low and the gaps from the previous close;
    a column's first bar is its high-low (NaN with `prenan`)."""
    h, one = _panel(high)
    lo, _ = _panel(low)
    c, _ = _panel(close)
    pc = shift(c)
    hl = np.abs(_non_zero(h - lo))
    with np.errstate(invalid="ignore"):
        tr = np.fmax(np.fmax(hl, np.abs(h - pc)), np.abs(pc - lo))
    if prenan:
        start = first_valid(c)
        cols = np.flatnonzero(start < c.shape[0])
        tr[start[cols], cols] = np.nan
    return _out(tr, one)


def atr(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 14, prenan: bool = False
) -> Array:
    """Wilder's average true range, as pandas-ta `atr`: the rma of the true range seeded
    with the mean of its first `n` values (first value on bar n-1)."""
    c, one = _panel(close)
    tr = true_range(high, low, c, prenan)
    tr = tr if tr.ndim == 2 else tr[:, None]
    return _out(rma(_seeded(tr, first_valid(c), n), n), one)


def adx(high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 14, adxr: int = 2) -> Dmi:
    """pandas-ta `adx`: ADX, ADXR, +DI and -DI (rma smoothing, its own ATR with prenan)."""
    h, one = _panel(high)
    lo, _ = _panel(low)
    c, _ = _panel(close)
    atr_ = atr(h, lo, c, n, prenan=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = 100.0 / atr_
        up = h - shift(h)
        dn = shift(lo) - lo
        pos = np.where(np.isnan(up) | np.isnan(dn), np.nan, np.where((up > dn) & (up > 0), up, 0))
        neg = np.where(np.isnan(up) | np.isnan(dn), np.nan, np.where((dn > up) & (dn > 0), dn, 0))
        pos = np.where(np.abs(pos) < _EPS, 0.0, pos)
        neg = np.where(np.abs(neg) < _EPS, 0.0, neg)
        dmp = k * rma(pos, n)
        dmn = k * rma(neg, n)
        dx = 100.0 * np.abs(dmp - dmn) / (dmp + dmn)
    adx_ = rma(dx, n)
    adxr_ = 0.5 * (adx_ + shift(adx_, adxr))
    dmi = Dmi(adx_, adxr_, dmp, dmn)
    short = too_short(c, max(n + 1, adxr))
    for arr in dmi:
        arr[:, short] = np.nan
    return Dmi(*(_out(x, one) for x in dmi))


def pct_change(x: Array, n: int) -> float:
    """Return over the last `n` bars in percent (NaN if too short)."""
    if len(x) <= n or x[-n - 1] == 0:
        return float("nan")
    return float((x[-1] / x[-n - 1] - 1) * 100)


def bars_since_cross(fast: Array, slow: Array) -> int | None:
    """Bars since `fast` last crossed `slow` (0 = on the last bar); None if never.

    A touch (equal for a while, then back on the same side) is not a cross: equal bars
    keep the side they came from.
    """
    diff = np.sign(fast - slow)
    diff[np.isnan(diff)] = 0
    nz = np.flatnonzero(diff)
    if nz.size < 2:
        return None
    signs = diff[nz]
    changes = np.flatnonzero(signs[1:] != signs[:-1])
    if changes.size == 0:
        return None
    return int(len(diff) - 1 - nz[changes[-1] + 1])
