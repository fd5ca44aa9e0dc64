"""The fake's option orders on its order endpoints (a part of FakeTastytrade, server.py).

POST /accounts/{n}/orders and /orders/dry-run take a body with "Equity Option" legs as
Tastytrade does (option_orders.py checks legs, padded symbols, actions, closing positions and
the price's effect). An order fills when it is marketable against the option quotes: the
`option_quotes` table (`quote_option`), else the contract's DXLink quote seeded through
`options.price`. Legs fill at their natural prices (sells at the bid, buys at the ask), in
whole units; `option_fill_units` caps how many units one pass fills (a partial fill), and
`fill_option` / `fill_leg` fill by hand (one leg alone too). Fills move the account's option
positions. The dry run answers the buying power the order would use (option_orders.py).
A lost reply is the stock orders' fault: `fail_next("/orders$", 504, method="POST",
create=True)` places the order and answers 504.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import option_orders as OO
from . import payloads as P
from .order_api import OrderApi

if TYPE_CHECKING:
    from .option_chains import FakeOptionChains


class OptionOrderApi(OrderApi):
    """Option orders on top of the equity order handlers (the state is the fake's)."""

    options: FakeOptionChains
    positions: dict[str, list[dict[str, Any]]]
    option_quotes: dict[str, tuple[float, float]]  # unpadded OCC -> (bid, ask)
    option_fill_units: int | None  # units one marketable pass fills (None: all)
    _fill_ids: itertools.count[int]

    # ---- scripting ----------------------------------------------------------------------
    def quote_option(self, symbol: str, bid: float, ask: float) -> None:
        """Quote a contract (either OCC form); working option orders it makes marketable
        fill now."""
        self.option_quotes[OO.unpadded(symbol).upper()] = (bid, ask)
        c = self.options.contract(symbol)
        if c is not None:
            self.options.price(c, bid=bid, ask=ask)
        for order in sorted(self.orders.values(), key=lambda o: o["id"]):
            if any(OO.unpadded(leg["symbol"]) == OO.unpadded(symbol) for leg in order["legs"]):
                self.work(order)

    def quote_of(self, symbol: str) -> tuple[float, float] | None:
        """(bid, ask) of a contract: the table first, else its DXLink quote."""
        return self.option_quotes.get(OO.unpadded(symbol).upper()) or self.options.quote(symbol)

    def fill_option(self, order_id: int, units: int, prices: Sequence[float] = ()) -> None:
        """Fill `units` whole units of an option order now, each leg at `prices` (premium per
        share, one per leg) or else at its natural price; pushed to the streamer."""
        order = self.orders[order_id]
        px = list(prices) or OO.leg_prices(order, self.quote_of)
        if px is None or len(px) != len(order["legs"]):
            raise ValueError(f"order {order_id}: no price for every leg")
        for i, leg in enumerate(order["legs"]):
            self._leg_fill(order, i, units * OO.ratio(order, leg), px[i])
        self.streamer.publish(order)

    def fill_leg(self, order_id: int, leg: int, quantity: int, price: float) -> None:
        """Fill `quantity` contracts of one leg alone (an uneven partial fill)."""
        order = self.orders[order_id]
        self._leg_fill(order, leg, quantity, price)
        self.streamer.publish(order)

    def _leg_fill(self, order: dict[str, Any], i: int, quantity: int, price: float) -> None:
        if quantity <= 0:
            return
        OO.add_leg_fill(order, i, f"F{next(self._fill_ids)}", quantity, price)
        n = order["account-number"]
        OO.move_option_position(self.positions[n], n, order["legs"][i], quantity, price)

    def _held(self, n: str) -> Any:
        def held(symbol: str) -> int:
            row = next((p for p in self.positions[n] if p["symbol"] == symbol), None)
            if row is None:
                return 0
            return int(row["quantity"]) * (1 if row["quantity-direction"] == "Long" else -1)

        return held

    def _known(self, symbol: str) -> bool:
        return (
            OO.unpadded(symbol).upper() in self.option_quotes
            or self.options.contract(symbol) is not None
        )

    # ---- order handlers -----------------------------------------------------------------
    def work(self, order: dict[str, Any]) -> None:
        """Fill what is left of a live order if the market reaches it (options: up to
        `option_fill_units` units at the legs' natural prices)."""
        if not OO.is_option_body(order):
            return super().work(order)
        if order["status"] != "Live":
            return
        prices = OO.leg_prices(order, self.quote_of)
        left = OO.units_left(order)
        if left and OO.marketable(order, prices):
            assert prices is not None
            self.fill_option(order["id"], min(left, self.option_fill_units or left), prices)

    def _option_checked(self, request: web.Request) -> dict[str, Any] | web.Response:
        n, body = self._account(request), self.body(request)
        refused = OO.problem(body, self._known, self.quote_of, self._held(n))
        return refused if refused is not None else body

    def _costs(self, order: dict[str, Any]) -> dict[str, Any]:
        cost = OO.buying_power_cost(order, self.prices.get(order["underlying-symbol"]))
        bp = P.buying_power_effect(cost, self.cash * 2, margin=cost)
        bp["is-spread"] = len(order["legs"]) > 1
        contracts = sum(int(leg["quantity"]) for leg in order["legs"])
        fees = P.fee_calculation(self.commission, 0.10 * contracts, 0.02 * contracts)
        return {"buying-power-effect": bp, "fee-calculation": fees}

    async def _dry_run(self, request: web.Request) -> web.Response:
        if not OO.is_option_body(self.body(request)):
            return await super()._dry_run(request)
        checked = self._option_checked(request)
        if isinstance(checked, web.Response):
            return checked
        order = OO.new_option_order(self._account(request), checked, None)
        return self._data({"order": order, **self._costs(order), "warnings": []}, 201)

    async def _place(self, request: web.Request) -> web.Response:
        if not OO.is_option_body(self.body(request)):
            return await super()._place(request)
        refused = self._preflight()
        if refused is not None:
            return refused
        checked = self._option_checked(request)
        if isinstance(checked, web.Response):
            return checked
        order = OO.new_option_order(self._account(request), checked, next(self._ids))
        self.orders[order["id"]] = order
        self.streamer.publish(order)
        costs = self._costs(order)
        if self.fill_immediately:
            self.work(order)
        return self._data({"order": order, **costs}, 201)

    async def _replace(self, request: web.Request) -> web.Response:
        old = self.orders.get(int(request.match_info["id"]))
        if old is not None and OO.is_option_body(old):
            return OO.bad(422, "order_not_editable", "the fake does not replace option orders")
        return await super()._replace(request)
