"""A loopback Tastytrade REST API that the real tastytrade SDK (v13, OAuth) talks to over HTTP.

Serves what the SDK calls for an equity and options trader: the OAuth refresh (POST
/oauth/token), the customer's accounts, balances, positions, orders (placed, dry-run, live, one,
replace, cancel), complex orders (OTOCO, OCO: complex.py), option orders of 1-4 legs
(option_api.py), and the account streamer websocket at /streamer (streamer.py) that pushes
every order change. Orders carry `external-identifier`; the fake does
*not* de-duplicate it (neither promises the real API), so the adapter's own idempotency is what
tests see. Prices move by `move_price`: working limits and stops it reaches fill at the new
price (order_api.py). Scripted faults: any status (429 with Retry-After, 5xx), a 504 on submit
with the order created anyway or not, a rejected order, a hang, malformed rows. Every request
is recorded with the bearer token and OAuth secrets redacted.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import orders as O
from . import payloads as P
from .complex import ComplexBook
from .option_api import OptionOrderApi
from .option_chains import FakeOptionChains
from .order_api import JSON
from .streamer import PATH as STREAM_PATH
from .streamer import FakeStreamer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
REDACTED = "***"
SECRET_BODY_KEYS = ("client_secret", "refresh_token", "access_token")


@dataclass
class Recorded:
    """One request as the fake saw it (Authorization and OAuth secrets replaced by ***)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int = 0
    fault: str = ""  # "", "injected", "hang", "auth", "after_create"


@dataclass
class Fault:
    """A scripted answer for the next `times` requests matching method and path."""

    path: re.Pattern[str]
    method: str
    times: int
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    create: bool = False  # POST /orders only: create the order, then answer with the fault
    hang: float | None = None


class FakeTastytrade(OptionOrderApi):
    """The fake API on 127.0.0.1 (random port). World state is public so tests can script it."""

    def __init__(
        self,
        *,
        provider_secret: str = "tt-provider-secret-0123456789",
        refresh_token: str = "tt-refresh-token-abcdefghijkl",
        account_numbers: tuple[str, ...] = ("5WT00001",),
        cash: float = 50_000.0,
        token_lifetimes: tuple[int, ...] = (900,),
    ) -> None:
        self.provider_secret = provider_secret
        self.refresh_token = refresh_token
        self.account_numbers = account_numbers
        self.cash = cash
        self.token_lifetimes = list(token_lifetimes)  # one per refresh; the last one repeats
        self.prices: dict[str, float] = {"AAPL": 190.0, "MSFT": 410.0, "SPY": 520.0}
        self.positions: dict[str, list[dict[str, Any]]] = {n: [] for n in account_numbers}
        self.orders: dict[int, dict[str, Any]] = {}
        self.fill_immediately = True  # marketable orders fill on arrival
        self.option_quotes: dict[str, tuple[float, float]] = {}  # OCC -> (bid, ask)
        self.option_fill_units: int | None = None  # option units one fill pass takes
        self.list_complex_members = True  # GET /orders/live lists complex orders' orders too
        self.commission = 0.0
        self.requests: list[Recorded] = []
        self.tokens_issued: list[str] = []
        self._valid: dict[str, float] = {}  # access token -> expiry (server clock)
        self._faults: list[Fault] = []
        self._reject: list[str] = []
        self._ids = itertools.count(400_001)
        self._fill_ids = itertools.count(1)
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.streamer = FakeStreamer(self._token_ok, account_numbers)
        self.complex = ComplexBook(self)
        self.options = FakeOptionChains()  # option chains, quote tokens, DXLink fake

    # ---- lifecycle ----------------------------------------------------------------------
    async def start(self) -> FakeTastytrade:
        app = web.Application(middlewares=[self._middleware])
        r = app.router
        r.add_post("/oauth/token", self._token)
        r.add_get("/customers/me/accounts", self._accounts)
        r.add_get("/accounts/{n}/balances/{currency}", self._balances)
        r.add_get("/accounts/{n}/positions", self._positions)
        r.add_post("/accounts/{n}/orders/dry-run", self._dry_run)
        r.add_post("/accounts/{n}/orders", self._place)
        r.add_get("/accounts/{n}/orders/live", self._live)
        r.add_get("/accounts/{n}/orders/{id:\\d+}", self._get_order)
        r.add_put("/accounts/{n}/orders/{id:\\d+}", self._replace)
        r.add_delete("/accounts/{n}/orders/{id:\\d+}", self._delete)
        self.complex.routes(r)
        self.options.routes(r)
        await self.options.start()
        r.add_get(STREAM_PATH, self.streamer.handle)
        self._released = asyncio.Event()
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        self._released.set()
        await self.streamer.close_all()
        await self.options.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTastytrade:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stream_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{STREAM_PATH}"

    # ---- scripting ----------------------------------------------------------------------
    def fail_next(
        self,
        path_regex: str,
        status: int,
        *,
        method: str = "GET",
        times: int = 1,
        retry_after: float | None = None,
        body: Any = None,
        create: bool = False,
    ) -> None:
        """Answer the next matching requests with `status`; `create` (order POST) places the
        order first, so the client sees a failure although the order exists."""
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        fault = Fault(re.compile(path_regex), method.upper(), times, status, headers, body, create)
        self._faults.append(fault)

    def hang_next(
        self, path_regex: str, *, method: str = "GET", seconds: float = 30.0, create: bool = False
    ) -> None:
        """Hold the next matching request open without answering (until `stop`)."""
        self._faults.append(
            Fault(re.compile(path_regex), method.upper(), 1, 504, create=create, hang=seconds)
        )

    def reject_next_order(self, reason: str = "Insufficient buying power") -> None:
        """The next order POST fails its preflight check (HTTP 422), nothing is created."""
        self._reject.append(reason)

    def expire_tokens(self) -> None:
        """Invalidate every access token issued so far (the next call gets 401)."""
        self._valid.clear()

    def add_position(self, symbol: str, quantity: int, avg_price: float, n: str = "") -> None:
        n = n or self.account_numbers[0]
        mark = self.prices.get(symbol, avg_price)
        self.positions[n].append(P.position(n, symbol, quantity, avg_price, mark))

    def calls(self, path_regex: str = "", method: str = "GET") -> list[Recorded]:
        rx = re.compile(path_regex)
        return [r for r in self.requests if r.method == method and rx.search(r.path)]

    def orders_with(self, external_identifier: str) -> list[dict[str, Any]]:
        return [o for o in self.orders.values() if o["external-identifier"] == external_identifier]

    def fill(self, order_id: int, quantity: int, price: float) -> None:
        """Fill (part of) a working order now (and push the change to the streamer)."""
        order = self.orders[order_id]
        O.add_fill(order, f"F{next(self._fill_ids)}", quantity, price)
        O.move_position(self.positions[order["account-number"]], order, quantity, price)
        self.streamer.publish(order)
        self.complex.changed(order)

    def reject(self, order_id: int, reason: str = "Order rejected by exchange") -> None:
        """The venue rejects a working order after accepting it (pushed to the streamer)."""
        O.reject(self.orders[order_id], reason)
        self.streamer.publish(self.orders[order_id])
        self.complex.changed(self.orders[order_id])

    # stream faults: see streamer.py
    async def drop_stream(self) -> int:
        return await self.streamer.drop()

    def send_raw(self, text: str) -> None:
        self.streamer.send_raw(text)

    def refuse_stream_auth(self, times: int = 1_000_000) -> None:
        self.streamer.refuse(times)

    async def wait_stream(self, connects: int = 1) -> None:
        await self.streamer.wait(connects)

    # ---- middleware ---------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        if isinstance(body, dict):
            body = {k: (REDACTED if k in SECRET_BODY_KEYS else v) for k, v in body.items()}
        headers = {
            k: (REDACTED if k.lower() == "authorization" else v) for k, v in request.headers.items()
        }
        rec = Recorded(request.method, request.path, dict(request.query), headers, body)
        self.requests.append(rec)
        request[JSON] = json.loads(raw) if raw and isinstance(body, dict) else None
        resp = await self._answer(request, handler, rec)
        rec.status = resp.status
        return resp

    async def _answer(
        self, request: web.Request, handler: Handler, rec: Recorded
    ) -> web.StreamResponse:
        if request.path not in ("/oauth/token", STREAM_PATH):  # the streamer checks messages
            auth = request.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ")
            if not auth.startswith("Bearer ") or not self._token_ok(token):
                rec.fault = "auth"
                return web.json_response(P.error("unauthorized", "token invalid"), status=401)
        fault = next(
            (
                f
                for f in self._faults
                if f.times > 0 and f.method == request.method and f.path.search(request.path)
            ),
            None,
        )
        if fault is None:
            try:
                return await handler(request)
            except web.HTTPException as e:
                return web.json_response(P.error("http_error", e.reason), status=e.status)
        fault.times -= 1
        if fault.create:
            await handler(request)
            rec.fault = "after_create"
        else:
            rec.fault = "injected"
        if fault.hang is not None:
            rec.fault = "hang"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), fault.hang)
        body = fault.body if fault.body is not None else P.error("injected", "scripted fault")
        return web.json_response(body, status=fault.status, headers=fault.headers)

    # ---- handlers -----------------------------------------------------------------------
    def _token_ok(self, token: str) -> bool:
        return self._valid.get(token, 0) > time.time()

    def _account(self, request: web.Request) -> str:
        n = request.match_info["n"]
        if n not in self.account_numbers:
            raise web.HTTPNotFound(reason="account not found")
        return n

    async def _token(self, request: web.Request) -> web.Response:
        body = request[JSON] or {}
        if (
            body.get("grant_type") != "refresh_token"
            or body.get("client_secret") != self.provider_secret
            or body.get("refresh_token") != self.refresh_token
        ):
            return web.json_response(
                {"error": "invalid_grant", "error_description": "bad credentials"}, status=400
            )
        lifetime = (
            self.token_lifetimes.pop(0)
            if len(self.token_lifetimes) > 1
            else (self.token_lifetimes[0])
        )
        token = f"tt-access-{len(self.tokens_issued) + 1}-{int(time.time() * 1000)}"
        self.tokens_issued.append(token)
        self._valid[token] = time.time() + lifetime
        return web.json_response(
            {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
        )

    async def _accounts(self, request: web.Request) -> web.Response:
        return self._data({"items": [P.account(n) for n in self.account_numbers]})

    async def _balances(self, request: web.Request) -> web.Response:
        n = self._account(request)
        long_value = sum(
            float(p["quantity"]) * float(p.get("mark") or 0) * float(p.get("multiplier") or 1)
            for p in self.positions[n]
            if isinstance(p.get("quantity"), str) and p.get("quantity-direction") == "Long"
        )
        return self._data(P.balances(n, self.cash, long_value, self.cash * 2))

    async def _positions(self, request: web.Request) -> web.Response:
        return self._data({"items": self.positions[self._account(request)]})
