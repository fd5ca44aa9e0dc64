"""A loopback Alpaca Trading API v2 that an unmodified alpaca-py TradingClient talks to.

Usage::

    fake = FakeAlpacaTrading(cash=100_000.0)
    fake.set_policy("AAPL", FillPolicy("fill", price=190.0))
    await fake.start()
    client = TradingClient(fake.key_id, fake.secret_key, url_override=fake.base_url)

Endpoints: GET /v2/account, GET /v2/positions, POST /v2/orders, GET /v2/orders (status
open|closed|all, limit, symbols), GET /v2/orders:by_client_order_id, GET/PATCH/DELETE
/v2/orders/{id} (PATCH replaces: protective.py; ``replaced`` holds the bodies). Wire shapes
follow Alpaca: numbers as strings, RFC 3339 stamps, a duplicate client_order_id answers 422
``{"code": 40010001, "message": "client_order_id must be unique"}``, too little buying power
403 ``{"code": 40310000, ...}``. An order fills per the policy of its symbol (``fill`` at a
price, ``partial`` quantity now, ``reject`` or stay ``new``); ``fill()`` fills more later,
``set_price()`` works the stops and limits a price reaches. Brackets and OCO pairs (held
legs, ``nested=true`` reads, one-cancels-other, 422 for wrong-sided legs) are in
protective.py. ``fail_after_create()`` answers the next submit with an error (or a hang)
*after* the order was created, as a gateway timeout at the venue can (option orders too).
Option orders (``order_class=mleg`` with 2-4 legs, or a simple order on an OCC contract the
``options`` book lists) are checked, filled against the book's quotes and booked as option
positions by option_orders.py (``option_fill``, ``fill_option()``, ``set_option_quote()``).

The trade-update websocket is served at ``/stream`` on the same host (``ws_url``; see
stream_server.py): every order change (new, partial_fill, fill, canceled, expired, rejected)
is pushed to subscribed sockets. Faults: ``drop_stream()``, ``send_raw()``,
``refuse_stream_auth()``; ``stream`` holds what it saw and sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from .accounts import account_wire, num, position_wire
from .base import ApiError, FakeAlpacaServer, Fault, Handler, error_body
from .data_server import rfc3339
from .option_orders import OptionOrders, is_option, is_option_body
from .options_server import OptionBook, option_routes
from .order_wire import new_order
from .protective import ProtectiveOrders
from .stream_server import FakeTradeStream

DUPLICATE = {"code": 40010001, "message": "client_order_id must be unique"}
NO_BUYING_POWER = {"code": 40310000, "message": "insufficient buying power"}
OPEN = {"new", "accepted", "pending_new", "partially_filled", "pending_cancel", "held"}


@dataclass
class FillPolicy:
    """What happens to a new order: ``fill`` (all at ``price``), ``partial`` (``qty`` at
    ``price``), ``reject`` (status rejected), or ``new`` (stays working)."""

    mode: str = "fill"
    price: float = 100.0
    qty: int = 0
    reason: str = "rejected by the venue"


class FakeAlpacaTrading(OptionOrders, ProtectiveOrders, FakeAlpacaServer):
    """Account, positions and orders of one paper account (brackets, OCO: protective.py;
    options, one leg or several: option_orders.py)."""

    open_paths = frozenset({"/stream"})

    def __init__(self, *, cash: float = 100_000.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.account_id = str(uuid.uuid4())
        self.cash = cash
        self.positions: dict[str, dict[str, Any]] = {}  # symbol -> wire position
        self.extra_positions: list[dict[str, Any]] = []  # raw injected (bad) entries
        self.orders: dict[str, dict[str, Any]] = {}  # id -> wire order
        self.submitted: list[dict[str, Any]] = []  # every accepted POST body
        self.replaced: list[dict[str, Any]] = []  # every accepted PATCH body
        self.policies: dict[str, FillPolicy] = {}
        self.default_policy = FillPolicy("new")
        self._after_create: list[tuple[int, float | None]] = []
        self.stream = FakeTradeStream(lambda: (self.key_id, self.secret_key), self._now)
        self._init_protective()
        self.options = OptionBook()  # options_server.py: GET /v2/options/contracts
        self._init_options()

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/v2/account", self._account),
            ("GET", "/v2/positions", self._positions),
            ("POST", "/v2/orders", self._submit),
            ("GET", "/v2/orders", self._list),
            ("GET", "/v2/orders:by_client_order_id", self._by_client_id),
            ("GET", "/v2/orders/{order_id}", self._get),
            ("PATCH", "/v2/orders/{order_id}", self._replace),
            ("DELETE", "/v2/orders/{order_id}", self._cancel),
            ("GET", "/stream", self.stream.handle),
            *option_routes(self, "trading"),
        ]

    async def stop(self) -> None:
        self.stream.drop()
        await super().stop()

    @property
    def ws_url(self) -> str:
        """The trade-update websocket (what TradingStream's url_override should be)."""
        return f"ws://127.0.0.1:{self.port}/stream"

    def drop_stream(self) -> int:
        """Abort every stream socket without a close frame; returns how many."""
        return self.stream.drop()

    def send_raw(self, text: str) -> int:
        """Push ``text`` (e.g. malformed JSON) to every subscribed stream socket."""
        return self.stream.send_raw(text)

    def refuse_stream_auth(self, times: int = 1) -> None:
        """Answer the next ``times`` stream logins ``unauthorized``, whatever the keys."""
        self.stream.refuse_auth(times)

    # ---- scripting ---------------------------------------------------------------------
    def set_policy(self, symbol: str, policy: FillPolicy) -> None:
        self.policies[symbol] = policy

    def fail_after_create(self, status: int = 504, *, hang: float | None = None) -> None:
        """The next submit creates its order, then answers ``status`` (or hangs first)."""
        self._after_create.append((status, hang))

    def hang_submit(self, *, seconds: float = 30.0) -> None:
        """The next submit hangs without creating anything (until ``release()``)."""
        self._faults.append(Fault(re.compile(r"^/v2/orders$"), "POST", 1, 504, hang=seconds))

    def add_position(self, symbol: str, qty: int, avg_price: float) -> None:
        self._set_position(symbol, qty, avg_price)

    def inject_position(self, raw: dict[str, Any]) -> None:
        """Serve this raw entry in GET /v2/positions as it is (bad data tests)."""
        self.extra_positions.append(raw)

    def fill(self, client_order_id: str, qty: int, price: float) -> dict[str, Any]:
        """Fill ``qty`` more of a working order at ``price``."""
        order = self._find_client(client_order_id)
        if order is None:
            raise KeyError(client_order_id)
        if is_option(order):
            raise ValueError(f"{client_order_id} is an option order: use fill_option()")
        self._apply_fill(order, qty, price)
        return order

    def expire(self, client_order_id: str) -> dict[str, Any]:
        """End a working order as Alpaca does at the close of a day order."""
        order = self._find_client(client_order_id)
        if order is None or order["status"] not in OPEN:
            raise KeyError(client_order_id)
        self.end(order, "expired")
        return order

    def add_open_order(
        self, symbol: str, client_order_id: str, qty: int = 1, side: str = "buy"
    ) -> dict[str, Any]:
        """A working market order placed by someone (not through the API), no push."""
        body = {"symbol": symbol, "qty": str(qty), "side": side, "type": "market"}
        order = new_order(body, client_order_id, self._now())
        order["status"] = "new"
        self.orders[order["id"]] = order
        return order

    def orders_for(self, client_order_id: str) -> list[dict[str, Any]]:
        return [o for o in self.orders.values() if o["client_order_id"] == client_order_id]

    # ---- world ---------------------------------------------------------------------------
    def _now(self) -> str:
        return rfc3339(datetime.fromtimestamp(self.wall(), UTC))

    def _find_client(self, client_order_id: str) -> dict[str, Any] | None:
        return next(
            (o for o in self.orders.values() if o["client_order_id"] == client_order_id), None
        )

    def _set_position(self, symbol: str, qty: int, avg: float) -> None:
        if qty == 0:
            self.positions.pop(symbol, None)
            return
        self.positions[symbol] = position_wire(symbol, qty, avg)

    def _apply_fill(self, order: dict[str, Any], qty: int, price: float) -> None:
        total, done = int(order["qty"]), int(order["filled_qty"])
        qty = min(qty, total - done)
        if qty <= 0 or order["status"] not in OPEN:
            return
        prev_avg = float(order["filled_avg_price"] or 0)
        new_done = done + qty
        order["filled_avg_price"] = num((prev_avg * done + price * qty) / new_done)
        order["filled_qty"] = str(new_done)
        order["status"] = "filled" if new_done >= total else "partially_filled"
        order["updated_at"] = self._now()
        if order["status"] == "filled":
            order["filled_at"] = order["updated_at"]
        sign = 1 if order["side"] == "buy" else -1
        self.cash -= sign * qty * price
        pos = self.positions.get(order["symbol"])
        held = int(pos["qty"]) if pos else 0
        avg = float(pos["avg_entry_price"]) if pos else price
        new = held + sign * qty
        if held == 0 or (held > 0) == (sign > 0):
            avg = (abs(held) * avg + qty * price) / abs(new)
        self._set_position(order["symbol"], new, avg)
        event = "fill" if order["status"] == "filled" else "partial_fill"
        self._push(event, order, price=price, qty=qty, position_qty=new)
        self.after_fill(order, qty)

    def _push(self, event: str, order: dict[str, Any], **fill: Any) -> None:
        """A trade update: the order as it is now, a parent with its legs."""
        self.stream.publish(event, self.wire(order, nested=True), **fill)

    def _mark(self, symbol: str) -> float:
        """The symbol's price: set_price()'s, the policy's, else the position's."""
        if symbol in self.marks:
            return self.marks[symbol]
        if symbol in self.policies:
            return self.policies[symbol].price
        pos = self.positions.get(symbol)
        return float(pos["current_price"]) if pos else self.default_policy.price

    # ---- handlers ------------------------------------------------------------------------
    async def _account(self, request: web.Request) -> web.Response:
        return web.json_response(account_wire(self.account_id, self.cash, self.positions))

    async def _positions(self, request: web.Request) -> web.Response:
        return web.json_response(list(self.positions.values()) + self.extra_positions)

    async def _submit(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "request body format is invalid") from None
        cid = str(body.get("client_order_id") or uuid.uuid4())
        if self._find_client(cid) is not None:
            return web.json_response(DUPLICATE, status=422)
        if is_option_body(body):  # option_orders.py: checked, stored and worked
            order = self.new_option_order(body, cid)
            self.submitted.append(body)
        else:
            sent, body = body, self.protective_body(body)
            order = new_order(body, cid, self._now())
            legs = self.make_legs(order, body)
            policy = self.policies.get(order["symbol"], self.default_policy)
            if order["side"] == "buy":
                price = float(order["limit_price"] or self._mark(order["symbol"]))
                if int(order["qty"]) * price > self.cash:
                    return web.json_response(NO_BUYING_POWER, status=403)
            self.orders[order["id"]] = order
            self.store_legs(order, legs)
            self.submitted.append(sent)
            self._work(order, policy)
        if self._after_create:
            status, hang = self._after_create.pop(0)
            if hang is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._released.wait(), hang)
            return web.json_response(error_body(status, "gateway timeout"), status=status)
        return web.json_response(self.wire(order, nested=True))

    def _work(self, order: dict[str, Any], policy: FillPolicy) -> None:
        order["status"] = "new"
        if order["order_class"] == "oco":  # an exit pair works until the price reaches it
            for member in (order, *self._legs(order)):
                self._push("new", member)
            return
        if policy.mode == "reject":
            order["status"] = "rejected"
            order["failed_at"] = self._now()
            self._push("rejected", order)
            for leg in self._legs(order):
                self.end(leg, "canceled")
            return
        self._push("new", order)
        if policy.mode == "fill":
            self._apply_fill(order, int(order["qty"]), policy.price)
        elif policy.mode == "partial":
            self._apply_fill(order, policy.qty, policy.price)

    async def _list(self, request: web.Request) -> web.Response:
        status = request.query.get("status", "open")
        if status not in ("open", "closed", "all"):
            raise ApiError(422, f"invalid status {status!r}")
        try:
            limit = int(request.query.get("limit", "50"))
        except ValueError:
            raise ApiError(422, "invalid limit") from None
        symbols = {s for s in request.query.get("symbols", "").split(",") if s}
        until = _when(request.query.get("until"))
        out = [
            o
            for o in self.listing(status, nested=_flag(request, "nested"))
            if (not symbols or o.get("symbol") in symbols)
            and (until is None or _when(o["submitted_at"]) < until)  # type: ignore[operator]
        ]
        out.sort(key=lambda o: _when(o["submitted_at"]), reverse=True)
        return web.json_response(out[: max(1, min(limit, 500))])

    async def _by_client_id(self, request: web.Request) -> web.Response:
        order = self._find_client(request.query.get("client_order_id", ""))
        if order is None:
            raise ApiError(404, "order not found")
        nested = _flag(request, "nested") and self.nest_on_client_lookup
        return web.json_response(self.wire(order, nested=nested))

    def _by_id(self, request: web.Request) -> dict[str, Any]:
        order_id = request.match_info["order_id"]
        try:
            uuid.UUID(order_id)
        except ValueError:
            raise ApiError(422, "order_id is missing") from None
        order = self.orders.get(order_id)
        if order is None:
            raise ApiError(404, "order not found")
        return order

    async def _get(self, request: web.Request) -> web.Response:
        return web.json_response(self.wire(self._by_id(request), _flag(request, "nested")))

    async def _replace(self, request: web.Request) -> web.Response:
        order = self._by_id(request)
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "request body format is invalid") from None
        if not isinstance(body, dict) or not body:
            raise ApiError(422, "nothing to replace")
        cid = str(body.get("client_order_id") or uuid.uuid4())
        if self._find_client(cid) is not None:
            return web.json_response(DUPLICATE, status=422)
        new = self.replace(order, body, cid)
        self.replaced.append(body)
        return web.json_response(self.wire(new, nested=False))

    async def _cancel(self, request: web.Request) -> web.Response:
        order = self._by_id(request)
        if order["status"] not in OPEN:
            raise ApiError(422, f'order is already in "{order["status"]}" state')
        self.end(order, "canceled")  # a parent's legs and a pair's sibling go with it
        return web.Response(status=204)


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("true", "1")


def _when(text: str | None) -> datetime | None:
    """An RFC 3339 time (the API's `until` is exclusive)."""
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(422, f"invalid timestamp {text!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)
