"""IV rank and IV percentile, tastytrade's definitions, over a year of daily 30-day
at-the-money implied vols:

- rank = (IV − 52-week low) / (52-week high − 52-week low), in percent;
- percentile = the share of the past year's days whose IV was below today's, in percent.

Until a year of measured IV exists, days without one take a clearly labelled proxy: the
20-day historical (close-to-close) volatility of that day. Both numbers say how many days
of each they stand on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

YEAR_DAYS = 252
HV_WINDOW = 20


@dataclass(frozen=True)
class IVRank:
    """Today's IV against the past year's series (`iv_days` measured, `proxy_days` the HV
    proxy)."""

    iv: float
    rank: float
    percentile: float
    low: float
    high: float
    iv_days: int
    proxy_days: int

    @property
    def days(self) -> int:
        return self.iv_days + self.proxy_days

    @property
    def basis(self) -> str:
        """ "iv" (a year of measured IV), "iv+hv_proxy" or "hv_proxy" (none measured yet)."""
        if self.proxy_days == 0:
            return "iv"
        return "hv_proxy" if self.iv_days == 0 else "iv+hv_proxy"

    def describe(self) -> str:
        """'IV 31.2%, rank 45, percentile 62 (252 days of IV)' with the proxy when used."""
        if self.proxy_days == 0:
            basis = f"{self.iv_days} days of IV"
        else:
            basis = (
                f"{self.iv_days} days of IV and {self.proxy_days} of a 20-day historical-vol proxy"
            )
        return (
            f"IV {self.iv:.1%}, rank {self.rank:.0f}, percentile {self.percentile:.0f} "
            f"(52-week range {self.low:.1%}–{self.high:.1%}; {basis})"
        )


def hv_series(closes: Sequence[float], window: int = HV_WINDOW) -> np.ndarray:
    """Annualised close-to-close volatility over the `window` returns ending each day (NaN
    until `window` returns exist), √252 per year."""
    c = np.asarray(closes, np.float64)
    out = np.full(c.size, np.nan)
    if c.size <= window:
        return out
    r = np.diff(np.log(c))
    csum = np.concatenate(([0.0], np.cumsum(r)))
    csq = np.concatenate(([0.0], np.cumsum(r * r)))
    n = window
    s, sq = csum[n:] - csum[:-n], csq[n:] - csq[:-n]
    var = np.maximum((sq - s * s / n) / (n - 1), 0.0)
    out[n:] = np.sqrt(var * YEAR_DAYS)
    return out


def rank_and_percentile(
    history: Sequence[float], today: float
) -> tuple[float, float, float, float]:
    """(rank, percentile, low, high) of `today` against `history` (the past days, not
    today); the 52-week range includes today. A flat range ranks 0."""
    h = np.asarray([v for v in history if math.isfinite(v)], np.float64)
    low = float(min(h.min(), today)) if h.size else today
    high = float(max(h.max(), today)) if h.size else today
    rank = 0.0 if high <= low else min(100.0, max(0.0, 100.0 * (today - low) / (high - low)))
    pct = 100.0 * float((h < today).sum()) / h.size if h.size else 0.0
    return rank, pct, low, high


def iv_rank(
    today: float,
    measured: Mapping[date, float],
    proxy: Mapping[date, float],
    days: Sequence[date],
) -> IVRank | None:
    """IV rank of `today` over `days` (the past trading days, at most a year of them): each
    day's measured IV, else its proxy; days with neither are left out. None when today's IV
    is unknown or no past day has a value."""
    if not math.isfinite(today) or today <= 0:
        return None
    values: list[float] = []
    n_iv = n_proxy = 0
    for d in list(days)[-YEAR_DAYS:]:
        v = measured.get(d)
        if v is not None and math.isfinite(v):
            values.append(v)
            n_iv += 1
            continue
        p = proxy.get(d)
        if p is not None and math.isfinite(p):
            values.append(p)
            n_proxy += 1
    if not values:
        return None
    rank, pct, low, high = rank_and_percentile(values, today)
    return IVRank(today, rank, pct, low, high, n_iv, n_proxy)


__all__ = ["HV_WINDOW", "YEAR_DAYS", "IVRank", "hv_series", "iv_rank", "rank_and_percentile"]
