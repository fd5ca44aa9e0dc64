"""Booking as pure functions on domain values: what a fill does to a position, to its round
trip, and what an account can still buy.

The ledger (our books) and the simulator (a venue's books) both apply fills with these, so
the arithmetic lives in one place and the two agree; the callers only persist the result.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from models.domain import Side


@dataclass(frozen=True, slots=True)
class Execution:
    """One fill as booking sees it: `quantity` shares (positive) at `price` on `side`; an
    option contract's price is per share of its `multiplier` (100)."""

    side: Side
    quantity: int
    price: float
    commission: float = 0.0
    ts: datetime | None = None
    multiplier: int = 1

    @property
    def signed_quantity(self) -> int:
        return self.side.sign * self.quantity

    @property
    def cash_flow(self) -> float:
        """The cash the fill moves (negative: paid), commission included."""
        return -(self.side.sign * self.quantity * self.price * self.multiplier + self.commission)


@dataclass(frozen=True, slots=True)
class BookUpdate:
    """What one fill does to a position: the position after it and what it closed/opened."""

    quantity: int
    avg_price: float
    realized_pnl: float
    closed_quantity: int
    opened_quantity: int
    exit_price: float | None = None

    @property
    def position(self) -> PositionState:
        """The position after the fill."""
        return PositionState(self.quantity, self.avg_price)

    @property
    def flipped(self) -> bool:
        """The fill closed the old position and opened one on the other side."""
        return bool(self.closed_quantity and self.opened_quantity)


@dataclass(frozen=True, slots=True)
class PositionState:
    """A position in one symbol: signed quantity (negative is short), average entry price."""

    quantity: int = 0
    avg_price: float = 0.0

    def apply(self, fill: Execution) -> BookUpdate:
        """The position after `fill`. Adding keeps a weighted average entry; reducing
        realises (price - avg) per share in the position's direction; crossing zero closes
        the old position and opens the remainder at the fill price."""
        n, price, quantity = fill.quantity, fill.price, self.quantity
        if n <= 0:
            raise ValueError("fill quantity must be positive")
        signed = fill.side.sign * n
        if quantity == 0:  # opens at the fill's price exactly
            return BookUpdate(signed, price, 0.0, 0, n)
        if (quantity > 0) == (signed > 0):
            new_qty = quantity + signed
            new_avg = (abs(quantity) * self.avg_price + n * price) / abs(new_qty)
            return BookUpdate(new_qty, new_avg, 0.0, 0, n)
        closed = min(abs(quantity), n)
        direction = 1 if quantity > 0 else -1
        realized = (price - self.avg_price) * closed * direction * fill.multiplier
        new_qty = quantity + signed
        opened = n - closed
        if new_qty == 0:
            new_avg = 0.0
        elif opened:
            new_avg = price
        else:
            new_avg = self.avg_price
        return BookUpdate(new_qty, new_avg, realized, closed, opened, price)

    def apply_all(self, fills: Iterable[Execution]) -> tuple[PositionState, float]:
        """The position after every fill in turn, and the P&L they realised together."""
        pos, realized = self, 0.0
        for f in fills:
            upd = pos.apply(f)
            pos, realized = upd.position, realized + upd.realized_pnl
        return pos, realized


@dataclass(frozen=True, slots=True)
class TradeState:
    """One round trip: opened by a fill, closed when its position goes flat or flips.
    Commission is netted into `realized_pnl` (entry fees when paid, exit fees on closing)."""

    direction: str  # long | short
    quantity: int  # shares opened in this round trip
    entry_price: float
    closed_quantity: int = 0
    exit_price: float | None = None
    realized_pnl: float = 0.0
    commission: float = 0.0
    closed: bool = False
    opened_at: datetime | None = None
    closed_at: datetime | None = None

    @staticmethod
    def open(upd: BookUpdate, fill: Execution) -> TradeState | None:
        """The round trip a fill opens from no open trade (None if it opened nothing)."""
        if not upd.opened_quantity:
            return None
        fee = fill.commission / fill.quantity * upd.opened_quantity
        return TradeState(
            direction="long" if upd.quantity > 0 else "short",
            quantity=upd.opened_quantity,
            entry_price=upd.avg_price,
            commission=fee,
            realized_pnl=0.0 - fee,  # not -fee: no fee must book 0.0, never -0.0
            opened_at=fill.ts,
        )

    def apply(self, upd: BookUpdate, fill: Execution) -> tuple[TradeState, TradeState | None]:
        """This open trade after `fill` (whose position change is `upd`), and the new round
        trip the fill opened when it closed this one and opened the remainder (a flip)."""
        t = self
        per_share_fee = fill.commission / fill.quantity
        if upd.closed_quantity:
            done, n = t.closed_quantity, upd.closed_quantity
            fee = per_share_fee * n
            ends = upd.quantity == 0 or bool(upd.opened_quantity)
            t = replace(
                t,
                exit_price=(
                    ((t.exit_price or 0.0) * done + fill.price * n) / (done + n)
                    if done
                    else fill.price  # the first exit: its price exactly
                ),
                closed_quantity=done + n,
                realized_pnl=t.realized_pnl + (upd.realized_pnl - fee),
                commission=t.commission + fee,
                closed=ends or t.closed,
                closed_at=fill.ts if ends else t.closed_at,
            )
        if not upd.opened_quantity:
            return t, None
        if t.closed:
            return t, TradeState.open(upd, fill)
        fee = per_share_fee * upd.opened_quantity
        added = replace(
            t,
            quantity=t.quantity + upd.opened_quantity,
            entry_price=upd.avg_price,
            commission=t.commission + fee,
            realized_pnl=t.realized_pnl - fee,
        )
        return added, None


def book_trade(
    trade: TradeState | None, upd: BookUpdate, fill: Execution
) -> tuple[TradeState | None, TradeState | None]:
    """The open round trip `trade` (None: there is none) after `fill`, and the round trip
    the fill starts (None if it starts none)."""
    if trade is None:
        return None, TradeState.open(upd, fill)
    return trade.apply(upd, fill)


# ----------------------------------------------------------------------------- buying power


def exposure(holdings: Iterable[tuple[int, float]]) -> tuple[float, float]:
    """(net market value, gross exposure) of holdings given as (signed quantity, price)."""
    value = gross = 0.0
    for quantity, price in holdings:
        value += quantity * price
        gross += abs(quantity) * price
    return value, gross


def buying_power(equity: float, gross: float, margin_multiplier: float = 1.0) -> float:
    """What an account can still buy: equity times the margin multiplier, less what it
    already holds (gross), never below zero."""
    return max(0.0, equity * margin_multiplier - gross)


def buying_power_shortfall(notional: float, available: float) -> str | None:
    """Why an order of `notional` cannot be paid from `available` buying power (None: it
    can)."""
    if notional > available:
        return f"insufficient buying power: ${notional:,.2f} needed, ${available:,.2f} available"
    return None
