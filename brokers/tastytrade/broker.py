"""The Tastytrade broker: equity orders through the official SDK (v13, async, OAuth).

Exactly once: every order carries the proposal id as `external_identifier`. `submit` first
looks for an order with that identifier (this process's memory, then today's orders at the
venue) and returns it. When a placement's outcome is unknown (timeout, dropped connection, 5xx)
it looks again before anything else; only when the venue clearly has no such order does it
place it one more time. If that look-up itself fails, it raises instead of resending.

Brackets and protective pairs go out as Tastytrade complex orders (OTOCO, OCO: complex.py); the
same look-up finds them by their orders' external identifiers, in today's orders and, failing
that, in today's complex orders. A working stop is moved by `replace_stop` (replace.py).
Options orders (1-4 legs at a net price: option_orders.py) are single orders, sent, found and
read like an equity order; their views carry each leg's fills in `option_legs`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from loguru import logger
from tastytrade import Account as TTAccount
from tastytrade.order import PlacedComplexOrder, PlacedOrder

from brokers.base import BrokerError, OrderRejectedError
from brokers.tastytrade.complex import (
    COMPLEX_PREFIX,
    complex_view,
    is_complex,
    members,
    order_views,
    parent_id,
    to_complex,
)
from brokers.tastytrade.convert import (
    BrokerDataError,
    DryRunResult,
    action,
    rejection,
    to_account,
    to_dry_run,
    to_position,
    to_sdk_order,
)
from brokers.tastytrade.option_orders import progress, to_option_order, to_view
from brokers.tastytrade.placing import TastytradePlacer
from brokers.tastytrade.replace import TastytradeStopMover
from brokers.tastytrade.stream import TastytradeOrderStream, stream_url
from brokers.tastytrade.transport import RetryPolicy, Transport
from models.domain import (
    Account,
    BrokerOrder,
    BrokerPosition,
    OrderRequest,
    OrderRole,
    child_client_id,
)

HELD = ("Equity", "Equity Option")  # the instrument types positions() reports


class TastytradeBroker(TastytradeStopMover, TastytradePlacer):
    """Broker protocol over one Tastytrade account (the first one when none is named)."""

    name = "tastytrade"
    supports_bracket = True  # sent as an OTOCO complex order (complex.py)

    def __init__(
        self,
        provider_secret: str,
        refresh_token: str,
        *,
        account_number: str | None = None,
        api_base: str | None = None,
        sandbox: bool = False,
        timeout: float = 10.0,
        policy: RetryPolicy | None = None,
        sleep: Any = asyncio.sleep,
    ) -> None:
        self.sandbox = sandbox  # Tastytrade's certification environment (paper mode)
        self._t = Transport(
            provider_secret,
            refresh_token,
            api_base=api_base,
            is_test=sandbox,
            timeout=timeout,
            policy=policy,
            sleep=sleep,
        )
        self._account_number = account_number
        self._api_base = api_base
        self._account: TTAccount | None = None
        self._ids: dict[str, int] = {}  # client order id -> venue order id
        self._groups: dict[str, int] = {}  # client order id -> its complex order's id
        self._seen: dict[str, tuple[str, int, tuple[int, ...]]] = {}  # client id -> progress
        self._locks: dict[str, asyncio.Lock] = {}
        self.issues: list[str] = []  # bad broker data seen (user-safe text)

    def __repr__(self) -> str:
        return f"TastytradeBroker(account={self._account_number or '?'})"

    @property
    def transport(self) -> Transport:
        """The session and retry policy this broker uses (other adapters share its login)."""
        return self._t

    def bad_data(self) -> list[str]:
        return list(self.issues)

    def order_stream(self, **kw: Any) -> TastytradeOrderStream:
        """This account's pushed order updates (OrderStream); kw: backoff/heartbeat/sleep."""

        async def number() -> str:
            return (await self._acct()).account_number

        return TastytradeOrderStream(
            lambda: self._t.session,
            number,
            url=stream_url(self._api_base, is_test=self._t.session.is_test),
            convert=self._convert,  # also records `issues` and the id map
            **kw,
        )

    async def close(self) -> None:
        await self._t.close()

    # ------------------------------------------------------------------ helpers
    async def _acct(self) -> TTAccount:
        if self._account is None:
            s = self._t.session
            accounts = await self._t.read("accounts", lambda: TTAccount.get(s))
            if not accounts:
                raise BrokerError("no open Tastytrade account for this login")
            if self._account_number is None:
                self._account = accounts[0]
            else:
                match = [a for a in accounts if a.account_number == self._account_number]
                if not match:
                    raise BrokerError(f"Tastytrade account {self._account_number} not found")
                self._account = match[0]
            self._account_number = self._account.account_number
        return self._account

    def _bad(self, e: BrokerDataError) -> BrokerDataError:
        self.issues.append(str(e))
        logger.error("tastytrade: {}", e)
        return e

    def _convert(self, o: PlacedOrder) -> BrokerOrder:
        try:
            order = to_view(o)
        except BrokerDataError as e:
            raise self._bad(e) from None
        if o.external_identifier:
            self._ids[o.external_identifier] = o.id
            if o.complex_order_id is not None:
                self._groups[o.external_identifier] = int(o.complex_order_id)
        return order

    def _view(self, c: PlacedComplexOrder, cid: str) -> BrokerOrder | None:
        parent = parent_id(c)
        if parent:
            self._groups[parent] = c.id
        return complex_view(c, cid, self._convert)

    async def _read[R](self, what: str, fn: Callable[[], Awaitable[R]]) -> R:
        try:
            return await self._t.read(what, fn)
        except BrokerDataError as e:
            raise self._bad(e) from None

    async def _live(self) -> list[PlacedOrder]:
        acct, s = await self._acct(), self._t.session
        return await self._read("orders", lambda: acct.get_live_orders(s))

    async def _live_complex(self) -> list[PlacedComplexOrder]:
        acct, s = await self._acct(), self._t.session
        return await self._read("complex orders", lambda: acct.get_live_complex_orders(s))

    async def _all_live(self) -> list[PlacedOrder]:
        """Today's orders, the orders of today's complex orders included (once each)."""
        orders = {o.id: o for o in await self._live()}
        for c in await self._live_complex():
            for o in members(c):
                orders.setdefault(o.id, o)
        return sorted(orders.values(), key=lambda o: o.id)

    async def _find(self, client_order_id: str) -> PlacedOrder | None:
        acct, s = await self._acct(), self._t.session
        known = self._ids.get(client_order_id)
        if known is not None:
            return await self._t.read("order", lambda: acct.get_order(s, known))
        found = [o for o in await self._live() if o.external_identifier == client_order_id]
        if len(found) > 1:
            self._bad(BrokerDataError(f"{len(found)} orders carry id {client_order_id}"))
        return min(found, key=lambda o: o.id) if found else None

    async def _find_complex(self, cid: str) -> PlacedComplexOrder | None:
        """The complex order that `cid` (an entry, a child or an OCO's parent) belongs to."""
        acct, s = await self._acct(), self._t.session
        known = self._groups.get(cid)
        if known is not None:
            return await self._read("complex order", lambda: acct.get_complex_order(s, known))
        ids = {cid, child_client_id(cid, OrderRole.TARGET), child_client_id(cid, OrderRole.STOP)}
        found = [
            c
            for c in await self._live_complex()
            if any(o.external_identifier in ids for o in members(c))
        ]
        if len(found) > 1:
            self._bad(BrokerDataError(f"{len(found)} complex orders carry id {cid}"))
        return min(found, key=lambda c: c.id) if found else None

    async def _find_view(self, cid: str) -> BrokerOrder | None:
        """Our view of `cid` at the venue (an order, an entry with its children, a child, an
        OCO's parent), or None when the venue has nothing under that id."""
        o = await self._find(cid)
        if o is not None and o.complex_order_id is None:
            return self._convert(o)
        if o is not None:
            acct, s, group = await self._acct(), self._t.session, int(o.complex_order_id or 0)
            c = await self._read("complex order", lambda: acct.get_complex_order(s, group))
        else:
            c = await self._find_complex(cid)
        view = self._view(c, cid) if c is not None else None
        return view if view is not None or o is None else self._convert(o)

    # ------------------------------------------------------------------ reads
    async def account(self) -> Account:
        acct, s = await self._acct(), self._t.session
        bal = await self._read("balances", lambda: acct.get_balances(s))
        return to_account(acct.account_number, bal)

    async def positions(self) -> list[BrokerPosition]:
        """Equity and equity-option positions (options: unpadded OCC, signed contracts, the
        premium per share). Any malformed row fails the whole call (BrokerDataError): a
        partial list would be taken as the truth."""
        acct, s = await self._acct(), self._t.session
        try:
            rows = await self._t.read("positions", lambda: acct.get_positions(s))
            return sorted(
                (to_position(p) for p in rows if p.instrument_type.value in HELD),
                key=lambda p: p.symbol,
            )
        except BrokerDataError as e:
            raise self._bad(BrokerDataError(f"positions not trusted: {e}")) from None

    async def order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        """An order, an entry with its protective children, one child ("-sl"/"-tp") or an
        OCO's parent, by our client id."""
        return await self._find_view(client_order_id)

    async def open_orders(self) -> list[BrokerOrder]:
        """Working orders, protective children included (each also a leg of its entry)."""
        return [o for o in order_views(await self._all_live(), self._convert) if o.status.is_open]

    async def refresh(self) -> list[BrokerOrder]:
        """Today's orders (children included) that changed status or fills since last seen."""
        changed = []
        for order in order_views(await self._all_live(), self._convert):
            now = progress(order)
            before = self._seen.get(order.client_order_id)
            self._seen[order.client_order_id] = now
            if before is not None and before != now:
                changed.append(order)
        return changed

    async def dry_run(self, request: OrderRequest) -> DryRunResult:
        """The venue's buying-power effect and fees for `request` (a bracket or an OCO as one
        complex order, an options order as one order); nothing is placed."""
        option = to_option_order(request) if request.legs else None  # refusals: nothing sent
        complex_ = option is None and is_complex(request)  # refuses tif=opg, half brackets
        acct, s = await self._acct(), self._t.session
        act = None if option is not None else await self._action(request)

        async def call() -> Any:
            if option is not None:
                return await acct.place_order(s, option, dry_run=True)
            if complex_:
                return await acct.place_complex_order(s, to_complex(request, act), dry_run=True)
            return await acct.place_order(s, to_sdk_order(request, act), dry_run=True)

        try:
            r = await self._read("dry run", call)
        except BrokerDataError:
            raise
        except BrokerError as e:
            raise rejection(request, e) from None
        return to_dry_run(r)

    # ------------------------------------------------------------------ writes
    async def _action(self, request: OrderRequest) -> Any:
        held = {p.symbol: p.quantity for p in await self.positions()}
        return action(request.side, held.get(request.symbol.upper(), 0), request.quantity)

    async def submit(self, request: OrderRequest) -> BrokerOrder:
        """Place `request` once; a repeated client_order_id returns the first order (for a
        bracket or an OCO: the first complex order's view), never a second."""
        cid = request.client_order_id
        option = to_option_order(request) if request.legs else None  # refusals: nothing sent
        complex_ = option is None and is_complex(request)  # refuses tif=opg, half brackets
        lock = self._locks.setdefault(cid, asyncio.Lock())
        async with lock:
            existing = await self._find_view(cid)
            if existing is not None:
                return existing
            acct, s = await self._acct(), self._t.session
            if complex_:
                c = to_complex(request, await self._action(request))

                async def send_complex() -> PlacedComplexOrder:
                    return (await acct.place_complex_order(s, c, dry_run=False)).complex_order

                placed_c = await self._place(request, send_complex, lambda: self._find_complex(cid))
                result = self._view(placed_c, cid)
                if result is None:
                    raise self._bad(BrokerDataError(f"complex order {placed_c.id} lacks {cid}"))
            else:
                order = (
                    option
                    if option is not None
                    else to_sdk_order(request, await self._action(request))
                )

                async def send() -> PlacedOrder:
                    return (await acct.place_order(s, order, dry_run=False)).order

                result = self._convert(await self._place(request, send, lambda: self._find(cid)))
            for o in (result, *result.legs):
                self._seen[o.client_order_id] = progress(o)
            if result.status.value == "rejected":
                raise OrderRejectedError(f"Tastytrade rejected the order: {result.reason}")
            return result

    async def cancel(self, client_order_id: str) -> BrokerOrder:
        """Cancel a working order. An entry still waiting with its children, or an OCO's parent,
        cancels the whole complex order; cancelling one child makes the venue cancel its
        sibling as well (one-cancels-other)."""
        cid = client_order_id
        order = await self._find_view(cid)
        if order is None:
            raise BrokerError(f"no Tastytrade order with id {cid}")
        if not order.status.is_open:
            return order
        acct, s = await self._acct(), self._t.session
        bid = order.broker_order_id
        whole = bid.startswith(COMPLEX_PREFIX) or bool(order.legs)
        group = self._groups.get(cid) or (
            int(bid.removeprefix(COMPLEX_PREFIX)) if bid.startswith(COMPLEX_PREFIX) else None
        )
        try:
            if whole and group is not None:
                await self._t.read("cancel", lambda: acct.delete_complex_order(s, group))
            else:
                venue_id = int(bid)
                await self._t.read("cancel", lambda: acct.delete_order(s, venue_id))
        except BrokerError:
            latest = await self._find_view(cid)  # filled or gone meanwhile?
            if latest is None or latest.status.is_open:
                raise
            return latest
        latest = await self._find_view(cid)
        if latest is None:
            raise BrokerError(f"Tastytrade order {cid} vanished after its cancel")
        return latest
