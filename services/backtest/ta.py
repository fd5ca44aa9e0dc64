"""Numpy indicators for the strategies (NaN until the window is full), free of pandas."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray
from scipy.signal import lfilter

Array = NDArray[np.float64]


def _window(x: Array, n: int) -> NDArray[np.float64] | None:
    if n < 1:
        raise ValueError(f"window must be at least 1, got {n}")
    return sliding_window_view(x, n) if len(x) >= n else None


def sma(x: Array, n: int) -> Array:
    """Simple moving average of the last `n` values (each window summed afresh, no drift)."""
    if n < 1:
        raise ValueError(f"window must be at least 1, got {n}")
    out = np.full(len(x), np.nan)
    if len(x) >= n:
        out[n - 1 :] = np.convolve(x, np.ones(n), "valid") / n
    return out


def rolling_std(x: Array, n: int) -> Array:
    """Population standard deviation (ddof=0) of the last `n` values, as Bollinger uses."""
    out = np.full(len(x), np.nan)
    w = _window(x, n)
    if w is not None:
        out[n - 1 :] = w.std(axis=-1)
    return out


def rolling_max(x: Array, n: int) -> Array:
    """Highest of the last `n` values (this bar included)."""
    out = np.full(len(x), np.nan)
    w = _window(x, n)
    if w is not None:
        out[n - 1 :] = w.max(axis=-1)
    return out


def rolling_min(x: Array, n: int) -> Array:
    """Lowest of the last `n` values (this bar included)."""
    out = np.full(len(x), np.nan)
    w = _window(x, n)
    if w is not None:
        out[n - 1 :] = w.min(axis=-1)
    return out


def shift(x: Array, k: int = 1) -> Array:
    """`x` delayed by `k` bars (NaN in front): shift(x)[i] == x[i-1]."""
    out = np.full(len(x), np.nan)
    if k < len(x):
        out[k:] = x[: len(x) - k]
    return out


def _recursive(x: Array, alpha: float, n: int) -> Array:
    """y[t] = alpha*x[t] + (1-alpha)*y[t-1], seeded with the mean of the first `n` values."""
    out = np.full(len(x), np.nan)
    if len(x) < n:
        return out
    seed = float(np.mean(x[:n]))
    out[n - 1] = seed
    if len(x) > n:
        out[n:], _ = lfilter([alpha], [1.0, alpha - 1.0], x[n:], zi=[(1.0 - alpha) * seed])
    return out


def ema(x: Array, n: int) -> Array:
    """Exponential moving average, alpha = 2/(n+1), seeded with the SMA of the first `n`."""
    if n < 1:
        raise ValueError(f"window must be at least 1, got {n}")
    return _recursive(x, 2.0 / (n + 1.0), n)


def rsi(close: Array, n: int = 14) -> Array:
    """Wilder's RSI (0..100) over `n` bars; 100 when there were no losses, NaN on warm-up."""
    if n < 1:
        raise ValueError(f"window must be at least 1, got {n}")
    out = np.full(len(close), np.nan)
    if len(close) <= n:
        return out
    change = np.diff(close)
    gain = _recursive(np.maximum(change, 0.0), 1.0 / n, n)
    loss = _recursive(np.maximum(-change, 0.0), 1.0 / n, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = 100.0 - 100.0 / (1.0 + gain / loss)
    value = np.where(loss == 0.0, np.where(gain == 0.0, 50.0, 100.0), value)
    out[1:] = np.where(np.isnan(gain), np.nan, value)
    return out


def bollinger(close: Array, n: int = 20, k: float = 2.0) -> tuple[Array, Array, Array]:
    """Bollinger Bands: (lower, middle, upper) = SMA(n) ∓ k × population std(n)."""
    mid = sma(close, n)
    sd = rolling_std(close, n)
    return mid - k * sd, mid, mid + k * sd
