"""The numbers of one candidate trade at a given size: shared by the checks and by sizing,
so a size that sizing accepts is a size every check passes (same arithmetic, same floats)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.config import RiskLimits
from models.domain import Side
from services.risk.view import Exposure, PortfolioView, adds_to, exposure

EPS = 1e-9  # float noise allowed on a limit (relative): far below one share


def le(value: float, limit: float) -> bool:
    """value <= limit, forgiving float noise (so an exact fit is not cut by a share)."""
    return value <= limit + EPS * max(1.0, abs(limit))


def pct(amount: float, equity: float) -> float:
    """`amount` as % of equity; inf when equity is not positive (and amount is not 0)."""
    if equity > 0:
        return amount / equity * 100
    return 0.0 if amount == 0 else math.inf


@dataclass(frozen=True, slots=True)
class Candidate:
    """An opening trade in `symbol` on `side` at `entry` with its `stop`, against a book."""

    symbol: str
    side: Side
    entry: float
    stop: float
    pf: PortfolioView
    limits: RiskLimits
    ex: Exposure

    @classmethod
    def of(
        cls,
        symbol: str,
        side: Side,
        entry: float,
        stop: float,
        pf: PortfolioView,
        limits: RiskLimits,
    ) -> Candidate:
        return cls(symbol, side, entry, stop, pf, limits, exposure(symbol, pf, limits))

    # -- the trade alone
    @property
    def per_share(self) -> float:
        return abs(self.entry - self.stop)

    @property
    def equity(self) -> float:
        return max(self.pf.equity, 0.0)

    def notional(self, q: int) -> float:
        return q * self.entry

    def risk(self, q: int) -> float:
        return q * self.per_share

    def risk_pct(self, q: int) -> float:
        return pct(self.risk(q), self.equity)

    # -- the book after the trade
    def position_pct(self, q: int) -> float:
        """The candidate's underlying (all its holdings and this order), % of equity."""
        return pct(self.ex.underlying_value + self.notional(q), self.equity)

    def sector_pct(self, q: int) -> float:
        return pct(self.ex.sector_value + self.notional(q), self.equity)

    def symbol_holdings(self, q: int) -> int:
        """Open holdings on the underlying after the trade (adding to one is not a new one)."""
        new = 1 if q > 0 and self.ex.held == 0 else 0
        return self.ex.underlying_holdings + new

    def open_positions(self, q: int) -> int:
        new = 1 if q > 0 and self.ex.held == 0 else 0
        return self.ex.open_positions + new

    def heat_after(self, q: int) -> float:
        """$ at risk to the stops after the trade. Adding to a holding moves the whole holding
        to the new stop (the book keeps one stop per symbol)."""
        if adds_to(self.side, self.ex.held):
            return self.ex.heat - self.ex.held_risk + (abs(self.ex.held) + q) * self.per_share
        return self.ex.heat + self.risk(q)

    def heat_pct(self, q: int) -> float:
        return pct(self.heat_after(q), self.equity)

    def cash_after(self, q: int) -> float:
        """Cash after a purchase (a short sale's proceeds are not counted as spare cash)."""
        return self.pf.cash - (self.notional(q) if self.side is Side.BUY else 0.0)

    def cash_pct(self, q: int) -> float:
        if self.equity > 0:
            return self.cash_after(q) / self.equity * 100
        return -math.inf

    # -- the limits sizing must respect
    def fits(self, q: int) -> str:
        """The first size-dependent limit `q` shares break ('' when none)."""
        lim = self.limits
        if q > lim.max_order_quantity:
            return "max order quantity"
        if not le(self.risk_pct(q), lim.max_risk_per_trade_pct):
            return "risk per trade"
        if not le(self.position_pct(q), lim.max_position_pct):
            return "position size"
        if self.ex.sector is not None and not le(self.sector_pct(q), lim.max_sector_pct):
            return "sector concentration"
        if not le(self.heat_pct(q), lim.max_heat_pct):
            return "portfolio heat"
        if not le(lim.cash_reserve_pct, self.cash_pct(q)):
            return "cash reserve"
        if not le(self.notional(q), self.pf.buying_power):
            return "buying power"
        return ""
