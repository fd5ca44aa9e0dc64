"""The fake's single-order endpoints (place, dry run, live, one, replace, cancel) and its price
moves, as a part of FakeTastytrade (server.py), which owns the state they read and change.

Replace (PUT /orders/{id}, the body an order without legs, as the SDK's `replace_order` sends
it): a new order with a new id takes the place of a working one, for the same legs (what is
left of them) with the body's type, prices, time in force and external identifier; it names
the old one (`replaces-order-id`), which ends Cancelled (the SDK's OrderStatus has no
"Replaced"), edited, naming its successor (`replacing-order-id`). In a complex order the
successor takes the old order's place and the old one is listed among `related-orders`. 422
for an order that is no longer working, and for a stop trigger the price is already through
(a sell stop at or above the price, a buy stop at or below), as for an OCO's stop.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import orders as O
from . import payloads as P

JSON = web.RequestKey("json", object)  # the request body the middleware parsed

if TYPE_CHECKING:
    from .complex import ComplexBook
    from .streamer import FakeStreamer


class OrderApi:
    """Order handlers and price moves of FakeTastytrade (a mixin: the state is the fake's)."""

    orders: dict[int, dict[str, Any]]
    prices: dict[str, float]
    cash: float
    commission: float
    fill_immediately: bool
    list_complex_members: bool
    streamer: FakeStreamer
    complex: ComplexBook
    _reject: list[str]
    _ids: itertools.count[int]

    def fill(self, order_id: int, quantity: int, price: float) -> None:
        raise NotImplementedError  # FakeTastytrade's

    def _account(self, request: web.Request) -> str:
        raise NotImplementedError  # FakeTastytrade's

    @staticmethod
    def _data(data: Any, status: int = 200) -> web.Response:
        return web.json_response({"data": data, "context": "/fake"}, status=status)

    @staticmethod
    def body(request: web.Request) -> dict[str, Any]:
        """The request's JSON object as the middleware parsed it ({} when there is none)."""
        return request[JSON] or {}  # type: ignore[return-value]

    def move_price(self, symbol: str, price: float) -> None:
        """The market moves: every working order on `symbol` that `price` reaches fills now,
        at `price` (a stop gapped through fills at the gap, not at its trigger)."""
        self.prices[symbol] = price
        for order in sorted(self.orders.values(), key=lambda o: o["id"]):
            if order["legs"][0]["symbol"] == symbol:
                self.work(order)

    def work(self, order: dict[str, Any]) -> None:
        """Fill what is left of a live order if the current price reaches it."""
        leg, px = order["legs"][0], self.prices.get(order["legs"][0]["symbol"])
        if order["status"] != "Live" or px is None:
            return
        if O.marketable(order, px) or O.triggered(order, px):
            self.fill(order["id"], int(leg["remaining-quantity"]), px)

    def _check(self, body: dict[str, Any]) -> tuple[str, int, float] | web.Response:
        legs = body.get("legs") or []
        if len(legs) != 1 or legs[0].get("instrument-type") != "Equity":
            return web.json_response(P.error("invalid_order", "one equity leg"), status=400)
        symbol = legs[0]["symbol"]
        if symbol not in self.prices:
            return web.json_response(
                P.error("invalid_symbol", f"Symbol {symbol} not found"), status=422
            )
        return symbol, int(legs[0]["quantity"]), self.prices[symbol]

    async def _dry_run(self, request: web.Request) -> web.Response:
        n = self._account(request)
        checked = self._check(self.body(request))
        if isinstance(checked, web.Response):
            return checked
        _, qty, px = checked
        order = O.new_order(n, self.body(request), None)
        buy = order["legs"][0]["action"].startswith("Buy")
        cost = qty * px if buy else -qty * px
        return self._data(
            {
                "order": order,
                "buying-power-effect": P.buying_power_effect(cost, self.cash * 2),
                "fee-calculation": P.fee_calculation(self.commission, 0.08, 0.02),
                "warnings": [],
            },
            201,
        )

    async def _place(self, request: web.Request) -> web.Response:
        n = self._account(request)
        refused = self._preflight()
        if refused is not None:
            return refused
        checked = self._check(self.body(request))
        if isinstance(checked, web.Response):
            return checked
        _, qty, px = checked
        order = O.new_order(n, self.body(request), next(self._ids))
        self.orders[order["id"]] = order
        self.streamer.publish(order)
        if self.fill_immediately and O.marketable(order, px):
            self.fill(order["id"], qty, px)
        return self._data(
            {
                "order": order,
                "buying-power-effect": P.buying_power_effect(qty * px, self.cash * 2),
                "fee-calculation": P.fee_calculation(self.commission, 0.08, 0.02),
            },
            201,
        )

    def _preflight(self) -> web.Response | None:
        """A scripted preflight failure (reject_next_order) for an order or complex POST."""
        if not self._reject:
            return None
        return web.json_response(
            P.error(
                "preflight_check_failure",
                "One or more preflight checks failed",
                [{"code": "margin_check_failed", "message": self._reject.pop(0)}],
            ),
            status=422,
        )

    async def _live(self, request: web.Request) -> web.Response:
        n = self._account(request)
        members = self.list_complex_members
        items = [
            o
            for o in self.orders.values()
            if o["account-number"] == n and (members or o.get("complex-order-id") is None)
        ]
        return self._data({"items": items})

    async def _get_order(self, request: web.Request) -> web.Response:
        self._account(request)
        order = self.orders.get(int(request.match_info["id"]))
        if order is None:
            return web.json_response(P.error("record_not_found", "order not found"), status=404)
        return self._data(order)

    def stop_problem(self, part: dict[str, Any]) -> web.Response | None:
        """The venue's 422 for a stop whose trigger the price is already through, or None."""
        leg = part["legs"][0]
        px = self.prices.get(leg["symbol"])
        if part.get("order-type") != "Stop" or px is None or part.get("stop-trigger") is None:
            return None
        sell, stop = str(leg["action"]).startswith("Sell"), float(part["stop-trigger"])
        if (stop < px) if sell else (stop > px):
            return None
        way, side = ("below", "sell") if sell else ("above", "buy")
        message = f"Stop trigger {stop:g} must be {way} the current price {px:g} for a {side} stop"
        return web.json_response(
            P.error(
                "preflight_check_failure",
                "One or more preflight checks failed",
                [{"code": "invalid_stop_trigger", "message": message}],
            ),
            status=422,
        )

    async def _replace(self, request: web.Request) -> web.Response:
        n = self._account(request)
        old = self.orders.get(int(request.match_info["id"]))
        if old is None:
            return web.json_response(P.error("record_not_found", "order not found"), status=404)
        if old["status"] not in P.OPEN_STATUSES or old["status"] == "Cancel Requested":
            return web.json_response(
                P.error("order_not_editable", f"order is {old['status']}"), status=422
            )
        leg = old["legs"][0]
        part = {**self.body(request), "legs": [{**leg, "quantity": leg["remaining-quantity"]}]}
        refused = self.stop_problem(part)
        if refused is not None:
            return refused
        new = O.new_order(n, part, next(self._ids))
        new["replaces-order-id"] = old["id"]
        if old["status"] == "Contingent":  # still waiting for its trigger
            new["status"] = "Contingent"
        O.cancel(old)
        old.update({"replacing-order-id": new["id"], "edited": True})
        self.orders[new["id"]] = new
        self.complex.replaced(old, new)
        self.streamer.publish(old)
        self.streamer.publish(new)
        if self.fill_immediately:
            self.work(new)
        return self._data(new)

    async def _delete(self, request: web.Request) -> web.Response:
        self._account(request)
        order = self.orders.get(int(request.match_info["id"]))
        if order is None:
            return web.json_response(P.error("record_not_found", "order not found"), status=404)
        if order["status"] not in P.OPEN_STATUSES:
            return web.json_response(
                P.error("order_not_cancellable", f"order is {order['status']}"), status=422
            )
        if order.get("complex-order-id") is not None:  # the whole complex order goes
            self.complex.cancel_all(order["complex-order-id"])
        else:
            O.cancel(order)
            self.streamer.publish(order)
        return self._data(order)
