"""Vectorised indicators over numpy arrays (NaN where the window is not yet full)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


def sma(x: Array, n: int) -> Array:
    """Simple moving average of the last `n` values."""
    out = np.full(x.shape, np.nan)
    if n <= 0 or len(x) < n:
        return out
    c = np.cumsum(np.insert(x.astype(np.float64), 0, 0.0))
    out[n - 1 :] = (c[n:] - c[:-n]) / n
    return out


def true_range(high: Array, low: Array, close: Array) -> Array:
    prev = np.roll(close, 1)
    prev[0] = close[0]
    return np.maximum(high - low, np.maximum(np.abs(high - prev), np.abs(low - prev)))


def atr(high: Array, low: Array, close: Array, n: int = 14) -> Array:
    """Average true range, Wilder's smoothing (the usual ATR)."""
    tr = true_range(high, low, close)
    out = np.full(tr.shape, np.nan)
    if len(tr) < n:
        return out
    out[n - 1] = tr[:n].mean()
    for i in range(n, len(tr)):
        out[i] = (out[i - 1] * (n - 1) + tr[i]) / n
    return out


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


# ----------------------------------------------------------------------------- 2-D kernels
# The functions below take one series (T,) or a panel (T, N): one column per symbol, oldest
# row first, NaN before each column's first bar. They reproduce pandas-ta 0.4.71b0's
# definitions (its pure-pandas path, TA-Lib off) for every column at once, so a whole
# universe costs one pass per indicator; tests/unit/test_ta_panel.py checks them against
# pandas-ta itself. Each column starts at its first non-NaN row; NaN after that is treated
# the way pandas treats it (the scanner never hands in such data).

_EPS = float(np.finfo(np.float64).eps)


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
    """(a float 2-D copy-free view of x, whether x was 1-D)."""
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
    if a.shape[0] == 0:
        return np.zeros(a.shape[1], dtype=np.int64)
    ok = ~np.isnan(a)
    idx = ok.argmax(axis=0).astype(np.int64)
    idx[~ok.any(axis=0)] = a.shape[0]
    return idx


def _too_short(a: Array, need: int) -> NDArray[np.bool_]:
    """Columns whose series (from their first value) is shorter than `need` bars."""
    return (a.shape[0] - first_valid(a)) < need


_BLOCK = 32  # rows per block of the blocked EWM recursion


def _ewm_blocked(x0: Array, alpha: float) -> Array:
    """y[t] = (1-alpha) y[t-1] + alpha x0[t] from y[-1] = 0, down each column.

    Within a block of rows the recursion is a lower-triangular matrix product (BLAS does
    the work for every column at once); the last row carries into the next block.
    """
    f = 1.0 - alpha
    k = np.arange(_BLOCK)
    lag = k[:, None] - k[None, :]
    tri = np.where(lag >= 0, alpha * f ** np.maximum(lag, 0), 0.0)
    decay = f ** (k + 1.0)
    out = np.empty_like(x0)
    prev = np.zeros(x0.shape[1])
    for t0 in range(0, x0.shape[0], _BLOCK):
        blk = x0[t0 : t0 + _BLOCK]
        b = len(blk)
        y = tri[:b, :b] @ blk + decay[:b, None] * prev[None, :]
        out[t0 : t0 + b] = y
        prev = y[-1]
    return out


def ewm_mean(x: ArrayLike, alpha: float) -> Array:
    """pandas `ewm(alpha=alpha, adjust=False).mean()` down each column (NaN-aware)."""
    a, one = _panel(x)
    t_len = a.shape[0]
    if t_len == 0:
        return _out(a.copy(), one)
    start = first_valid(a)
    rows = np.arange(t_len)[:, None]
    before = rows < start[None, :]
    if not np.isnan(a[~before]).any():  # the usual case: NaN only before each start
        x0 = np.where(before, 0.0, a)
        cols = np.flatnonzero(start < t_len)
        x0[start[cols], cols] /= alpha  # so that y[start] = x[start]
        out = _ewm_blocked(x0, alpha)
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


def rolling_mean(x: ArrayLike, n: int) -> Array:
    """Mean of the last `n` values; NaN unless all `n` are present (pandas-ta `sma`)."""
    a, one = _panel(x)
    out = np.full(a.shape, np.nan)
    if n <= 0 or a.shape[0] < n:
        return _out(out, one)
    nan = np.isnan(a)
    zero = np.zeros((1, a.shape[1]))
    c = np.concatenate([zero, np.cumsum(np.where(nan, 0.0, a), axis=0)])
    k = np.concatenate([zero, np.cumsum(nan, axis=0)])
    win = (c[n:] - c[:-n]) / n
    out[n - 1 :] = np.where(k[n:] - k[:-n] > 0, np.nan, win)
    return _out(out, one)


def rolling_std(x: ArrayLike, n: int, ddof: int = 1) -> Array:
    """Standard deviation of the last `n` values (two-pass; exactly 0 on a constant window,
    NaN unless the window is full), like pandas `rolling(n).std(ddof)`."""
    a, one = _panel(x)
    out = np.full(a.shape, np.nan)
    if n <= ddof or a.shape[0] < n:
        return _out(out, one)
    mu = rolling_mean(a, n)[n - 1 :]
    acc = np.zeros(mu.shape)
    for k in range(n):
        d = a[n - 1 - k : a.shape[0] - k] - mu
        acc += d * d
    sd = np.sqrt(acc / (n - ddof))
    flat = (rolling_max(a, n, n) == rolling_min(a, n, n))[n - 1 :]
    out[n - 1 :] = np.where(flat, 0.0, sd)
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


def _shift(a: Array, n: int = 1) -> Array:
    out = np.full(a.shape, np.nan)
    if 0 < n < a.shape[0]:
        out[n:] = a[:-n]
    return out


def _non_zero(d: Array) -> Array:
    """pandas-ta `non_zero_range`: add epsilon to a whole column that has an exact zero."""
    return d + np.where((d == 0).any(axis=0), _EPS, 0.0)


def ema(x: ArrayLike, n: int) -> Array:
    """pandas-ta `ema`: seeded with the SMA of the first `n` values, then alpha 2/(n+1)."""
    a, one = _panel(x)
    out = np.full(a.shape, np.nan)
    if n <= 0:
        return _out(out, one)
    seed_row = first_valid(a) + n - 1
    rows = np.arange(a.shape[0])[:, None]
    seeded = np.where(rows < seed_row[None, :], np.nan, a)
    cols = np.flatnonzero(seed_row < a.shape[0])
    seeded[seed_row[cols], cols] = rolling_mean(a, n)[seed_row[cols], cols]
    out = ewm_mean(seeded, 2.0 / (n + 1.0))
    return _out(out, one)


def rma(x: ArrayLike, n: int) -> Array:
    """pandas-ta `rma` (Wilder's smoothing): ewm with alpha 1/n from the first value."""
    return ewm_mean(x, 1.0 / n)


def roc(x: ArrayLike, n: int) -> Array:
    """pandas-ta `roc`: percent change over `n` bars."""
    a, one = _panel(x)
    prev = _shift(a, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 * (a - prev) / prev
    return _out(out, one)


def rsi(close: ArrayLike, n: int = 14) -> Array:
    """pandas-ta `rsi` (Wilder, rma of gains and losses)."""
    a, one = _panel(close)
    d = a - _shift(a)
    pos = np.where(d < 0, 0.0, d)
    neg = np.where(d > 0, 0.0, d)
    pa, na = rma(pos, n), rma(neg, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 * pa / (pa + np.abs(na))
    out[:, _too_short(a, n + 1)] = np.nan
    return _out(out, one)


def macd(close: ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9) -> Macd:
    """pandas-ta `macd`: EMA(fast) - EMA(slow), its EMA(signal) and the histogram."""
    a, one = _panel(close)
    fast, slow = min(fast, slow), max(fast, slow)
    line = ema(a, fast) - ema(a, slow)
    sig = ema(line, signal)
    hist = line - sig
    short = _too_short(a, slow + signal - 1)
    for arr in (line, sig, hist):
        arr[:, short] = np.nan
    return Macd(_out(line, one), _out(hist, one), _out(sig, one))


def bbands(close: ArrayLike, n: int = 20, std: float = 2.0, ddof: int = 1) -> Bands:
    """pandas-ta `bbands` (SMA mid, sample std): lower, mid, upper, bandwidth %, %B."""
    a, one = _panel(close)
    mid = rolling_mean(a, n)
    sd = rolling_std(a, n, ddof)
    lower, upper = mid - std * sd, mid + std * sd
    ulr = _non_zero(upper - lower)
    with np.errstate(divide="ignore", invalid="ignore"):
        bandwidth = 100.0 * ulr / mid
        percent = _non_zero(a - lower) / ulr
    bands = Bands(lower, mid, upper, bandwidth, percent)
    return Bands(*(_out(b, one) for b in bands))


def true_range_ta(high: ArrayLike, low: ArrayLike, close: ArrayLike, prenan: bool = False) -> Array:
    """pandas-ta `true_range`: the first bar of each column is its high-low range."""
    h, one = _panel(high)
    lo, _ = _panel(low)
    c, _ = _panel(close)
    pc = _shift(c)
    ranges = np.stack([np.abs(_non_zero(h - lo)), np.abs(h - pc), np.abs(pc - lo)])
    with np.errstate(invalid="ignore"):
        tr = np.fmax(np.fmax(ranges[0], ranges[1]), ranges[2])
    if prenan:
        start = first_valid(c)
        cols = np.flatnonzero(start < c.shape[0])
        tr[start[cols], cols] = np.nan
    return _out(tr, one)


def average_true_range(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 14, prenan: bool = False
) -> Array:
    """pandas-ta `atr` (rma of the true range seeded with its first-`n` mean)."""
    c, one = _panel(close)
    tr = true_range_ta(high, low, c, prenan)
    tr = tr if tr.ndim == 2 else tr[:, None]
    start = first_valid(c)
    seed_row = start + n - 1
    rows = np.arange(c.shape[0])[:, None]
    seeded = np.where(rows < seed_row[None, :], np.nan, tr)
    cols = np.flatnonzero(seed_row < c.shape[0])
    # the seed is a NaN-skipping mean of each column's first n true ranges
    zero = np.zeros((1, tr.shape[1]))
    s_sum = np.concatenate([zero, np.cumsum(np.nan_to_num(tr), axis=0)])
    s_cnt = np.concatenate([zero, np.cumsum(~np.isnan(tr), axis=0)])
    end, beg = seed_row[cols] + 1, start[cols]
    with np.errstate(invalid="ignore", divide="ignore"):
        seeded[seed_row[cols], cols] = (s_sum[end, cols] - s_sum[beg, cols]) / (
            s_cnt[end, cols] - s_cnt[beg, cols]
        )
    out = rma(seeded, n)
    out[:, _too_short(c, n + 1)] = np.nan
    return _out(out, one)


def adx(high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 14, adxr: int = 2) -> Dmi:
    """pandas-ta `adx`: ADX, ADXR, +DI and -DI (rma smoothing, its own ATR with prenan)."""
    h, one = _panel(high)
    lo, _ = _panel(low)
    c, _ = _panel(close)
    atr_ = average_true_range(h, lo, c, n, prenan=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = 100.0 / atr_
        up = h - _shift(h)
        dn = _shift(lo) - lo
        pos = np.where(np.isnan(up) | np.isnan(dn), np.nan, np.where((up > dn) & (up > 0), up, 0))
        neg = np.where(np.isnan(up) | np.isnan(dn), np.nan, np.where((dn > up) & (dn > 0), dn, 0))
        pos = np.where(np.abs(pos) < _EPS, 0.0, pos)
        neg = np.where(np.abs(neg) < _EPS, 0.0, neg)
        dmp = k * rma(pos, n)
        dmn = k * rma(neg, n)
        dx = 100.0 * np.abs(dmp - dmn) / (dmp + dmn)
    adx_ = rma(dx, n)
    adxr_ = 0.5 * (adx_ + _shift(adx_, adxr))
    dmi = Dmi(adx_, adxr_, dmp, dmn)
    short = _too_short(c, max(n + 1, adxr))
    for arr in dmi:
        arr[:, short] = np.nan
    return Dmi(*(_out(x, one) for x in dmi))
