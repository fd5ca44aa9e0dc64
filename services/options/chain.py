"""Our own implied vol and greeks on a venue's option chain, and the views on it that
traders ask for (one expiry, calls or puts, the strikes near the money or near a delta),
all as column arithmetic over the chain.

IV is solved from the mid of a two-sided quote (bid > 0, ask ≥ bid); a contract with no
bid or no quote has no IV (NaN, with the reason), never a guess. T per contract is
`bsm.year_fraction` to 16:00 ET on its expiry; the greeks follow bsm's conventions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from models.options import OptionChain
from services.options.bsm import ET, bsm, year_fraction
from services.options.iv import implied_vol

Floats = NDArray[np.float64]
GREEKS = ("delta", "gamma", "theta", "vega", "rho")


@dataclass(frozen=True)
class PricedChain:
    """A chain with the inputs used and, per contract, T, days to expiry, the mid, our IV
    (reason where none) and our greeks at that IV."""

    chain: OptionChain
    spot: float
    rate: float
    dividend: float
    now: datetime
    years: Floats
    dte: NDArray[np.int64]
    mid: Floats
    iv: Floats
    reason: NDArray[np.object_]
    delta: Floats
    gamma: Floats
    theta: Floats
    vega: Floats
    rho: Floats


def contract_years(
    expiry: NDArray[np.datetime64], now: datetime
) -> tuple[Floats, NDArray[np.int64]]:
    """T in years (to 16:00 ET on each expiry) and calendar days to expiry (from today, ET)."""
    days, inverse = np.unique(expiry, return_inverse=True)
    today = np.datetime64(now.astimezone(ET).date(), "D")
    t = np.array([year_fraction(now, d.astype(object)) for d in days], dtype=np.float64)
    dte = (days - today).astype(np.int64)
    return t[inverse], dte[inverse]


def mids(bid: Floats, ask: Floats) -> tuple[Floats, NDArray[np.object_]]:
    """The mid of each two-sided quote, and why not where there is none."""
    two_sided = (bid > 0) & (ask >= bid) & np.isfinite(ask)
    reason = np.full(bid.shape, "", dtype=object)
    reason[~two_sided] = "crossed quote"
    reason[~two_sided & (bid <= 0)] = "no bid"
    reason[~(np.isfinite(bid) & np.isfinite(ask))] = "no quote"
    return np.where(two_sided, (bid + ask) / 2, np.nan), reason


def price_chain(
    chain: OptionChain, spot: float, now: datetime, rate: float, dividend: float
) -> PricedChain:
    """Our IV from each mid and the greeks there, for the whole chain at once."""
    years, dte = contract_years(chain.expiry, now)
    mid, reason = mids(chain.bid, chain.ask)
    res = implied_vol(chain.is_call, mid, spot, chain.strike, years, rate, dividend)
    iv = np.asarray(res.iv, np.float64)
    solved = np.asarray(res.reason, dtype=object)
    reason = np.where(reason == "", solved, reason)
    iv = np.where(np.isfinite(mid), iv, np.nan)
    g = bsm(chain.is_call, spot, chain.strike, years, np.where(iv > 0, iv, np.nan), rate, dividend)
    return PricedChain(
        chain=chain,
        spot=spot,
        rate=rate,
        dividend=dividend,
        now=now,
        years=years,
        dte=dte,
        mid=mid,
        iv=iv,
        reason=reason,
        **{n: np.asarray(getattr(g, n), np.float64) for n in GREEKS},
    )


def pick_expiry(
    listed: list[date], today: date, dte: int | None = None, on: date | None = None
) -> date:
    """The listed expiry asked for: exactly `on`, else the one nearest `dte` days away
    (the later on a tie), else the one nearest 30 days. ValueError when `on` is not listed
    (naming the nearest listed ones) or nothing is listed."""
    if not listed:
        raise ValueError("no expiries are listed")
    if on is not None:
        if on in listed:
            return on
        near = sorted(listed, key=lambda d: abs((d - on).days))[:2]
        shown = " or ".join(d.isoformat() for d in sorted(near))
        raise ValueError(f"no options expire on {on.isoformat()}; the nearest are {shown}")
    target = 30 if dte is None else dte
    return min(listed, key=lambda d: (abs((d - today).days - target), -d.toordinal()))


def select(
    priced: PricedChain,
    expiry: date,
    side: str | None = None,
    delta: float | None = None,
    strikes: int = 10,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(rows, nearest): the rows shown, sorted by type (calls first) and strike, and the
    rows nearest the asked |delta| (one per type; empty without `delta`).

    Without `delta`, the `strikes` strikes nearest the forward; with it, `strikes` strikes
    centred on the contract whose |delta| is nearest it, per type."""
    ch = priced.chain
    on = ch.expiry == np.datetime64(expiry, "D")
    types = [True, False] if side is None else [side == "calls"]
    rows: list[NDArray[np.intp]] = []
    nearest: list[int] = []
    for is_call in types:
        idx = np.flatnonzero(on & (ch.is_call == is_call))
        if idx.size == 0:
            continue
        k = ch.strike[idx]
        if delta is None:
            t = float(priced.years[idx[0]])
            fwd = priced.spot * math.exp((priced.rate - priced.dividend) * t)
            centre = int(np.argmin(np.abs(k - fwd)))
        else:
            gap = np.abs(np.abs(priced.delta[idx]) - delta)
            if not np.isfinite(gap).any():
                continue
            centre = int(np.nanargmin(gap))
            nearest.append(int(idx[centre]))
        order = np.argsort(k, kind="stable")
        pos = int(np.flatnonzero(order == centre)[0])
        lo = max(0, min(pos - strikes // 2, order.size - strikes))
        rows.append(idx[order[lo : lo + strikes]])
    out = np.concatenate(rows) if rows else np.empty(0, np.intp)
    return out, np.array(nearest, dtype=np.intp)


def atm_iv(priced: PricedChain, expiry: date) -> float:
    """The at-the-money IV of one expiry: each type's IV interpolated linearly in strike at
    the forward, averaged over the types that have it; NaN when neither does."""
    ch = priced.chain
    on = ch.expiry == np.datetime64(expiry, "D")
    found: list[float] = []
    for is_call in (True, False):
        idx = np.flatnonzero(
            on & (ch.is_call == is_call) & np.isfinite(priced.iv) & (priced.iv > 0)
        )
        if idx.size < 2:
            continue
        t = float(priced.years[idx[0]])
        fwd = priced.spot * math.exp((priced.rate - priced.dividend) * t)
        k, v = ch.strike[idx], priced.iv[idx]
        order = np.argsort(k)
        k, v = k[order], v[order]
        if k[0] <= fwd <= k[-1]:
            found.append(float(np.interp(fwd, k, v)))
    return float(np.mean(found)) if found else math.nan


def constant_maturity_iv(points: list[tuple[float, float]], years: float) -> float:
    """IV at `years` from (T, IV) points by linear interpolation of total variance σ²T in T;
    flat in vol outside the points. NaN without points."""
    pts = sorted((t, v) for t, v in points if t > 0 and math.isfinite(v) and v > 0)
    if not pts:
        return math.nan
    if years <= pts[0][0]:
        return pts[0][1]
    if years >= pts[-1][0]:
        return pts[-1][1]
    for (t0, v0), (t1, v1) in pairwise(pts):
        if t0 <= years <= t1:
            w = v0 * v0 * t0 + (v1 * v1 * t1 - v0 * v0 * t0) * (years - t0) / (t1 - t0)
            return math.sqrt(max(w, 0.0) / years)
    return math.nan


def bracketing(listed: list[date], today: date, days: int = 30) -> list[date]:
    """The expiries either side of `days` days out (one when it is listed exactly or lies
    outside the listed range), the ones a constant-maturity IV needs."""
    target = today.toordinal() + days
    before = [d for d in listed if d.toordinal() <= target and d > today]
    after = [d for d in listed if d.toordinal() >= target]
    out = {d for d in (before[-1:] + after[:1])}
    return sorted(out) or sorted(listed)[-1:]


__all__ = [
    "GREEKS",
    "PricedChain",
    "atm_iv",
    "bracketing",
    "constant_maturity_iv",
    "contract_years",
    "mids",
    "pick_expiry",
    "price_chain",
    "select",
]
