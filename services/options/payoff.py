"""A multi-leg option position at expiry: its payoff, max profit, max loss, breakevens and
probability of profit. Pure functions over legs; prices per share, P&L per share of one
unit of the position (multiply by 100 × contracts for dollars).

The payoff at expiry is piecewise linear in the underlying's price with kinks only at the
strikes, so its extremes are at a strike, at zero, or (for a net long call) unbounded above;
breakevens are found exactly between kinks. The probability of profit is risk-neutral
lognormal: P(S_T in a region where the payoff is positive), with drift r − q and one vol.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import numpy as np
from scipy.special import ndtr

Side = Literal["buy", "sell"]


@dataclass(frozen=True)
class LegSpec:
    """One leg as the payoff sees it: call or put, strike, buy or sell, how many per unit."""

    type: Literal["call", "put"]
    strike: float
    side: Side
    quantity: int = 1

    @property
    def sign(self) -> int:
        return self.quantity if self.side == "buy" else -self.quantity


def payoff(legs: Sequence[LegSpec], credit: float, prices: np.ndarray | float) -> np.ndarray:
    """P&L per share at expiry for each underlying price: the net `credit` received (a
    debit is negative) plus what the legs are worth then."""
    s = np.asarray(prices, np.float64)
    out = np.full(s.shape, float(credit))
    for leg in legs:
        intrinsic = (
            np.maximum(s - leg.strike, 0.0)
            if leg.type == "call"
            else np.maximum(leg.strike - s, 0.0)
        )
        out = out + leg.sign * intrinsic
    return out


def _kinks(legs: Sequence[LegSpec]) -> list[float]:
    return sorted({0.0, *(leg.strike for leg in legs)})


def _slope_above(legs: Sequence[LegSpec]) -> int:
    """The payoff's slope past the highest strike: net calls held."""
    return sum(leg.sign for leg in legs if leg.type == "call")


@dataclass(frozen=True)
class Profile:
    """max_profit and max_loss per share (max_loss positive; inf when unbounded) and the
    breakevens, lowest first."""

    max_profit: float
    max_loss: float
    breakevens: tuple[float, ...]


def profile(legs: Sequence[LegSpec], credit: float) -> Profile:
    """The position's extremes and breakevens at expiry."""
    pts = _kinks(legs)
    vals = payoff(legs, credit, np.array(pts)).tolist()
    up = _slope_above(legs)
    hi = max(vals)
    lo = min(vals)
    if up > 0:
        hi = math.inf
    elif up < 0:
        lo = -math.inf
    roots = {x for x, y in zip(pts, vals, strict=True) if x > 0 and y == 0}
    for (x0, y0), (x1, y1) in pairwise(zip(pts, vals, strict=True)):
        if y0 * y1 < 0:
            roots.add(x0 + (x1 - x0) * (-y0) / (y1 - y0))
    if up != 0 and vals[-1] * up < 0:  # the last piece crosses zero above the top strike
        roots.add(pts[-1] - vals[-1] / up)
    return Profile(max_profit=hi, max_loss=-lo, breakevens=tuple(sorted(roots)))


def prob_above(spot: float, level: float, years: float, vol: float, rate: float, q: float) -> float:
    """Risk-neutral P(S_T > level) under a lognormal with drift r − q."""
    if level <= 0:
        return 1.0
    sd = vol * math.sqrt(years)
    if sd <= 0:
        fwd = spot * math.exp((rate - q) * years)
        return 1.0 if fwd > level else 0.0
    d2 = (math.log(spot / level) + (rate - q - vol * vol / 2) * years) / sd
    return float(ndtr(d2))


def prob_of_profit(
    legs: Sequence[LegSpec],
    credit: float,
    spot: float,
    years: float,
    vol: float,
    rate: float = 0.0,
    q: float = 0.0,
) -> float:
    """P(payoff at expiry > 0): the lognormal mass of the profitable stretches between the
    breakevens (and the kinks, where the payoff may touch zero)."""
    p = profile(legs, credit)
    edges = [0.0, *p.breakevens, math.inf]
    total = 0.0
    for lo, hi in pairwise(edges):
        mid = lo * 2 + 1 if math.isinf(hi) else (lo + hi) / 2
        if float(payoff(legs, credit, np.array(mid))) > 0:
            above_lo = prob_above(spot, lo, years, vol, rate, q)
            above_hi = 0.0 if math.isinf(hi) else prob_above(spot, hi, years, vol, rate, q)
            total += above_lo - above_hi
    return min(1.0, max(0.0, total))


__all__ = ["LegSpec", "Profile", "payoff", "prob_above", "prob_of_profit", "profile"]
