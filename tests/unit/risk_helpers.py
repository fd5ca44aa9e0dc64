"""Builders shared by the risk tests: a portfolio, an entry evaluation, check lookups."""

from __future__ import annotations

from collections.abc import Mapping

from models.config import RiskLimits
from models.domain import RiskCheck, RiskDecision, Side
from services.risk import (
    DeskState,
    Holding,
    PortfolioView,
    StrategyStats,
    evaluate_entry,
)

__all__ = ["ACTIVE", "CHECK_NAMES", "LIMITS", "check", "entry", "failed", "holdings", "pf"]

# the card's contract: every check, in this order (spelled out, not imported)
CHECK_NAMES = (
    "desk_state",
    "shorting",
    "stop",
    "quantity",
    "risk_per_trade",
    "position_size",
    "sector_concentration",
    "symbol_positions",
    "open_positions",
    "portfolio_heat",
    "cash_reserve",
    "buying_power",
    "daily_trades",
    "daily_loss",
    "drawdown",
    "broker_rejections",
)

ACTIVE = DeskState()
LIMITS = RiskLimits()

Pos = tuple[int, float] | tuple[int, float, float | None] | Holding


def holdings(positions: Mapping[str, Pos] | None) -> dict[str, Holding]:
    """(qty, price) or (qty, price, stop) tuples as Holdings (Holdings pass through)."""
    out: dict[str, Holding] = {}
    for sym, p in (positions or {}).items():
        out[sym] = p if isinstance(p, Holding) else Holding(*p)
    return out


def pf(
    equity: float = 10_000.0,
    buying_power: float = 10_000.0,
    day_start: float = 10_000.0,
    positions: Mapping[str, Pos] | None = None,
    cash: float | None = None,
    sectors: Mapping[str, str] | None = None,
    peak: float | None = None,
    trades_today: int = 0,
    rejections: int = 0,
) -> PortfolioView:
    return PortfolioView(
        equity=equity,
        cash=equity if cash is None else cash,
        buying_power=buying_power,
        day_start_equity=day_start,
        positions=holdings(positions),
        sectors=dict(sectors or {}),
        peak_equity=peak,
        trades_today=trades_today,
        consecutive_rejections=rejections,
    )


def entry(
    side: Side = Side.BUY,
    price: float = 40.0,
    stop: float = 36.0,
    requested: int | None = None,
    view: PortfolioView | None = None,
    limits: RiskLimits = LIMITS,
    desk: DeskState = ACTIVE,
    symbol: str = "AAPL",
    stats: StrategyStats | None = None,
) -> RiskDecision:
    return evaluate_entry(symbol, side, price, stop, requested, view or pf(), limits, desk, stats)


def failed(d: RiskDecision) -> set[str]:
    return {c.name for c in d.failures}


def check(d: RiskDecision, name: str) -> RiskCheck:
    return next(c for c in d.checks if c.name == name)
