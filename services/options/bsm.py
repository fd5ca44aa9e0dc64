"""Black–Scholes–Merton prices and greeks with a continuous dividend yield, vectorised.

Conventions (everything that shows these numbers states the same ones):
- T in years: calendar time / 365 days. An option expires at 16:00 America/New_York on its
  expiry date, so T includes the rest of today (`year_fraction`); T ≤ 0 once expired.
- vol, rate and dividend are annualised decimals (0.2 means 20%), continuously compounded.
- Prices are per share (multiply by the contract's 100 for a contract).
- theta is per calendar day (the per-year derivative / 365); vega and rho are per one
  percentage point of vol or rate (the derivative / 100); delta and gamma per $1 of spot.
- Every option is priced as European. American single-stock options are priced as European
  for the greeks too: early exercise is ignored, which understates deep in-the-money puts
  (and calls just before an ex-dividend date).

Arguments broadcast together (scalars and numpy arrays); invalid inputs (spot, strike or T
≤ 0, vol < 0, anything not a number) give NaN. vol = 0 gives the zero-vol limit. The
price is computed in normalised (forward) terms by black.py, so a deep out-of-the-money
price of 1e-200 is as accurate, relatively, as an at-the-money one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

from services.options.black import otm

ET = ZoneInfo("America/New_York")
EXPIRY_TIME = time(16, 0)  # the close, ET, on the expiry date
DAYS_PER_YEAR = 365.0
AMERICAN_NOTE = (
    "American-style options are priced as European (early exercise ignored), "
    "which understates deep in-the-money puts."
)

Kind = str | bool | Sequence[str] | Sequence[bool] | NDArray[Any]
_CALLS = frozenset({"call", "c"})
_PUTS = frozenset({"put", "p"})
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_BLOCK = 1 << 15  # contracts per block: 256 KB arrays stay in cache and in the heap
Array = NDArray[np.float64]


@dataclass(frozen=True)
class Greeks:
    """Price per share and greeks (theta per calendar day; vega, rho per 1 percentage point).

    Floats for scalar inputs, otherwise arrays of the broadcast shape.
    """

    price: float | np.ndarray
    delta: float | np.ndarray
    gamma: float | np.ndarray
    theta: float | np.ndarray
    vega: float | np.ndarray
    rho: float | np.ndarray


def parse_kind(kind: str) -> bool:
    """True for a call, False for a put ("call"/"c"/"put"/"p", any case); ValueError otherwise."""
    k = str(kind).strip().lower()
    if k in _CALLS:
        return True
    if k in _PUTS:
        return False
    raise ValueError(f"unknown option type {kind!r}: use call or put")


def is_call_array(kind: Kind) -> NDArray[np.bool_]:
    """A bool array (True = call) from "call"/"put", an array of them, or bools."""
    if isinstance(kind, str):
        return np.asarray(parse_kind(kind))
    arr = np.asarray(kind)
    if arr.dtype == np.bool_:
        return arr
    if arr.dtype.kind not in "USO":
        raise ValueError(f"unknown option type of dtype {arr.dtype}: use call or put")
    names = np.char.lower(np.char.strip(arr.astype(str)))
    calls = np.isin(names, list(_CALLS))
    unknown = ~(calls | np.isin(names, list(_PUTS)))
    if unknown.any():
        raise ValueError(f"unknown option type {names[unknown].flat[0]!r}: use call or put")
    return calls


def year_fraction(now: datetime, expiry: date) -> float:
    """Years (calendar days / 365) from `now` to 16:00 America/New_York on `expiry`.

    Includes the fraction of today; ≤ 0 once expired. `now` must be timezone-aware.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"naive datetime {now!r}: pass a timezone-aware datetime")
    if isinstance(expiry, datetime):
        raise TypeError(f"expected the expiry date, got a datetime {expiry!r}")
    close = datetime.combine(expiry, EXPIRY_TIME, tzinfo=ET).astimezone(UTC)
    # in UTC: aware datetimes sharing a tzinfo subtract as wall clocks, ignoring DST
    return (close - now.astimezone(UTC)).total_seconds() / (DAYS_PER_YEAR * 86400.0)


def _out(a: NDArray[np.float64], shape: tuple[int, ...]) -> Any:
    return float(a.reshape(())) if shape == () else a.reshape(shape)


def bsm(
    kind: Kind,
    spot: ArrayLike,
    strike: ArrayLike,
    years: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike = 0.0,
    dividend: ArrayLike = 0.0,
) -> Greeks:
    """Price and greeks of European options; `kind` is "call"/"put", an array of them, or bools.

    All arguments broadcast together; floats for scalar inputs, else arrays of that shape.
    """
    calls = is_call_array(kind)
    values = (spot, strike, years, vol, rate, dividend)
    shape = np.broadcast_shapes(calls.shape, *(np.shape(v) for v in values))
    c = np.broadcast_to(calls, shape).ravel()
    cols = [np.broadcast_to(np.asarray(v, np.float64), shape).ravel() for v in values]
    out = np.empty((6, c.size))
    for a in range(0, c.size, _BLOCK):
        part = slice(a, a + _BLOCK)
        out[:, part] = _bsm_block(c[part], *(col[part] for col in cols))
    return Greeks(*(_out(row, shape) for row in out))


def _bsm_block(
    c: NDArray[np.bool_], s: Array, k: Array, t: Array, v: Array, r: Array, q: Array
) -> tuple[Array, ...]:
    """(price, delta, gamma, theta, vega, rho) for one block of flat arrays."""
    with np.errstate(all="ignore"):
        valid = (s > 0) & (k > 0) & (t > 0) & (v >= 0) & np.isfinite(r + q + v + s + k + t)
        sign = np.where(c, 1.0, -1.0)
        sqrt_t = np.sqrt(t)
        total = v * sqrt_t  # σ√T
        df_q = np.exp(-q * t)
        fwd, disc_k = s * df_q, k * np.exp(-r * t)  # S·e^{−qT}, K·e^{−rT}
        x = np.log(fwd / disc_k)  # ln(F/K)
        intrinsic = np.maximum(sign * (fwd - disc_k), 0.0)
        xo = np.where(valid, -np.abs(x), -1.0)
        so = np.where(valid, total, 1.0)
        price = intrinsic + np.sqrt(fwd * disc_k) * otm(xo, so)  # e^{−rT}√(FK)·b
        d1 = np.where(total > 0, x / total + 0.5 * total, np.sign(x) * np.inf)
        d2 = d1 - total
        pdf = _INV_SQRT_2PI * np.exp(-0.5 * d1 * d1)
        n1, n2 = ndtr(sign * d1), ndtr(sign * d2)
        delta = sign * df_q * n1
        gamma = np.where(total > 0, df_q * pdf / (s * total), np.where(x == 0, np.inf, 0.0))
        vega = fwd * pdf * sqrt_t
        theta = -0.5 * fwd * pdf * v / sqrt_t - sign * r * disc_k * n2 + sign * q * fwd * n1
        rho = sign * disc_k * t * n2
    rows = (price, delta, gamma, theta / DAYS_PER_YEAR, vega / 100.0, rho / 100.0)
    for a in rows:
        a[~valid] = np.nan
    return rows
