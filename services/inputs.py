"""Parsing what a person typed: quantities and sides (pure, never raises anything else)."""

from __future__ import annotations

import math

from models.domain import Side


class InputError(ValueError):
    """The input is malformed; the message says why, for the user."""


def parse_quantity(raw: object, max_quantity: int) -> int | None:
    """Whole shares from 1 to `max_quantity`; None when nothing was given (risk sizes it)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise InputError("Quantity must be a whole number of shares.")
    text = str(raw).strip().replace(",", "").replace("_", "")
    try:
        f = float(text)
    except (ValueError, OverflowError):
        shown = str(raw)[:20]
        raise InputError(f"Quantity must be a whole number of shares, not {shown!r}.") from None
    if not math.isfinite(f) or f != int(f):
        raise InputError("Quantity must be a whole number of shares.")
    if f < 1:
        raise InputError("Quantity must be at least 1 share.")
    if f > max_quantity:
        raise InputError(
            f"Quantity {f:,.0f} is above the {max_quantity:,} share limit for one order."
        )
    return int(f)


SIDES = {
    "buy": Side.BUY,
    "b": Side.BUY,
    "long": Side.BUY,
    "sell": Side.SELL,
    "s": Side.SELL,
    "short": Side.SELL,
}


def parse_side(raw: object) -> Side:
    if isinstance(raw, Side):
        return raw
    s = str(raw or "").strip().lower()
    if s in SIDES:
        return SIDES[s]
    raise InputError(f"Side must be buy or sell, not {s[:20]!r}.")
