"""Vectorised indicators over numpy arrays (NaN where the window is not yet full)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

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
