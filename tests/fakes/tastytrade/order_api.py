"""The fake's single-order endpoints (place, dry run, live, one, cancel) and its price moves,
as a part of FakeTastytrade (server.py), which owns the state they read and change."""

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
