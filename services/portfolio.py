"""Position book-keeping: what a fill does to a position, and marking positions to market."""

from __future__ import annotations

from dataclasses import dataclass

from models.booking import BookUpdate, Execution, PositionState
from models.domain import Side

__all__ = ["BookUpdate", "Mark", "apply_fill"]


def apply_fill(
    quantity: int, avg_price: float, side: Side, fill_qty: int, price: float
) -> BookUpdate:
    """The position after a fill of `fill_qty` at `price` on `side` (signed quantities).

    The arithmetic is `models.booking.PositionState.apply`, shared by our books and the
    simulator; this is its form over plain numbers.
    """
    return PositionState(quantity, avg_price).apply(Execution(side, fill_qty, price))


@dataclass(frozen=True, slots=True)
class Mark:
    """One position marked to a price."""

    symbol: str
    quantity: int
    avg_price: float
    price: float

    @property
    def market_value(self) -> float:
        return self.quantity * self.price

    @property
    def unrealized_pnl(self) -> float:
        return (self.price - self.avg_price) * self.quantity

    @property
    def unrealized_pct(self) -> float:
        cost = abs(self.quantity) * self.avg_price
        return self.unrealized_pnl / cost * 100 if cost else 0.0
