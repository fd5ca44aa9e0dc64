"""Alpaca option orders -> the options view of our books (checked field by field).

Two shapes arrive. A multi-leg order (``order_class`` mleg) has no symbol, side or asset
class of its own (alpaca-py: "omitted from top-level of response if the order is of mleg
class"), its ``qty`` in units and its ``limit_price`` signed (negative: a net credit); read
with ``nested=true`` it lists its ``legs``, each an order with its own id, OCC ``symbol``,
``side``, ``ratio_qty``, ``position_intent``, ``qty`` / ``filled_qty`` in contracts and
``filled_avg_price`` (premium per share). A single-leg option order is a simple order on an
OCC symbol (``asset_class`` us_option), its limit price positive.

Both become one `BrokerOrder` in the options view: ``symbol`` the underlying (the OCC root),
``quantity`` / ``filled_quantity`` units (a multi-leg order's filled units are the fewest
any leg has filled, ``filled_qty // ratio_qty``), ``avg_fill_price`` the net premium per
share, positive (|Σ ±ratio·leg average|, sells +, buys −), ``side`` SELL for a net credit,
the order's own ``fills`` empty and each leg's fills in ``option_legs``: one per rise of the
leg's cumulative filled_qty, id ``{leg order id}-{cumulative contracts}``, at the price that
keeps the leg's average (`FillBook.derive`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from brokers.alpaca.trading_convert import (
    BrokerDataError,
    FillBook,
    number,
    stamp,
    status_of,
    whole,
)
from models.domain import BrokerOrder, FillReport, LegExecution, OrderType, Side
from models.options import is_occ, normal_occ, parse_occ

# (side, opens) <-> Alpaca's position_intent
INTENTS: dict[tuple[Side, bool], str] = {
    (Side.BUY, True): "buy_to_open",
    (Side.SELL, True): "sell_to_open",
    (Side.BUY, False): "buy_to_close",
    (Side.SELL, False): "sell_to_close",
}
_BY_INTENT = {intent: key for key, intent in INTENTS.items()}


def position_intent(side: Side, opens: bool) -> str:
    """Alpaca's position_intent for a leg on `side` that opens (or closes) a position."""
    return INTENTS[(side, opens)]


def is_option_order(raw: Any) -> bool:
    """Whether an Alpaca order is an options order (multi-leg, or on one OCC contract)."""
    if not isinstance(raw, dict):
        return False
    if raw.get("order_class") == "mleg" or raw.get("asset_class") == "us_option":
        return True
    return is_occ(str(raw.get("symbol") or ""))


@dataclass(frozen=True, slots=True)
class _Leg:
    """One leg as read, before its fills are derived."""

    order_id: str
    symbol: str
    side: Side
    ratio: int
    opens: bool
    filled: int
    avg: float | None
    updated_at: datetime | None


def _text(raw: dict[str, Any], name: str) -> str:
    value = raw.get(name)
    if value is None or value == "":
        raise BrokerDataError(f"missing field {name!r}")
    return str(value)


def _leg(raw: Any, *, ratio: int | None, units: int) -> _Leg:
    """A leg (or a single-leg order itself, `ratio` 1) of an order for `units` units."""
    if not isinstance(raw, dict):
        raise BrokerDataError("an option leg is not an object")
    symbol = _text(raw, "symbol")
    try:
        occ = normal_occ(symbol)
    except ValueError:
        raise BrokerDataError(f"leg symbol {symbol[:40]!r} is not an OCC option") from None
    intent = raw.get("position_intent") or None
    if intent is not None and intent not in _BY_INTENT:
        raise BrokerDataError(f"unknown position_intent {str(intent)[:40]!r}")
    side_text = raw.get("side") or (_BY_INTENT[intent][0].value if intent else None)
    if side_text not in ("buy", "sell"):
        raise BrokerDataError(f"unknown leg side {side_text!r}")
    side = Side(side_text)
    if intent is not None and _BY_INTENT[intent][0] is not side:
        raise BrokerDataError(f"position_intent {intent!r} disagrees with side {side_text!r}")
    if ratio is None:
        ratio = whole(raw, "ratio_qty")
        if ratio <= 0:
            raise BrokerDataError(f"ratio_qty {ratio} is not positive")
    filled = whole(raw, "filled_qty")
    if not 0 <= filled <= units * ratio:
        raise BrokerDataError(f"leg filled_qty {filled} outside 0..{units * ratio}")
    avg = number(raw, "filled_avg_price", optional=True)
    if filled and (avg is None or avg <= 0):
        raise BrokerDataError("filled leg without a positive filled_avg_price")
    return _Leg(
        order_id=_text(raw, "id"),
        symbol=occ,
        side=side,
        ratio=ratio,
        opens=_BY_INTENT[intent][1] if intent else True,
        filled=filled,
        avg=avg if filled else None,
        updated_at=stamp(raw, "updated_at") if raw.get("updated_at") else None,
    )


def _side(legs: list[_Leg], units: int, limit: float | None, raw: dict[str, Any]) -> Side:
    """SELL for a net credit: by the fills once every leg has some, else by the sign of the
    venue's limit (negative: credit), else the order's own side, else by its legs."""
    if units and all(leg.avg is not None for leg in legs):
        return Side.SELL if _net(legs) > 0 else Side.BUY
    if limit:
        return Side.SELL if limit < 0 else Side.BUY
    if raw.get("side") in ("buy", "sell"):
        return Side(raw["side"])
    return Side.SELL if all(leg.side is Side.SELL for leg in legs) else Side.BUY


def _net(legs: list[_Leg]) -> float:
    """Net premium per unit received (positive: a credit) at the legs' average prices."""
    return sum((1 if leg.side is Side.SELL else -1) * leg.ratio * (leg.avg or 0.0) for leg in legs)


def option_order(raw: Any, book: FillBook, *, late_ok: bool = False) -> BrokerOrder:
    """The options view of an Alpaca option order (see the module doc); BrokerDataError when
    a field does not make sense. `late_ok`: as `FillBook.apply` (a late pushed update)."""
    if not isinstance(raw, dict):
        raise BrokerDataError("order is not an object")
    mleg = raw.get("order_class") == "mleg"
    kind = str(raw.get("type") or raw.get("order_type") or "")
    allowed = ("market", "limit") if mleg else ("market", "limit", "stop")
    if kind not in allowed:
        raise BrokerDataError(f"unsupported option order type {kind!r}")
    units = whole(raw, "qty")
    if units <= 0:
        raise BrokerDataError(f"qty {units} is not positive")
    if mleg:
        nested = raw.get("legs")
        if not isinstance(nested, list) or not nested:
            raise BrokerDataError("multi-leg order read without its legs")
        legs = [_leg(entry, ratio=None, units=units) for entry in nested]
        if len({leg.symbol for leg in legs}) != len(legs):
            raise BrokerDataError("multi-leg order lists one contract twice")
        filled = min(leg.filled // leg.ratio for leg in legs)
    else:
        legs = [_leg(raw, ratio=1, units=units)]
        filled = legs[0].filled
    limit = number(raw, "limit_price", optional=True)
    status, reason = status_of(_text(raw, "status"), any(leg.filled for leg in legs))
    ts = stamp(raw, "updated_at")

    def fills(leg: _Leg) -> tuple[FillReport, ...]:
        when = leg.updated_at or ts
        return book.derive(leg.order_id, leg.filled, leg.avg, when, late_ok=late_ok)

    executions = tuple(
        LegExecution(
            symbol=leg.symbol,
            side=leg.side,
            ratio=leg.ratio,
            opens=leg.opens,
            filled_quantity=leg.filled,
            avg_fill_price=leg.avg,
            fills=fills(leg),
        )
        for leg in legs
    )
    return BrokerOrder(
        broker_order_id=_text(raw, "id"),
        client_order_id=_text(raw, "client_order_id"),
        symbol=parse_occ(legs[0].symbol).root,
        side=_side(legs, filled, limit, raw) if mleg else legs[0].side,
        quantity=units,
        order_type=OrderType(kind),
        limit_price=abs(limit) if limit is not None else None,
        stop_price=number(raw, "stop_price", optional=True),
        status=status,
        filled_quantity=filled,
        avg_fill_price=round(abs(_net(legs)), 6) if filled else None,
        reason=reason,
        submitted_at=stamp(raw, "submitted_at"),
        option_legs=executions,
    )
