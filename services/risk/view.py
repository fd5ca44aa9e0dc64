"""The account and desk as the risk engine sees them, and the one pass that sums exposure."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from models.config import RiskLimits
from models.domain import Side
from services.risk.errors import RiskInputError, finite


@dataclass(frozen=True, slots=True)
class Holding:
    """One open holding marked to `price` (signed quantity: negative is short).

    `stop` is the protective stop (None: none recorded); `underlying` groups a stock with its
    options for the per-symbol limits (None: the holding's own symbol).
    """

    quantity: int
    price: float
    stop: float | None = None
    underlying: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise RiskInputError(f"holding quantity must be whole shares, got {self.quantity!r}")
        finite("holding price", self.price, non_negative=True)
        if self.stop is not None:
            finite("holding stop", self.stop, non_negative=True)

    @property
    def value(self) -> float:
        """Gross market value (always >= 0)."""
        return abs(self.quantity) * self.price

    def at_risk(self, no_stop_risk_pct: float) -> float:
        """Dollars lost if the stop is hit from here (0 when the stop is through the price);
        without a stop, `no_stop_risk_pct`% of the value."""
        if self.quantity == 0:
            return 0.0
        if self.stop is None:
            return self.value * no_stop_risk_pct / 100
        gap = self.price - self.stop if self.quantity > 0 else self.stop - self.price
        return max(gap, 0.0) * abs(self.quantity)


@dataclass(frozen=True, slots=True)
class PortfolioView:
    """The account as the risk engine sees it, with the day's facts the limits need.

    positions: symbol -> Holding. sectors: symbol -> sector where known (any symbol, held or
    not). peak_equity: the high-water mark the drawdown is measured from (None: equity).
    trades_today: opening trades sent today. consecutive_rejections: broker rejections in a
    row since the last resume.
    """

    equity: float
    cash: float
    buying_power: float
    day_start_equity: float
    positions: Mapping[str, Holding] = field(default_factory=dict)
    sectors: Mapping[str, str] = field(default_factory=dict)
    peak_equity: float | None = None
    trades_today: int = 0
    consecutive_rejections: int = 0

    def __post_init__(self) -> None:
        finite("equity", self.equity)
        finite("cash", self.cash)
        finite("buying power", self.buying_power)
        finite("day start equity", self.day_start_equity)
        if self.peak_equity is not None:
            finite("peak equity", self.peak_equity)
        if self.trades_today < 0 or self.consecutive_rejections < 0:
            raise RiskInputError("trade and rejection counts must not be negative")

    @property
    def peak(self) -> float:
        """The drawdown reference: never below today's equity."""
        return max(self.peak_equity or 0.0, self.equity)

    @property
    def day_pnl_pct(self) -> float:
        """Today's change in equity, % of the day's start (0 without a start)."""
        if self.day_start_equity <= 0:
            return 0.0
        return (self.equity / self.day_start_equity - 1) * 100

    @property
    def drawdown_pct(self) -> float:
        """How far equity sits below its peak, in % of the peak (>= 0)."""
        peak = self.peak
        return (1 - self.equity / peak) * 100 if peak > 0 else 0.0

    def heat(self, no_stop_risk_pct: float) -> float:
        """Total $ at risk to the stops of every holding."""
        return sum(h.at_risk(no_stop_risk_pct) for h in self.positions.values())

    def heat_pct(self, no_stop_risk_pct: float) -> float:
        """Heat as % of equity (inf when equity is not positive and something is at risk)."""
        at_risk = self.heat(no_stop_risk_pct)
        if self.equity > 0:
            return at_risk / self.equity * 100
        return math.inf if at_risk > 0 else 0.0


@dataclass(frozen=True, slots=True)
class DeskState:
    """Whether the desk takes opening trades. `halted` and `reducing` are the engine's states
    (HALTED, REDUCING); `paused` is a person's pause. Exits are allowed in all of them."""

    paused: bool = False
    halted: bool = False
    reason: str = ""
    reducing: bool = False

    @property
    def opens(self) -> bool:
        """True when an opening (risk-adding) trade may pass."""
        return not (self.paused or self.halted or self.reducing)

    @property
    def label(self) -> str:
        """halted, reducing, paused or active."""
        if self.halted:
            return "halted"
        if self.reducing:
            return "reducing"
        return "paused" if self.paused else "active"


@dataclass(frozen=True, slots=True)
class Exposure:
    """One pass over the book for a candidate trade: every sum the checks and sizing need."""

    held: int  # signed quantity of the candidate symbol held
    held_risk: float  # $ at risk on that holding now
    underlying_value: float  # gross value on the candidate's underlying (all its holdings)
    underlying_holdings: int  # open holdings on the candidate's underlying
    sector: str | None
    sector_value: float  # gross value in the candidate's sector (0 when unknown)
    open_positions: int
    heat: float  # $ at risk to stops over the whole book


def exposure(symbol: str, pf: PortfolioView, limits: RiskLimits) -> Exposure:
    """Sum the book once, as seen from a trade in `symbol`."""
    sector = pf.sectors.get(symbol) or None
    mine = pf.positions.get(symbol)
    under = (mine.underlying if mine and mine.underlying else None) or symbol
    no_stop = limits.no_stop_risk_pct / 100
    sector_of = pf.sectors.get
    u_val = s_val = heat = 0.0
    u_n = n_open = 0
    for sym, h in pf.positions.items():  # the hot loop: Holding.value / at_risk inlined
        q = h.quantity
        if not q:
            continue
        n_open += 1
        aq = q if q > 0 else -q
        px = h.price
        v = aq * px
        stop = h.stop
        if stop is None:
            heat += v * no_stop
        else:
            gap = px - stop if q > 0 else stop - px
            if gap > 0:
                heat += gap * aq
        if (h.underlying or sym) == under:
            u_val += v
            u_n += 1
        if sector is not None and sector_of(sym) == sector:
            s_val += v
    return Exposure(
        held=mine.quantity if mine else 0,
        held_risk=mine.at_risk(no_stop) if mine else 0.0,
        underlying_value=u_val,
        underlying_holdings=u_n,
        sector=sector,
        sector_value=s_val,
        open_positions=n_open,
        heat=heat,
    )


def adds_to(side: Side, held: int) -> bool:
    """True when a `side` order grows a holding of `held` in its own direction."""
    return held != 0 and (held > 0) == (side is Side.BUY)
