"""Sizing: fixed fraction of equity at risk to the stop, or fractional Kelly from a strategy's
closed trades, always whole shares, rounded down and cut to fit every size-dependent limit."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from models.config import RiskLimits
from services.risk.measure import Candidate
from services.risk.view import adds_to

_BIG = 10**15  # "no cap" (an int, so min() keeps whole shares)


def fixed_fraction_size(equity: float, risk_pct: float, entry: float, stop: float) -> int:
    """Whole shares so that a stop-out loses `risk_pct`% of equity (rounded down).

    1% of $10,000 with entry 40 and stop 38 is 50 shares.
    """
    per_share = abs(entry - stop)
    if equity <= 0 or per_share <= 0 or risk_pct <= 0:
        return 0
    return max(0, math.floor(equity * risk_pct / 100 / per_share + 1e-9))


@dataclass(frozen=True, slots=True)
class StrategyStats:
    """A strategy's closed trades: how many, how many won, average win and loss in $ (> 0)."""

    trades: int
    wins: int
    avg_win: float
    avg_loss: float

    @classmethod
    def from_pnls(cls, pnls: Iterable[float]) -> StrategyStats:
        """From realised P&L per closed trade (a break-even trade counts as a loss of 0)."""
        xs = [float(p) for p in pnls if math.isfinite(p)]
        won = [p for p in xs if p > 0]
        lost = [-p for p in xs if p <= 0]
        return cls(
            trades=len(xs),
            wins=len(won),
            avg_win=sum(won) / len(won) if won else 0.0,
            avg_loss=sum(lost) / len(lost) if lost else 0.0,
        )

    @property
    def win_rate(self) -> float:
        return self.wins / self.trades if self.trades else 0.0

    @property
    def payoff(self) -> float:
        """Average win / average loss (inf with no loss, 0 with no win)."""
        if self.avg_loss <= 0:
            return math.inf if self.avg_win > 0 else 0.0
        return self.avg_win / self.avg_loss


def kelly_fraction(win_rate: float, payoff: float) -> float:
    """Full Kelly f* = W - (1 - W) / R, clamped to [-1, 1] (<= 0 means no edge)."""
    if not 0 <= win_rate <= 1 or math.isnan(payoff) or payoff < 0:
        raise ValueError(f"win rate {win_rate!r} must be in [0, 1] and payoff {payoff!r} >= 0")
    if payoff == 0:
        return -1.0 if win_rate < 1 else 1.0
    return max(-1.0, min(1.0, win_rate - (1 - win_rate) / payoff))


def kelly_risk_pct(stats: StrategyStats | None, limits: RiskLimits) -> float | None:
    """% of equity to risk by fractional Kelly, never above the fixed fraction; None when
    Kelly does not apply (disabled, or fewer than `kelly_min_trades` closed trades)."""
    if not limits.kelly_enabled or stats is None or stats.trades < limits.kelly_min_trades:
        return None
    f = kelly_fraction(stats.win_rate, stats.payoff)
    return max(0.0, min(limits.kelly_fraction * f * 100, limits.risk_per_trade_pct))


@dataclass(frozen=True, slots=True)
class Sizing:
    """The size and how it was reached: the method's target, then the limit that cut it."""

    quantity: int
    target: int
    method: str  # "fixed fraction" | "kelly"
    risk_pct: float  # % of equity the method aims to risk
    binding: str  # the limit that cut the target ('' when none did)
    text: str  # for the card
    why_zero: str = ""  # why nothing fits, when quantity is 0


def _floor(x: float) -> int:
    if math.isnan(x):
        return 0
    if x >= _BIG:
        return _BIG
    return max(0, math.floor(x))


def caps(c: Candidate) -> dict[str, int]:
    """Upper bounds on the size from each size-dependent limit (whole shares)."""
    lim, eq, px, ps, ex = c.limits, c.equity, c.entry, c.per_share, c.ex
    out = {
        "max order quantity": lim.max_order_quantity,
        "position size": _floor((lim.max_position_pct * eq / 100 - ex.underlying_value) / px),
        "buying power": _floor(max(c.pf.buying_power, 0.0) / px),
    }
    if ex.sector is not None:
        out["sector concentration"] = _floor((lim.max_sector_pct * eq / 100 - ex.sector_value) / px)
    if ps > 0:
        budget = lim.max_heat_pct * eq / 100
        if adds_to(c.side, ex.held):  # adding: the whole holding moves to the new stop
            out["portfolio heat"] = max(
                0, _floor((budget - ex.heat + ex.held_risk) / ps) - abs(ex.held)
            )
        else:
            out["portfolio heat"] = _floor((budget - ex.heat) / ps)
    spare = c.pf.cash - lim.cash_reserve_pct * eq / 100
    if c.side.sign > 0:
        out["cash reserve"] = _floor(spare / px)
    elif spare < 0:  # a short sale spends no cash, but none may open below the reserve
        out["cash reserve"] = 0
    return out


def _largest_fit(c: Candidate, above: int) -> int:
    """The most shares below `above` that every limit accepts (each limit is monotone in the
    size, so a bisection finds it in a few steps)."""
    lo, hi = 0, above - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if c.fits(mid):
            hi = mid - 1
        else:
            lo = mid
    return lo


def size_entry(c: Candidate, stats: StrategyStats | None = None) -> Sizing:
    """Size an opening trade: Kelly when the strategy has enough closed trades, else the fixed
    fraction; then cut to every limit, rounded down (0 when nothing fits)."""
    lim = c.limits
    kelly = kelly_risk_pct(stats, lim)
    if kelly is None:
        method, risk_pct = "fixed fraction", lim.risk_per_trade_pct
        why = f"fixed fraction: {risk_pct:g}% of equity at risk to the stop"
    else:
        assert stats is not None
        method, risk_pct = "kelly", kelly
        full = kelly_fraction(stats.win_rate, stats.payoff)
        why = (
            f"kelly: {risk_pct:.3g}% of equity at risk ({lim.kelly_fraction:g} of full Kelly "
            f"{full * 100:.3g}%, capped at {lim.risk_per_trade_pct:g}%; "
            f"{stats.trades} closed trades, win {stats.win_rate * 100:.0f}%, "
            f"payoff {stats.payoff:.2f})"
        )
    target = fixed_fraction_size(c.equity, risk_pct, c.entry, c.stop)
    bounds = caps(c)
    qty, binding = target, ""
    for name, cap in bounds.items():
        if cap < qty:
            qty, binding = cap, name
    if qty > 0 and (broken := c.fits(qty)):  # float edges: never a share over a limit
        qty, binding = _largest_fit(c, qty), broken
    if target == 0:
        short = (
            "no edge in the strategy's record"
            if method == "kelly"
            else "stop too wide or account too small for one share"
        )
    else:
        short = f"cut to 0 by {binding}" if qty == 0 else ""
    if binding and target:
        why += f"; {target} cut to {qty} by {binding}"
    elif short:
        why += f"; {short}"
    return Sizing(qty, target, method, risk_pct, binding, why, short)
