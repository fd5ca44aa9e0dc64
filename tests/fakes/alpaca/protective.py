"""Brackets and OCO pairs the way Alpaca works them, for `FakeAlpacaTrading`.

A bracket (``order_class=bracket``, ``take_profit.limit_price``, ``stop_loss.stop_price``)
is its entry plus two legs on the other side: a limit (the target) and a stop, each with its
own order id and an Alpaca-made client id. The legs are ``held`` until the entry has filled,
then ``new`` (a "new" trade update each); an entry cancelled or expired after a partial
fill puts its legs to work for the filled quantity, one without a fill cancels them. An OCO
(``order_class=oco``, ``type=limit``) is a limit order at take_profit, carrying the client's
id, with one stop leg; both work at once. Legs are wrong-sided -> HTTP 422, as at Alpaca:
``take_profit.limit_price must be >= base_price + 0.01`` (base: the entry's limit, else the
symbol's price); advanced orders only for ``day`` or ``gtc``.

The members of a pair (a bracket's two legs; an OCO's limit order and its stop) cancel each
other: a fill of one takes as many shares off the other (cancelled when none are left), a
cancel of one cancels the other. ``set_price()`` moves a symbol's price and works every
order it reaches: a stop that is crossed fills at that (gapped) price, a limit at its limit.

Reads: ``nested=true`` on GET /v2/orders, /v2/orders/{id} and /v2/orders:by_client_order_id
returns a parent with its ``legs`` (a list lists parents only, a parent open while it or a
leg works); a flat list shows legs as orders of their own, except held ones. The reply to
a submit and every trade update of a parent carry its legs. ``unnest_filled_parents``
lists the working legs of a finished parent flat even with ``nested=true`` (what Alpaca has
been reported to do), so a client must find a leg's parent by itself;
``nest_on_client_lookup = False`` makes GET /v2/orders:by_client_order_id ignore ``nested``
(its documentation does not promise it), leaving GET /v2/orders/{id}?nested=true.

Replace (PATCH /v2/orders/{id}: qty, time_in_force, limit_price, stop_price, client_order_id):
a new order with a new id takes the old one's place, the same order but for the fields sent,
``replaces`` naming the old one, which ends ``replaced`` (``replaced_by`` the new one). A
replaced leg's successor is a leg of the same parent (listed after it), so one-cancels-other
holds with it. 422 for an order that is not open (or accepted / pending), a price field its
type has not, and a stop on the wrong side of the symbol's price (a sell stop must be
``<= base_price - 0.01``, a buy stop ``>= base_price + 0.01``).
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from .base import ApiError

HELD = "held"
WORKING = ("new", "accepted", "partially_filled")
DONE = ("filled", "canceled", "expired", "rejected", "replaced")
# what PATCH may replace: not done, nor accepted / pending_new / pending_cancel / pending_replace
REPLACEABLE = ("new", "partially_filled", HELD)


def _price(body: dict[str, Any], part: str, field: str, order_class: str) -> float:
    raw = body.get(part)
    value = raw.get(field) if isinstance(raw, dict) else None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ApiError(422, f"{order_class} orders require {part}.{field}") from None


class ProtectiveOrders:
    """Mixin: bracket and OCO bookkeeping over the server's ``orders`` (see module doc)."""

    orders: dict[str, dict[str, Any]]

    def _init_protective(self) -> None:
        self.legs_of: dict[str, list[str]] = {}  # parent id -> its legs' ids
        self.parent_of: dict[str, str] = {}  # leg id -> parent id
        self.marks: dict[str, float] = {}  # symbol -> price set by set_price()
        self.unnest_filled_parents = False
        self.nest_on_client_lookup = True  # False: by_client_order_id ignores nested=true

    # ---- hooks the server provides ---------------------------------------------------------
    def _now(self) -> str:
        raise NotImplementedError

    def _mark(self, symbol: str) -> float:
        raise NotImplementedError

    def _apply_fill(self, order: dict[str, Any], qty: int, price: float) -> None:
        raise NotImplementedError

    def _push(self, event: str, order: dict[str, Any], **fill: Any) -> None:
        raise NotImplementedError

    # ---- scripting -------------------------------------------------------------------------
    def set_price(self, symbol: str, price: float) -> list[dict[str, Any]]:
        """Move ``symbol`` to ``price`` and work what it reaches (oldest first): a crossed
        stop fills whole at ``price``, a reached limit at its limit. Returns those filled."""
        self.marks[symbol] = price
        hit = []
        for order in list(self.orders.values()):
            if order.get("symbol") != symbol or order["status"] not in WORKING:
                continue
            sell = order["side"] == "sell"
            left = int(order["qty"]) - int(order["filled_qty"])
            if order["type"] == "stop":
                stop = float(order["stop_price"])
                if (price <= stop) if sell else (price >= stop):
                    self._apply_fill(order, left, price)
                    hit.append(order)
            elif order["type"] == "limit":
                limit = float(order["limit_price"])
                if (price >= limit) if sell else (price <= limit):
                    self._apply_fill(order, left, limit)
                    hit.append(order)
        return hit

    def leg(self, parent_client_id: str, role: str) -> dict[str, Any]:
        """The ``stop`` or ``target`` order of a bracket or OCO (an OCO's target is itself)."""
        parent = next(o for o in self.orders.values() if o["client_order_id"] == parent_client_id)
        members = [parent, *self._legs(parent)]
        kind = "stop" if role == "stop" else "limit"
        found = [o for o in members if o["type"] == kind and (o is not parent or _is_oco(o))]
        return next((o for o in found if o["status"] not in DONE), found[0])  # a moved one

    def fill_leg(self, parent_client_id: str, role: str, qty: int, price: float) -> dict:
        """Fill ``qty`` of a working leg (``stop`` / ``target``) at ``price``."""
        order = self.leg(parent_client_id, role)
        if order["status"] not in WORKING:
            raise ValueError(f"leg {role} of {parent_client_id} is {order['status']}")
        self._apply_fill(order, qty, price)
        return order

    # ---- wire ----------------------------------------------------------------------------
    def wire(self, order: dict[str, Any], nested: bool) -> dict[str, Any]:
        """The order as the API shows it: with its legs when ``nested``."""
        out = copy.deepcopy(order)
        legs = self._legs(order)
        out["legs"] = [copy.deepcopy(leg) for leg in legs] if nested and legs else None
        return out

    def _legs(self, order: dict[str, Any]) -> list[dict[str, Any]]:
        return [self.orders[i] for i in self.legs_of.get(order["id"], ())]

    def listing(self, status: str, nested: bool) -> list[dict[str, Any]]:
        """The orders a list shows for ``status`` (open|closed|all), legs per ``nested``."""
        out = []
        quirk = nested and status == "open" and self.unnest_filled_parents
        for o in self.orders.values():
            parent = self.orders.get(self.parent_of.get(o["id"], ""))
            if parent is not None:  # a leg: on its own in a flat list, unless held
                if o["status"] == HELD or (nested and not (quirk and parent["status"] in DONE)):
                    continue
                works = o["status"] not in DONE
            elif nested and not quirk:  # a parent works while it or a leg does
                works = any(m["status"] not in DONE for m in (o, *self._legs(o)))
            else:
                works = o["status"] not in DONE
            if status == "all" or works == (status == "open"):
                out.append(self.wire(o, nested))
        return out

    # ---- submit ------------------------------------------------------------------------------
    def protective_body(self, body: dict[str, Any]) -> dict[str, Any]:
        """An OCO's limit price is its take_profit's (Alpaca fills it in)."""
        if body.get("order_class") == "oco":
            if body.get("type") != "limit":
                raise ApiError(422, "oco orders must be limit orders")
            return {**body, "limit_price": _price(body, "take_profit", "limit_price", "oco")}
        return body

    def make_legs(self, order: dict[str, Any], body: dict[str, Any]) -> list[dict[str, Any]]:
        """Check a bracket's or an OCO's prices and build its legs (not stored yet)."""
        cls = order["order_class"]
        if cls not in ("bracket", "oco"):
            if cls not in ("simple", "", "mleg"):
                raise ApiError(422, f"order_class {cls!r} is not supported here")
            return []
        tp = _price(body, "take_profit", "limit_price", cls)
        sl = _price(body, "stop_loss", "stop_price", cls)
        if order["time_in_force"] not in ("day", "gtc"):
            raise ApiError(422, f"{cls} orders must be day or gtc")
        buy = order["side"] == "buy"
        if cls == "oco":  # an exit pair: both on the order's side
            if (tp >= sl) if buy else (tp <= sl):
                rel = "<" if buy else ">"
                raise ApiError(422, f"take_profit.limit_price must be {rel} stop_loss.stop_price")
            return [self._leg_of(order, "stop", sl, order["side"], "new")]
        base = float(order["limit_price"] or self._mark(order["symbol"]))
        if (tp < base + 0.01) if buy else (tp > base - 0.01):
            rel = ">= base_price + 0.01" if buy else "<= base_price - 0.01"
            raise ApiError(422, f"take_profit.limit_price must be {rel}")
        if (sl > base - 0.01) if buy else (sl < base + 0.01):
            rel = "<= base_price - 0.01" if buy else ">= base_price + 0.01"
            raise ApiError(422, f"stop_loss.stop_price must be {rel}")
        exit_side = "sell" if buy else "buy"
        return [
            self._leg_of(order, "limit", tp, exit_side, HELD),
            self._leg_of(order, "stop", sl, exit_side, HELD),
        ]

    def _leg_of(
        self, parent: dict[str, Any], kind: str, price: float, side: str, status: str
    ) -> dict[str, Any]:
        return {
            **parent,
            "id": str(uuid.uuid4()),
            "client_order_id": str(uuid.uuid4()),
            "side": side,
            "type": kind,
            "order_type": kind,
            "limit_price": f"{price:.10g}" if kind == "limit" else None,
            "stop_price": f"{price:.10g}" if kind == "stop" else None,
            "status": status,
            "filled_qty": "0",
            "filled_avg_price": None,
            "legs": None,
            "take_profit": None,
            "stop_loss": None,
        }

    def store_legs(self, order: dict[str, Any], legs: list[dict[str, Any]]) -> None:
        for leg in legs:
            self.orders[leg["id"]] = leg
            self.parent_of[leg["id"]] = order["id"]
        if legs:
            self.legs_of[order["id"]] = [leg["id"] for leg in legs]

    # ---- replace ------------------------------------------------------------------------------
    def replace(self, order: dict[str, Any], body: dict[str, Any], cid: str) -> dict[str, Any]:
        """PATCH an order: its successor (stored, pushed, returned) as the module doc says."""
        if order["status"] not in REPLACEABLE:
            raise ApiError(422, f'order is not replaceable: it is "{order["status"]}"')
        kind, new = order["type"], copy.deepcopy(order)
        for field, kinds in (("limit_price", ("limit", "stop_limit")), ("stop_price", ("stop",))):
            if body.get(field) is not None:
                if kind not in kinds:
                    raise ApiError(422, f"{field} is not valid for a {kind} order")
                new[field] = f"{float(body[field]):.10g}"
        if kind == "stop":
            stop, base = float(new["stop_price"]), self._mark(order["symbol"])
            if (stop > base - 0.01) if order["side"] == "sell" else (stop < base + 0.01):
                rel = "<= base_price - 0.01" if order["side"] == "sell" else ">= base_price + 0.01"
                raise ApiError(422, f"stop_price must be {rel}")
        left = int(order["qty"]) - int(order["filled_qty"])
        now = self._now()
        new.update(
            {
                "id": str(uuid.uuid4()),
                "client_order_id": cid,
                "qty": str(int(float(body.get("qty") or left))),
                "time_in_force": body.get("time_in_force") or order["time_in_force"],
                "status": HELD if order["status"] == HELD else "new",
                "filled_qty": "0",
                "filled_avg_price": None,
                "replaces": order["id"],
                "replaced_by": None,
                "replaced_at": None,
                "legs": None,
                **dict.fromkeys(("created_at", "updated_at", "submitted_at"), now),
            }
        )
        order.update({"status": "replaced", "replaced_by": new["id"]})
        order["replaced_at"] = order["updated_at"] = now
        self.orders[new["id"]] = new
        parent = self.parent_of.get(order["id"])
        if parent is not None:  # the successor of a leg is a leg of the same parent
            self.parent_of[new["id"]] = parent
            self.legs_of[parent].append(new["id"])
        if self.legs_of.get(order["id"]):  # a parent's legs follow its successor
            self.legs_of[new["id"]] = self.legs_of.pop(order["id"])
            for leg_id in self.legs_of[new["id"]]:
                self.parent_of[leg_id] = new["id"]
        self._push("replaced", order)
        self._push("new", new)
        return new

    # ---- lifecycle ----------------------------------------------------------------------------
    def _pair(self, order: dict[str, Any]) -> list[dict[str, Any]]:
        """The other members of the pair ``order`` belongs to (none for an entry)."""
        parent = self.orders.get(self.parent_of.get(order["id"], ""))
        if parent is None:
            members = [order, *self._legs(order)] if _is_oco(order) else []
        else:
            members = [parent, *self._legs(parent)] if _is_oco(parent) else self._legs(parent)
        return [m for m in members if m is not order]

    def after_fill(self, order: dict[str, Any], qty: int) -> None:
        """An entry that filled puts its legs to work; a member's fill shrinks its sibling."""
        if order["status"] == "filled" and not _is_oco(order) and self.legs_of.get(order["id"]):
            self._activate(order)
        for other in self._pair(order):
            if other["status"] in DONE:
                continue
            left = int(other["qty"]) - qty
            if left <= int(other["filled_qty"]):
                self.end(other, "canceled")
            else:
                other["qty"], other["updated_at"] = str(left), self._now()

    def _activate(self, parent: dict[str, Any]) -> None:
        for leg in self._legs(parent):
            if leg["status"] == HELD:
                leg["qty"] = parent["filled_qty"]
                leg["status"] = "new"
                leg["updated_at"] = self._now()
                self._push("new", leg)

    def end(self, order: dict[str, Any], status: str) -> None:
        """Cancel or expire a working order, with what that does to its legs and pair."""
        if order["status"] in DONE:
            return
        order["status"] = status
        order[f"{status}_at"] = order["updated_at"] = self._now()
        self._push(status, order)
        if not _is_oco(order) and self.legs_of.get(order["id"]):  # an entry
            if int(order["filled_qty"]) > 0:
                self._activate(order)
            else:
                for leg in self._legs(order):
                    self.end(leg, "canceled")
        for other in self._pair(order):
            self.end(other, "canceled")


def _is_oco(order: dict[str, Any]) -> bool:
    return order.get("order_class") == "oco"
