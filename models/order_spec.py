"""What a trader asked to trade, every part of it: the one value the slash syntax, the
offline parser and the LLM all produce, and the proposal agent turns into a card.

Nothing here is dropped on the way: a part that cannot be honoured is refused by name.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from models.domain import Frozen, Side, TimeInForce


class OrderSpec(Frozen):
    """One trade request. At most one of quantity / amount / pct; `pct` is a percentage of
    equity for an entry, of the position for an exit. `short` is the word "short" (the only
    way a sell opens a short while anything is held, and the card says SHORT). `exit` is a
    close/trim/reduce word: the trade must reduce a held position."""

    symbol: str
    side: Side | None = None
    short: bool = False
    exit: bool = False
    quantity: int | None = Field(default=None, gt=0)
    amount: float | None = Field(default=None, gt=0)
    pct: float | None = Field(default=None, gt=0, le=100)
    limit: float | None = Field(default=None, gt=0)
    stop: float | None = Field(default=None, gt=0)
    target: float | None = Field(default=None, gt=0)
    tif: TimeInForce = TimeInForce.DAY

    @model_validator(mode="after")
    def _one_size(self) -> OrderSpec:
        if sum(x is not None for x in (self.quantity, self.amount, self.pct)) > 1:
            raise ValueError("give one size: shares, $amount or a percentage")
        if self.short and self.side is Side.BUY:
            raise ValueError("'short' is a sell")
        return self

    @property
    def sized(self) -> bool:
        """The trader named a size (else risk sizes it)."""
        return any(x is not None for x in (self.quantity, self.amount, self.pct))

    def parts(self) -> list[str]:
        """What was asked, in words, for the read-back ("buy 10 AAPL, limit 180.00")."""
        verb = (
            "close"
            if self.exit
            else "short"
            if self.short
            else (self.side.value if self.side else "trade")
        )
        size = (
            f"{self.quantity:,}"
            if self.quantity
            else f"${self.amount:,.2f} of"
            if self.amount
            else f"{self.pct:g}%" + (" of" if self.exit else " of equity in")
            if self.pct
            else ""
        )
        out = [" ".join(x for x in (verb, size, self.symbol) if x)]
        if self.limit:
            out.append(f"limit {self.limit:,.2f}")
        if self.stop:
            out.append(f"stop {self.stop:,.2f}")
        if self.target:
            out.append(f"target {self.target:,.2f}")
        if self.tif is not TimeInForce.DAY:
            out.append(self.tif.text)
        return out

    def readback(self) -> str:
        return ", ".join(self.parts())
