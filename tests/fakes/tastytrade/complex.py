"""The fake's complex orders (Tastytrade's /accounts/{n}/complex-orders) and how it works them.

POST a body as the SDK's OTOCOOrder / OCOOrder serialise it: {"type": "OTOCO" | "OCO",
"trigger-order": {order} (OTOCO only), "orders": [a Limit, a Stop], "source"}. Each order is an
ordinary order record (orders.py) that also carries "complex-order-id" and "complex-order-tag";
it is listed by GET /orders/live, pushed by the streamer and cancellable by id.

How they are worked (as the venue does):
- an OTOCO's trigger works like any order; its OCO children stay "Contingent" until it has
  filled completely, then go "Live" (and fill at once if already marketable);
- an OCO child that gets a fill has its open sibling cancelled; one cancelled or rejected takes
  its sibling with it;
- a trigger cancelled or rejected before filling takes its contingent children with it;
- cancelling any order of a complex order (DELETE /orders/{id}) cancels the whole complex order,
  as does DELETE /complex-orders/{id}: every order of it still open;
- an OCO whose stop the price is already through is refused (422), dry run or not;
- an order of it replaced (PUT /orders/{id}: order_api.py) is succeeded by the new one.
Every change is pushed as an "Order" message per order, then a "ComplexOrder" message.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import orders as O
from . import payloads as P

if TYPE_CHECKING:
    from .server import FakeTastytrade

TERMINAL = ("Filled", "Cancelled", "Rejected", "Expired", "Removed", "Partially Removed")


class ComplexBook:
    """The complex orders of a FakeTastytrade (which owns the orders, prices and streamer)."""

    def __init__(self, fake: FakeTastytrade) -> None:
        self.fake = fake
        self.orders: dict[int, dict[str, Any]] = {}  # complex order id -> its record
        self._ids = itertools.count(9_001)

    def routes(self, r: web.UrlDispatcher) -> None:
        base = "/accounts/{n}/complex-orders"
        r.add_post(base + "/dry-run", self._dry_run)
        r.add_post(base, self._place)
        r.add_get(base + "/live", self._live)
        r.add_get(base + "/{id:\\d+}", self._get)
        r.add_delete(base + "/{id:\\d+}", self._delete)

    # ---- scripting ----------------------------------------------------------------------
    def with_member(self, external_identifier: str) -> list[dict[str, Any]]:
        """The complex orders that hold an order with this external identifier."""
        return [
            c
            for c in self.orders.values()
            if any(o.get("external-identifier") == external_identifier for o in _members(c))
        ]

    def changed(self, order: dict[str, Any]) -> None:
        """After a fill, cancel or reject of `order`: what its complex order does next."""
        c = self.orders.get(order.get("complex-order-id") or 0)
        if c is None:
            return
        trigger = c.get("trigger-order")
        if order is trigger:
            if order["status"] == "Filled":
                for child in c["orders"]:
                    if child["status"] == "Contingent":
                        child.update({"status": "Live", "updated-at": P.stamp()})
                        self.fake.streamer.publish(child)
                self.fake.streamer.publish(c, "ComplexOrder")
                if self.fake.fill_immediately:
                    for child in c["orders"]:
                        self.fake.work(child)
                return
            if order["status"] in TERMINAL:
                self._cancel_open(c, only_contingent=True)
        elif order["legs"][0].get("fills") or order["status"] in TERMINAL:
            self._cancel_open(c)  # one-cancels-other
        self._settle(c)
        self.fake.streamer.publish(c, "ComplexOrder")

    def replaced(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        """A replaced order's successor takes its place in its complex order (order_api.py)."""
        c = self.orders.get(old.get("complex-order-id") or 0)
        if c is None:
            return
        new.update({k: old[k] for k in ("complex-order-id", "complex-order-tag")})
        c["orders"] = [new if o is old else o for o in c["orders"]]
        c["related-orders"].append(
            {"id": str(old["id"]), "replacing-order-id": str(new["id"]), "status": old["status"]}
        )
        self.fake.streamer.publish(c, "ComplexOrder")

    def cancel_all(self, complex_id: int) -> bool:
        """Cancel every open order of a complex order; False when none was open."""
        c = self.orders[complex_id]
        cut = self._cancel_open(c)
        self._settle(c)
        self.fake.streamer.publish(c, "ComplexOrder")
        return cut > 0

    # ---- internals ----------------------------------------------------------------------
    def _cancel_open(self, c: dict[str, Any], only_contingent: bool = False) -> int:
        cut = 0
        for o in _members(c):
            open_ = o["status"] in P.OPEN_STATUSES
            if open_ and (o["status"] == "Contingent" or not only_contingent):
                O.cancel(o)
                self.fake.streamer.publish(o)
                cut += 1
        return cut

    @staticmethod
    def _settle(c: dict[str, Any]) -> None:
        if "terminal-at" not in c and all(o["status"] in TERMINAL for o in _members(c)):
            c["terminal-at"] = P.stamp()

    def _parse(self, n: str, body: dict[str, Any], ids: bool) -> dict[str, Any] | web.Response:
        """The complex record for a POSTed body (orders without ids for a dry run)."""
        kind, trigger, kids = body.get("type"), body.get("trigger-order"), body.get("orders")
        if kind not in ("OTOCO", "OCO"):
            return _bad(f"unsupported complex order type {kind!r}")
        if (kind == "OTOCO") != isinstance(trigger, dict):
            return _bad("an OTOCO needs a trigger order; an OCO has none")
        if not isinstance(kids, list) or len(kids) != 2:
            return _bad("a complex order takes two OCO orders")
        types = sorted(str(k.get("order-type")) for k in kids if isinstance(k, dict))
        if types not in (["Limit", "Stop"], ["Limit", "Stop Limit"]):
            return _bad("the OCO orders are one limit and one stop")
        for part in [trigger, *kids] if trigger else kids:
            checked = self.fake._check(part)
            if isinstance(checked, web.Response):
                return checked
        for part in [] if trigger else kids:  # an OCO's stop works at once
            refused = self.fake.stop_problem(part)
            if refused is not None:
                return refused
        if len({(k["legs"][0]["symbol"], str(k["legs"][0]["quantity"])) for k in kids}) != 1:
            return _bad("the OCO orders are for the same symbol and quantity")
        cid = next(self._ids) if ids else None
        record: dict[str, Any] = {"account-number": n, "type": kind, "related-orders": []}
        if cid is not None:
            record["id"] = cid

        def member(part: dict[str, Any], tag: str, status: str | None) -> dict[str, Any]:
            o = O.new_order(n, part, next(self.fake._ids) if ids else None)
            if cid is not None:
                o.update({"complex-order-id": cid, "complex-order-tag": f"{kind}::{tag}"})
                o["status"] = status or o["status"]
            return o

        if trigger:
            record["trigger-order"] = member(trigger, "trigger-order", None)
        waiting = "Contingent" if trigger else None
        record["orders"] = [member(k, f"oco-order-{i}", waiting) for i, k in enumerate(kids, 1)]
        return record

    def _costs(self, record: dict[str, Any]) -> dict[str, Any]:
        trigger = record.get("trigger-order")
        cost = 0.0
        if trigger is not None:
            leg = trigger["legs"][0]
            sign = 1 if leg["action"].startswith("Buy") else -1
            cost = sign * int(leg["quantity"]) * self.fake.prices[leg["symbol"]]
        return {
            "buying-power-effect": P.buying_power_effect(cost, self.fake.cash * 2),
            "fee-calculation": P.fee_calculation(self.fake.commission, 0.08, 0.02),
        }

    # ---- handlers -----------------------------------------------------------------------
    async def _dry_run(self, request: web.Request) -> web.Response:
        n = self.fake._account(request)
        record = self._parse(n, self.fake.body(request), ids=False)
        if isinstance(record, web.Response):
            return record
        return self.fake._data(
            {"complex-order": record, **self._costs(record), "warnings": []}, 201
        )

    async def _place(self, request: web.Request) -> web.Response:
        n = self.fake._account(request)
        refused = self.fake._preflight()
        if refused is not None:
            return refused
        record = self._parse(n, self.fake.body(request), ids=True)
        if isinstance(record, web.Response):
            return record
        self.orders[record["id"]] = record
        for o in _members(record):
            self.fake.orders[o["id"]] = o
            self.fake.streamer.publish(o)
        self.fake.streamer.publish(record, "ComplexOrder")
        if self.fake.fill_immediately:
            for o in _members(record):
                self.fake.work(o)
        return self.fake._data({"complex-order": record, **self._costs(record)}, 201)

    async def _live(self, request: web.Request) -> web.Response:
        n = self.fake._account(request)
        return self.fake._data(
            {"items": [c for c in self.orders.values() if c["account-number"] == n]}
        )

    async def _get(self, request: web.Request) -> web.Response:
        self.fake._account(request)
        c = self.orders.get(int(request.match_info["id"]))
        if c is None:
            return web.json_response(P.error("record_not_found", "order not found"), status=404)
        return self.fake._data(c)

    async def _delete(self, request: web.Request) -> web.Response:
        self.fake._account(request)
        complex_id = int(request.match_info["id"])
        if complex_id not in self.orders:
            return web.json_response(P.error("record_not_found", "order not found"), status=404)
        if not self.cancel_all(complex_id):
            return web.json_response(
                P.error("order_not_cancellable", "no order of it is open"), status=422
            )
        return self.fake._data(self.orders[complex_id])


def _members(c: dict[str, Any]) -> list[dict[str, Any]]:
    trigger = c.get("trigger-order")
    return ([trigger] if trigger else []) + list(c["orders"])


def _bad(message: str) -> web.Response:
    return web.json_response(P.error("invalid_order", message), status=400)
