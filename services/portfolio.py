"""Position book-keeping: what a fill does to a position, and marking positions to market."""

from __future__ import annotations

from dataclasses import dataclass

from models.domain import BookUpdate, Side


def apply_fill(
    quantity: int, avg_price: float, side: Side, fill_qty: int, price: float
) -> BookUpdate:
    """The position after a fill of `fill_qty` at `price` on `side` (signed quantities).

    Adding keeps a weighted average entry; reducing realises (price - avg) per share in the
    position's direction; crossing zero closes the old position and opens the remainder at
    the fill price.
    """
    if fill_qty <= 0:
        raise ValueError("fill quantity must be positive")
    signed = side.sign * fill_qty
    if quantity == 0 or (quantity > 0) == (signed > 0):
        new_qty = quantity + signed
        new_avg = (abs(quantity) * avg_price + fill_qty * price) / abs(new_qty)
        return BookUpdate(
            quantity=new_qty,
            avg_price=new_avg,
            realized_pnl=0.0,
            closed_quantity=0,
            opened_quantity=fill_qty,
        )
    closed = min(abs(quantity), fill_qty)
    direction = 1 if quantity > 0 else -1
    realized = (price - avg_price) * closed * direction
    new_qty = quantity + signed
    opened = fill_qty - closed
    if new_qty == 0:
        new_avg = 0.0
    elif opened:
        new_avg = price
    else:
        new_avg = avg_price
    return BookUpdate(
        quantity=new_qty,
        avg_price=new_avg,
        realized_pnl=realized,
        closed_quantity=closed,
        opened_quantity=opened,
        exit_price=price,
    )


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
