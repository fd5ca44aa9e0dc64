"""What a trade request becomes, given what is held: an entry, an exit or a refusal that
names the choice; its size in whole shares; its stop and target. Pure: prices, equity and
holdings are handed in.

The rules (issue "orders as the trader meant them"):
- a sell against a held long, or a buy against a held short, reduces it: an exit;
- selling more than is held is refused with the choice spelled out; nothing opens a short
  without the word "short", except a sell while flat with shorting allowed;
- $AMOUNT and PCT% round down to whole shares, and the card says so;
- a named stop or target on the wrong side of the entry is refused with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from models.domain import Side
from models.order_spec import OrderSpec

Kind = Literal["entry", "exit"]


class OrderPlanError(ValueError):
    """The request cannot be carried out as asked; the message says why and what to say."""


@dataclass(frozen=True, slots=True)
class Route:
    """Entry or exit, on which side, and whether it opens (or adds to) a short."""

    kind: Kind
    side: Side | None
    opens_short: bool = False


def route(spec: OrderSpec, held: int, allow_short: bool) -> Route:
    """Entry or exit for `spec` when `held` shares are held (negative: short)."""
    sym = spec.symbol
    if spec.exit:
        if held == 0:
            raise OrderPlanError(f"No open {sym} position to close.")
        return Route("exit", Side.SELL if held > 0 else Side.BUY)
    if spec.short:
        if held > 0:
            raise OrderPlanError(
                f"You hold {held:,} {sym} long: /close {sym} first, then say 'short {sym}' "
                "for a new short."
            )
        if not allow_short:
            raise OrderPlanError("Short selling is turned off (COTRADER_ALLOW_SHORT=0).")
        return Route("entry", Side.SELL, opens_short=True)
    side = spec.side
    if side is Side.SELL and held > 0:
        _fits(spec, held, sym, "hold", f"say 'short {_size(spec)} {sym}' for a new short")
        return Route("exit", Side.SELL)
    if side is Side.BUY and held < 0:
        _fits(spec, -held, sym, "are short", f"then 'buy {_size(spec)} {sym}' for a new long")
        return Route("exit", Side.BUY)
    if side is Side.SELL:
        if held == 0 and not allow_short:
            raise OrderPlanError(
                f"You hold no {sym}, and short selling is turned off: nothing to sell."
            )
        return Route("entry", Side.SELL, opens_short=True)
    return Route("entry", side, opens_short=side is None and held < 0)


def _size(spec: OrderSpec) -> str:
    if spec.quantity:
        return f"{spec.quantity:,}"
    if spec.amount:
        return f"${spec.amount:,.0f} of"
    return f"{spec.pct:g}%" if spec.pct else ""


def _fits(spec: OrderSpec, held: int, sym: str, verb: str, other: str) -> None:
    """A reducing trade of a named share count must fit in what is held."""
    if spec.quantity is not None and spec.quantity > held:
        raise OrderPlanError(
            f"You {verb} {held:,} {sym}: /close {sym} for all {held:,}, or {other}."
        )


def shares(
    spec: OrderSpec, kind: Kind, price: float, equity: float, held: int
) -> tuple[int | None, list[str]]:
    """Whole shares for `spec` (None: let risk size an entry; an exit defaults to all that is
    held) and the notes the card shows about rounding."""
    notes: list[str] = []
    held = abs(held)
    if spec.quantity is not None:
        qty: int | None = spec.quantity
    elif spec.amount is not None:
        if price <= 0:
            raise OrderPlanError("No price to turn the amount into shares.")
        qty = math.floor(spec.amount / price + 1e-9)
        if qty < 1:
            raise OrderPlanError(
                f"${spec.amount:,.2f} buys no whole share of {spec.symbol} at {price:,.2f}."
            )
        notes.append(f"${spec.amount:,.2f} at {price:,.2f} = {qty:,} shares (rounded down)")
    elif spec.pct is not None:
        if kind == "exit":
            exact = held * spec.pct / 100
            qty = math.floor(exact + 1e-9)
            if qty < 1:
                raise OrderPlanError(
                    f"{spec.pct:g}% of {held:,} {spec.symbol} is less than one share."
                )
            rounded = " (rounded down)" if qty != exact else ""
            notes.append(f"{spec.pct:g}% of {held:,} held = {qty:,} shares{rounded}")
        else:
            if price <= 0 or equity <= 0:
                raise OrderPlanError("No equity or price to size a percentage from.")
            budget = equity * spec.pct / 100
            qty = math.floor(budget / price + 1e-9)
            if qty < 1:
                raise OrderPlanError(
                    f"{spec.pct:g}% of equity (${budget:,.2f}) buys no whole share of "
                    f"{spec.symbol} at {price:,.2f}."
                )
            notes.append(
                f"{spec.pct:g}% of ${equity:,.2f} equity at {price:,.2f} = {qty:,} shares "
                "(rounded down)"
            )
    else:
        qty = held if kind == "exit" else None
    if kind == "exit" and qty is not None and qty > held:
        raise OrderPlanError(
            f"You hold {held:,} {spec.symbol}: /close {spec.symbol} for all {held:,}."
        )
    return qty, notes


def levels(
    side: Side,
    entry: float,
    stop: float | None,
    target: float | None,
    idea_entry: float,
    idea_stop: float,
    idea_target: float,
) -> tuple[float, float]:
    """The card's stop and target. A named level is kept as given and checked against the
    entry; a missing one keeps the idea's distance (stop) or reward:risk (target) from the
    entry actually used (a limit moves both). `idea_entry` is the price now: a marketable
    limit fills there, so the stop is measured from the nearer of the two and must sit
    beyond both (else it would trigger at once)."""
    sign = side.sign
    base = min(entry, idea_entry) if sign > 0 else max(entry, idea_entry)
    if stop is None:
        stop = base - sign * abs(idea_entry - idea_stop)
    elif (base - stop) * sign <= 0:
        where = "above" if sign > 0 else "below"
        want = "below" if sign > 0 else "above"
        what = f"the {entry:,.2f} entry" if base == entry else f"the {base:,.2f} price now"
        raise OrderPlanError(
            f"A stop at {stop:,.2f} is {where} {what} of a "
            f"{'buy' if sign > 0 else 'short'}: it would trigger at once. Put it {want} "
            "the entry."
        )
    if target is None:
        risk = abs(idea_entry - idea_stop)
        rr = abs(idea_target - idea_entry) / risk if risk > 0 else 2.0
        target = entry + sign * rr * abs(entry - stop)
    elif (target - entry) * sign <= 0:
        where = "below" if sign > 0 else "above"
        want = "above" if sign > 0 else "below"
        raise OrderPlanError(
            f"A target at {target:,.2f} is {where} the {entry:,.2f} entry of a "
            f"{'buy' if sign > 0 else 'short'}: put it {want} the entry."
        )
    if stop <= 0:
        raise OrderPlanError(f"The stop would be at {stop:,.2f}; name one above zero.")
    return round(stop, 2), round(target, 2)


def realizes(side: Side, quantity: int, price: float, avg_price: float) -> float:
    """What an exit of `quantity` at `price` realises against the average cost (a sell
    closes a long, a buy covers a short)."""
    direction = 1 if side is Side.SELL else -1
    return round((price - avg_price) * quantity * direction, 2)
