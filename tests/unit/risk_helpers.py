"""Builders shared by the risk tests: a portfolio, an entry evaluation, check lookups."""

from __future__ import annotations

from models.config import RiskLimits
from models.domain import RiskCheck, RiskDecision, Side
from services.risk import (
    DeskState,
    PortfolioView,
    evaluate_entry,
)

CHECK_NAMES = (
    "desk_state",
    "shorting",
    "stop",
    "quantity",
    "risk_per_trade",
    "position_size",
    "open_positions",
    "buying_power",
    "daily_loss",
)

ACTIVE = DeskState()
LIMITS = RiskLimits()


def pf(
    equity: float = 10_000.0,
    buying_power: float = 10_000.0,
    day_start: float = 10_000.0,
    positions: dict[str, tuple[int, float]] | None = None,
) -> PortfolioView:
    return PortfolioView(
        equity=equity,
        cash=equity,
        buying_power=buying_power,
        day_start_equity=day_start,
        positions=positions or {},
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
) -> RiskDecision:
    return evaluate_entry(symbol, side, price, stop, requested, view or pf(), limits, desk)


def failed(d: RiskDecision) -> set[str]:
    return {c.name for c in d.failures}


def check(d: RiskDecision, name: str) -> RiskCheck:
    return next(c for c in d.checks if c.name == name)
