"""The desk's risk at a glance (pure): state, every limit's usage, VaR and a what-if, for
`/risk` and the status card."""

from __future__ import annotations

import math

from pydantic import Field

from models.config import RiskLimits
from models.domain import Frozen
from services.risk.states import RiskFacts, RiskState, breaches
from services.risk.var import PortfolioRisk, WhatIf
from services.risk.view import PortfolioView


class LimitUse(Frozen):
    """One limit: where the book stands against it (`used` is value / limit, 0..1+)."""

    name: str
    value: float
    limit: float
    used: float
    detail: str


class RiskReport(Frozen):
    state: RiskState
    reason: str
    paused: bool
    equity: float
    peak_equity: float
    limits: tuple[LimitUse, ...]
    breaches: tuple[str, ...]
    portfolio: PortfolioRisk | None = None
    what_if: WhatIf | None = None
    # the book's greeks by underlying (options and shares) and their "total" theta/vega
    greeks: dict[str, dict[str, float]] = Field(default_factory=dict)


def _use(name: str, value: float, limit: float, detail: str) -> LimitUse:
    value = value if math.isfinite(value) else 999.0
    used = value / limit if limit else 0.0
    return LimitUse(
        name=name, value=round(value, 4), limit=round(limit, 4), used=round(used, 4), detail=detail
    )


def risk_report(
    pf: PortfolioView,
    limits: RiskLimits,
    state: RiskState,
    reason: str = "",
    paused: bool = False,
    portfolio: PortfolioRisk | None = None,
    what_if: WhatIf | None = None,
) -> RiskReport:
    """Where the book stands against each account-level limit, and what has been crossed."""
    facts = RiskFacts.of(pf, limits)
    loss = max(-facts.day_pnl_pct, 0.0)
    n_open = sum(1 for h in pf.positions.values() if h.quantity)
    use = (
        _use(
            "daily_loss",
            loss,
            limits.daily_loss_limit_pct,
            f"today {facts.day_pnl_pct:+.2f}% (limit -{limits.daily_loss_limit_pct:g}%)",
        ),
        _use(
            "drawdown",
            facts.drawdown_pct,
            limits.max_drawdown_pct,
            f"{facts.drawdown_pct:.2f}% below the peak ${facts.peak_equity:,.2f}",
        ),
        _use(
            "portfolio_heat",
            facts.heat_pct,
            limits.max_heat_pct,
            f"{facts.heat_pct:.2f}% of equity at risk to stops",
        ),
        _use(
            "open_positions",
            n_open,
            limits.max_open_positions,
            f"{n_open} of {limits.max_open_positions}",
        ),
        _use(
            "daily_trades",
            pf.trades_today,
            limits.max_trades_per_day,
            f"{pf.trades_today} of {limits.max_trades_per_day} today",
        ),
        _use(
            "broker_rejections",
            pf.consecutive_rejections,
            limits.max_consecutive_rejections,
            f"{pf.consecutive_rejections} in a row",
        ),
    )
    return RiskReport(
        state=state,
        reason=reason,
        paused=paused,
        equity=pf.equity,
        peak_equity=facts.peak_equity,
        limits=use,
        breaches=tuple(b.detail for b in breaches(facts, limits)),
        portfolio=portfolio,
        what_if=what_if,
    )
