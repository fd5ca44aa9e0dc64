"""Bracket and OCO legs at Alpaca, as our books see them: children named parent + "-sl"/"-tp".

Alpaca gives a bracket's take-profit and stop-loss legs its own order ids and client ids, and
a leg's order object does not name its parent. The parent, read with ``nested=true``,
lists them under ``legs``: `LegBook` learns from every such read which Alpaca order is which
of our children (the limit leg is the target, the stop leg the stop), so a leg pushed on
the trade stream or listed among open orders is shown under our child id. An OCO pair at
Alpaca is its limit order (it carries our client id) with the stop as its one leg: in our
books it is a container under our id whose legs are the two orders, the limit one as -tp.

A leg moved by a replace (PATCH /v2/orders/{id}: `replace.py`) is a new Alpaca order that
names the one it replaces (``replaces``) and carries the client id we gave it; the parent lists
it among its legs besides the replaced one, so it is shown under that id, after the original
pair, and the pair's stop is then the working one.

The container holds no fills of its own (its legs do, so nothing is booked twice); its
filled quantity and price are its legs', so the pair reads as filled once a leg is, and its
status is working while a leg works. What the book has not learned (after a restart, a
leg whose parent was never read) is looked up by the broker (`AlpacaBroker._learn`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from brokers.alpaca.trading_convert import BrokerDataError
from models.domain import BrokerOrder, OrderRole, OrderStatus, child_client_id

PROTECTIVE = frozenset({"bracket", "oco", "oto"})  # order classes whose orders have legs
Convert = Callable[[dict[str, Any]], BrokerOrder]


def nested(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """The legs an order was read with (none when read flat)."""
    legs = raw.get("legs")
    return [leg for leg in legs if isinstance(leg, dict)] if isinstance(legs, list) else []


def leg_role(raw: dict[str, Any]) -> OrderRole | None:
    """A protective leg's role by its type: the limit is the target, the stop the stop."""
    kind = str(raw.get("type") or raw.get("order_type") or "")
    return {"limit": OrderRole.TARGET, "stop": OrderRole.STOP, "stop_limit": OrderRole.STOP}.get(
        kind
    )


def replacement(raw: dict[str, Any]) -> bool:
    """An order that replaced another (PATCH): it carries the client id it was given."""
    return bool(raw.get("replaces")) and bool(raw.get("client_order_id"))


def renamed(raw: dict[str, Any], client_order_id: str) -> dict[str, Any]:
    """The Alpaca order under our client id, without nested legs."""
    return {**raw, "client_order_id": client_order_id, "legs": None}


class LegBook:
    """Alpaca order ids of protective legs -> our child client ids, learned from parents."""

    def __init__(self, max_strangers: int = 1000) -> None:
        self._child: dict[str, str] = {}  # Alpaca id of a leg -> our child client id
        self._oco: dict[str, str] = {}  # Alpaca id of an OCO's limit order -> our client id
        self._of_oco: dict[str, str] = {}  # Alpaca id of an OCO's stop leg -> our client id
        self._strangers: OrderedDict[str, None] = OrderedDict()  # looked for, not found
        self._max_strangers = max_strangers

    def __len__(self) -> int:
        return len(self._child) + len(self._oco)

    def learn(self, raw: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
        """Record the legs of a parent read with them; (leg order, our child id) pairs, the
        stop first. An OCO's own limit order is its target."""
        legs = nested(raw)
        cls = str(raw.get("order_class") or "")
        if not legs or cls not in PROTECTIVE:
            return []
        parent = str(raw.get("client_order_id") or "")
        if not parent:
            return []
        pairs: dict[OrderRole, tuple[dict[str, Any], str]] = {}
        moved: list[tuple[dict[str, Any], str]] = []  # legs that replaced one: their own ids
        if cls == "oco":
            oid = str(raw.get("id") or "")
            self._oco[oid] = parent
            pairs[OrderRole.TARGET] = (raw, child_client_id(parent, OrderRole.TARGET))
        for leg in legs:
            role = leg_role(leg)
            if role is None or not leg.get("id"):
                continue
            if replacement(leg):
                cid = str(leg["client_order_id"])
                moved.append((leg, cid))
            elif role in pairs:
                continue
            else:
                cid = child_client_id(parent, role)
                pairs[role] = (leg, cid)
            self._child[str(leg["id"])] = cid
            self._strangers.pop(str(leg["id"]), None)
            if cls == "oco":
                self._of_oco[str(leg["id"])] = parent
        return [pairs[r] for r in (OrderRole.STOP, OrderRole.TARGET) if r in pairs] + moved

    def child_id(self, order_id: str) -> str | None:
        """Our child client id of a known leg."""
        return self._child.get(order_id)

    def placed(self, order_id: str) -> bool:
        """Whether the book knows this Alpaca order as a leg or as an OCO's limit order."""
        return order_id in self._child or order_id in self._oco

    def oco_of(self, raw: dict[str, Any]) -> str | None:
        """Our client id of the OCO pair this Alpaca order belongs to (its limit order or its
        stop leg), when known."""
        oid = str(raw.get("id") or "")
        if oid in self._oco:
            return self._oco[oid]
        if oid in self._of_oco:
            return self._of_oco[oid]
        if str(raw.get("order_class") or "") == "oco" and nested(raw):
            return str(raw.get("client_order_id") or "") or None
        return None

    def unknown(self, raw: Any) -> bool:
        """A protective order read without its legs that the book cannot place: a leg (its
        parent unread so far) or an OCO's limit order. Ones looked for in vain are not, nor
        a moved leg (it carries our client id itself)."""
        if not isinstance(raw, dict) or nested(raw) or replacement(raw):
            return False
        oid = str(raw.get("id") or "")
        return (
            str(raw.get("order_class") or "") in PROTECTIVE
            and bool(oid)
            and oid not in self._child
            and oid not in self._oco
            and oid not in self._strangers
        )

    def strangers(self, ids: set[str]) -> None:
        """Remember ids looked for without finding a parent (not looked for again)."""
        for oid in ids:
            self._strangers[oid] = None
        while len(self._strangers) > self._max_strangers:
            self._strangers.popitem(last=False)


def views(
    book: LegBook, raw: dict[str, Any], convert: Convert, *, pairs: bool = True
) -> list[BrokerOrder]:
    """The orders of our books one Alpaca order stands for, its own view first: a plain
    order; a bracket's entry with its legs, then the legs; an OCO's limit order as -tp, then
    the stop leg, then (`pairs`) the pair's container; a known leg under our child id. Only
    the first order's data errors propagate; a leg that cannot be read is left out (and
    recorded by `convert`)."""
    learned = book.learn(raw)
    if not learned:
        child = book.child_id(str(raw.get("id") or ""))
        if child is not None:
            return [convert(renamed(raw, child))]
        oco = book.oco_of(raw)
        if oco is not None:  # an OCO's limit order read flat: its target
            return [convert(renamed(raw, child_client_id(oco, OrderRole.TARGET)))]
        return [convert(raw)]
    legs: list[BrokerOrder] = []
    own: BrokerOrder | None = None
    for leg_raw, cid in learned:
        try:
            leg = convert(renamed(leg_raw, cid))
        except BrokerDataError:
            if leg_raw is raw:
                raise
            continue
        legs.append(leg)
        if leg_raw is raw:
            own = leg
    cid = str(raw["client_order_id"])
    if own is not None:  # an OCO: its limit order is the target leg
        rest = [leg for leg in legs if leg is not own]
        return [own, *rest, *([container(cid, legs, own)] if pairs else [])]
    parent = convert(renamed(raw, cid)).model_copy(update={"legs": tuple(legs)})
    return [parent, *legs]


def container(cid: str, legs: list[BrokerOrder], target: BrokerOrder) -> BrokerOrder:
    """An OCO pair under our client id: working while a leg works, its legs' fills. Its
    quantity is its largest leg's (a fill of one leg may shrink the other)."""
    qty = max(leg.quantity for leg in legs)
    filled = sum(leg.filled_quantity for leg in legs)
    paid = sum(leg.filled_quantity * (leg.avg_fill_price or 0.0) for leg in legs)
    if any(leg.status.is_open for leg in legs):
        status = OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.NEW
    elif filled >= qty:
        status = OrderStatus.FILLED
    elif filled or any(leg.status is OrderStatus.CANCELED for leg in legs):
        status = OrderStatus.CANCELED
    else:
        status = OrderStatus.REJECTED
    stops = [leg for leg in legs if leg is not target]  # a moved stop after the one it replaced
    stop = next((x for x in reversed(stops) if x.status.is_open), stops[-1] if stops else None)
    return target.model_copy(
        update={
            "client_order_id": cid,
            "quantity": qty,
            "status": status,
            "filled_quantity": min(filled, qty),
            "avg_fill_price": round(paid / filled, 6) if filled else None,
            "stop_price": stop.stop_price if stop is not None else None,
            "fills": (),
            "reason": "" if status is not OrderStatus.REJECTED else target.reason,
            "legs": tuple(legs),
        }
    )
