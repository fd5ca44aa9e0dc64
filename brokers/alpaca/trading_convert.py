"""Alpaca Trading API v2 JSON -> cotrader domain values, checked field by field.

The adapter asks alpaca-py for raw JSON (``raw_data=True``) so one bad entry in a list is
skipped and reported instead of failing the whole answer. Nothing here guesses: a missing
field, an unparsable number, a quantity whose sign disagrees with its side, a fractional or
unknown position raise `BrokerDataError` with a message naming the field.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from brokers.base import BrokerError
from models.domain import (
    Account,
    BrokerOrder,
    BrokerPosition,
    FillReport,
    OrderStatus,
    OrderType,
    Side,
)
from models.options import is_occ, normal_occ

_SYMBOL = re.compile(r"^[A-Z][A-Z0-9.]{0,9}$")
# Alpaca order status -> ours; None: still working (new or partially filled by filled_qty).
STATUS: dict[str, OrderStatus | None] = {
    "new": None,
    "accepted": None,
    "pending_new": None,
    "accepted_for_bidding": None,
    "partially_filled": None,
    "pending_cancel": None,
    "pending_replace": None,
    "held": None,
    "calculated": None,
    "stopped": None,
    "done_for_day": None,
    "suspended": None,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "expired": OrderStatus.CANCELED,
    "replaced": OrderStatus.CANCELED,
    "rejected": OrderStatus.REJECTED,
}


class BrokerDataError(BrokerError):
    """The venue sent data that does not make sense; it was not used."""


@dataclass(frozen=True, slots=True)
class DataProblem:
    """One piece of venue data that was skipped, and why (never contains secrets)."""

    what: str  # "position", "order", "account"
    key: str  # symbol or order id, when known
    reason: str


def _field(raw: dict[str, Any], name: str) -> Any:
    value = raw.get(name)
    if value is None or value == "":
        raise BrokerDataError(f"missing field {name!r}")
    return value


def number(raw: dict[str, Any], name: str, *, optional: bool = False) -> float | None:
    """A finite float from a string or number field."""
    value = raw.get(name)
    if value is None or value == "":
        if optional:
            return None
        raise BrokerDataError(f"missing field {name!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise BrokerDataError(f"field {name!r} is not a number") from None
    if not math.isfinite(x):
        raise BrokerDataError(f"field {name!r} is not finite")
    return x


def whole(raw: dict[str, Any], name: str) -> int:
    """An integral quantity (fractional shares are not modelled)."""
    x = number(raw, name)
    assert x is not None
    if x != int(x):
        raise BrokerDataError(f"field {name!r} is fractional ({x:g})")
    return int(x)


def stamp(raw: dict[str, Any], name: str) -> datetime:
    value = _field(raw, name)
    try:
        ts = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise BrokerDataError(f"field {name!r} is not a timestamp") from None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _object(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise BrokerDataError(f"expected an object, got {type(raw).__name__}")
    return raw


def account_from_json(raw: Any) -> Account:
    raw = _object(raw)
    cash, equity, bp = (number(raw, n) for n in ("cash", "equity", "buying_power"))
    assert cash is not None and equity is not None and bp is not None
    if bp < 0:
        raise BrokerDataError("negative buying_power")
    return Account(
        account_id=str(_field(raw, "id")),
        cash=cash,
        equity=equity,
        buying_power=bp,
        currency=str(raw.get("currency") or "USD"),
    )


def position_from_json(raw: Any) -> BrokerPosition:
    """A stock position (shares), or an option position (``asset_class`` us_option): its
    unpadded OCC symbol, signed contracts (short negative) and premium per share."""
    raw = _object(raw)
    symbol = str(_field(raw, "symbol"))
    asset_class = raw.get("asset_class", "us_equity")
    if asset_class == "us_option" and is_occ(symbol):
        symbol = normal_occ(symbol)
    elif asset_class != "us_equity" or not _SYMBOL.match(symbol):
        raise BrokerDataError(f"not a known equity or option symbol ({asset_class})")
    qty = whole(raw, "qty")
    side = _field(raw, "side")
    if side not in ("long", "short") or qty == 0 or (qty > 0) != (side == "long"):
        raise BrokerDataError(f"qty {qty} disagrees with side {side!r}")
    avg = number(raw, "avg_entry_price")
    assert avg is not None
    if avg <= 0:
        raise BrokerDataError("avg_entry_price is not positive")
    return BrokerPosition(symbol=symbol, quantity=qty, avg_price=avg)


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """An order as the venue reports it now, before fills are synthesised."""

    order: BrokerOrder  # fills left empty
    updated_at: datetime


def status_of(status_text: str, filled: bool) -> tuple[OrderStatus, str]:
    """Our status for Alpaca's (a working order: partially filled once anything filled),
    and the reason shown for it (Alpaca's word when it is not a plain one)."""
    if status_text not in STATUS:
        raise BrokerDataError(f"unknown order status {status_text!r}")
    status = STATUS[status_text]
    if status is None:
        status = OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.NEW
    reason = "" if status_text in ("new", "accepted", "filled", "partially_filled") else status_text
    return status, reason


def order_from_json(raw: Any) -> OrderSnapshot:
    """Checked conversion; `order.fills` is empty (see `FillBook`)."""
    raw = _object(raw)
    status_text = str(_field(raw, "status"))
    if status_text not in STATUS:
        raise BrokerDataError(f"unknown order status {status_text!r}")
    kind = str(raw.get("type") or raw.get("order_type") or "")
    if kind not in {t.value for t in OrderType}:
        raise BrokerDataError(f"unsupported order type {kind!r}")
    side = str(_field(raw, "side"))
    if side not in ("buy", "sell"):
        raise BrokerDataError(f"unknown side {side!r}")
    qty, filled = whole(raw, "qty"), whole(raw, "filled_qty")
    if qty <= 0 or not 0 <= filled <= qty:
        raise BrokerDataError(f"filled_qty {filled} outside 0..{qty}")
    avg = number(raw, "filled_avg_price", optional=True)
    if filled > 0 and (avg is None or avg <= 0):
        raise BrokerDataError("filled order without a positive filled_avg_price")
    status, reason = status_of(status_text, bool(filled))
    order = BrokerOrder(
        broker_order_id=str(_field(raw, "id")),
        client_order_id=str(_field(raw, "client_order_id")),
        symbol=str(_field(raw, "symbol")),
        side=Side(side),
        quantity=qty,
        order_type=OrderType(kind),
        limit_price=number(raw, "limit_price", optional=True),
        stop_price=number(raw, "stop_price", optional=True),
        status=status,
        filled_quantity=filled,
        avg_fill_price=avg if filled else None,
        reason=reason,
        submitted_at=stamp(raw, "submitted_at"),
    )
    return OrderSnapshot(order, stamp(raw, "updated_at"))


class FillBook:
    """Fills synthesised from the cumulative filled_qty / filled_avg_price Alpaca reports.

    Each observed rise in filled_qty becomes one FillReport whose quantity is the rise and
    whose price makes the running average match: id ``{order id}-{cumulative qty}``, so the
    same observation always gives the same id. A report that goes backwards is refused.
    An option leg is booked the same way under its own Alpaca order id (`derive`).
    """

    def __init__(self) -> None:
        self._fills: dict[str, tuple[FillReport, ...]] = {}

    def apply(self, snap: OrderSnapshot, *, late_ok: bool = False) -> BrokerOrder:
        """The order with its fills. A snapshot with fewer shares filled than already seen is
        bad data from a read, but normal from the stream (`late_ok`): an update that arrives
        after a newer read. It is returned as it was, with the fills it had then."""
        o = snap.order
        fills = self.derive(
            o.broker_order_id,
            o.filled_quantity,
            o.avg_fill_price,
            snap.updated_at,
            late_ok=late_ok,
        )
        return o.model_copy(update={"fills": fills})

    def derive(
        self,
        key: str,
        filled: int,
        avg: float | None,
        ts: datetime,
        *,
        late_ok: bool = False,
    ) -> tuple[FillReport, ...]:
        """The fills of the order (or option leg) with Alpaca id `key` that has `filled`
        in all at average `avg`, as of `ts` (see `apply` for `late_ok`)."""
        fills = self._fills.get(key, ())
        done = sum(f.quantity for f in fills)
        if filled < done:
            if not late_ok:
                raise BrokerDataError(f"filled_qty went back from {done} to {filled}")
            return tuple(f for f in fills if int(f.fill_id.rsplit("-", 1)[1]) <= filled)
        if filled > done:
            if avg is None:
                raise BrokerDataError("filled order without a filled_avg_price")
            paid = sum(f.quantity * f.price for f in fills)
            qty = filled - done
            price = round((avg * filled - paid) / qty, 6)
            if price <= 0:
                raise BrokerDataError("filled_avg_price implies a non-positive fill price")
            fill = FillReport(
                fill_id=f"{key}-{filled}", quantity=qty, price=price, commission=0.0, ts=ts
            )
            fills = (*fills, fill)
            self._fills[key] = fills
        return fills
