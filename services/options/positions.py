"""Option positions marked to the market, pure: the legs held (signed contracts, the
premium per share they were opened at) and the chain's quotes in; one strategy position's
value, cost to close, P&L, days to expiry and greeks out, and the book's greeks summed.

Conventions: a leg's quantity is in contracts, positive long and negative short; premiums
and quotes are per share; a contract is `multiplier` (100) shares. The greeks of a
position are in shares of the underlying (delta × 100 × contracts: 35 means it moves
like 35 shares), theta in dollars per calendar day, vega in dollars per vol point.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from models.options import OPTION_MULTIPLIER

MULTIPLIER = OPTION_MULTIPLIER


@dataclass(frozen=True)
class HeldLeg:
    symbol: str
    expiry: date
    quantity: int  # contracts: + long, − short
    avg_price: float  # premium per share paid (long) or received (short), > 0


@dataclass(frozen=True)
class LegQuote:
    """A contract's quote and our greeks (per share, one contract's worth before × 100)."""

    bid: float
    ask: float
    delta: float = math.nan
    gamma: float = math.nan
    theta: float = math.nan
    vega: float = math.nan

    @property
    def mid(self) -> float:
        ok = math.isfinite(self.bid) and math.isfinite(self.ask) and 0 <= self.bid <= self.ask
        return (self.bid + self.ask) / 2 if ok else math.nan


@dataclass(frozen=True)
class PositionMark:
    """One strategy position now. `open_credit`: received at the open, dollars (negative
    for a debit paid). `close_mid` / `close_natural`: dollars to close every leg at the
    mids / at the far side (buy back at the ask, sell at the bid); `pnl` at the mids.
    NaN where a leg has no quote."""

    open_credit: float
    close_mid: float
    close_natural: float
    pnl: float
    dte: int
    delta: float
    gamma: float
    theta: float
    vega: float
    missing: tuple[str, ...]  # legs without a usable quote


def mark(legs: Sequence[HeldLeg], quotes: Mapping[str, LegQuote], today: date) -> PositionMark:
    """Mark a position's legs to `quotes` (by OCC symbol)."""
    if not legs:
        raise ValueError("a position has at least one leg")
    open_credit = sum(-leg.quantity * leg.avg_price for leg in legs) * MULTIPLIER
    close_mid = close_nat = 0.0
    greeks = dict.fromkeys(("delta", "gamma", "theta", "vega"), 0.0)
    missing = []
    for leg in legs:
        q = quotes.get(leg.symbol)
        if q is None or not math.isfinite(q.mid):
            missing.append(leg.symbol)
            continue
        # closing a long sells it (money in: a negative cost); a short is bought back
        close_mid += -leg.quantity * q.mid * MULTIPLIER
        far = q.bid if leg.quantity > 0 else q.ask
        close_nat += -leg.quantity * far * MULTIPLIER
        for g in greeks:
            greeks[g] += leg.quantity * getattr(q, g) * MULTIPLIER
    if missing:
        close_mid = close_nat = math.nan
        greeks = dict.fromkeys(greeks, math.nan)
    return PositionMark(
        open_credit=open_credit,
        close_mid=close_mid,
        close_natural=close_nat,
        pnl=open_credit - close_mid,
        dte=min((leg.expiry - today).days for leg in legs),
        missing=tuple(missing),
        **greeks,
    )


def book_greeks(
    marks: Mapping[str, Sequence[PositionMark]], shares: Mapping[str, int] | None = None
) -> dict[str, dict[str, float]]:
    """The book's greeks per underlying (its option positions with every quote, plus one
    delta per share held outright), and under "total" the theta and vega, the two that add
    across underlyings (dollars a day, dollars a vol point). Positions missing a quote are
    left out (each says so in `missing`)."""
    names = ("delta", "gamma", "theta", "vega")
    out: dict[str, dict[str, float]] = {}
    for sym in sorted({*marks, *(shares or {})}):
        g = dict.fromkeys(names, 0.0)
        for m in marks.get(sym, ()):
            if not m.missing:
                for n in names:
                    g[n] += getattr(m, n)
        g["delta"] += (shares or {}).get(sym, 0)
        out[sym] = g
    out["total"] = {n: sum(v[n] for v in out.values()) for n in ("theta", "vega")}
    return out


__all__ = ["MULTIPLIER", "HeldLeg", "LegQuote", "PositionMark", "book_greeks", "mark"]
