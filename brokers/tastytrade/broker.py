"""The Tastytrade broker: equity orders through the official SDK (v13, async, OAuth).

Exactly once: every order carries the proposal id as `external_identifier`. `submit` first
looks for an order with that identifier (this process's memory, then today's orders at the
venue) and returns it. When a placement's outcome is unknown (timeout, dropped connection, 5xx)
it looks again before anything else; only when the venue clearly has no such order does it
place it one more time. If that look-up itself fails, it raises instead of resending.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
from loguru import logger
from pydantic import ValidationError
from tastytrade import Account as TTAccount
from tastytrade.order import PlacedOrder
from tastytrade.utils import TastytradeError

from brokers.base import BrokerError, OrderRejectedError, UnknownSymbolError
from brokers.tastytrade.convert import (
    BrokerDataError,
    DryRunResult,
    action,
    describe,
    to_account,
    to_dry_run,
    to_order,
    to_position,
    to_sdk_order,
)
from brokers.tastytrade.stream import TastytradeOrderStream, stream_url
from brokers.tastytrade.transport import UNSENT, HttpStatus, RetryPolicy, Transport
from models.domain import Account, BrokerOrder, BrokerPosition, OrderRequest


class TastytradeBroker:
    """Broker protocol over one Tastytrade account (the first one when none is named)."""

    name = "tastytrade"

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
        self._seen: dict[str, tuple[str, int]] = {}  # client order id -> (status, filled)
        self._locks: dict[str, asyncio.Lock] = {}
        self.issues: list[str] = []  # bad broker data seen (user-safe text)

    def __repr__(self) -> str:
        return f"TastytradeBroker(account={self._account_number or '?'})"

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
            order = to_order(o)
        except BrokerDataError as e:
            raise self._bad(e) from None
        if o.external_identifier:
            self._ids[o.external_identifier] = o.id
        return order

    async def _live(self) -> list[PlacedOrder]:
        acct, s = await self._acct(), self._t.session
        try:
            return await self._t.read("orders", lambda: acct.get_live_orders(s))
        except BrokerDataError as e:
            raise self._bad(e) from None

    async def _find(self, client_order_id: str) -> PlacedOrder | None:
        acct, s = await self._acct(), self._t.session
        known = self._ids.get(client_order_id)
        if known is not None:
            return await self._t.read("order", lambda: acct.get_order(s, known))
        found = [o for o in await self._live() if o.external_identifier == client_order_id]
        if len(found) > 1:
            self._bad(BrokerDataError(f"{len(found)} orders carry id {client_order_id}"))
        return min(found, key=lambda o: o.id) if found else None

    # ------------------------------------------------------------------ reads
    async def account(self) -> Account:
        acct, s = await self._acct(), self._t.session
        try:
            bal = await self._t.read("balances", lambda: acct.get_balances(s))
        except BrokerDataError as e:
            raise self._bad(e) from None
        return to_account(acct.account_number, bal)

    async def positions(self) -> list[BrokerPosition]:
        """Equity positions. Any malformed row fails the whole call (BrokerDataError): a
        partial list would be taken as the truth."""
        acct, s = await self._acct(), self._t.session
        try:
            rows = await self._t.read("positions", lambda: acct.get_positions(s))
            return sorted(
                (to_position(p) for p in rows if p.instrument_type.value == "Equity"),
                key=lambda p: p.symbol,
            )
        except BrokerDataError as e:
            raise self._bad(BrokerDataError(f"positions not trusted: {e}")) from None

    async def order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        o = await self._find(client_order_id)
        return self._convert(o) if o is not None else None

    async def open_orders(self) -> list[BrokerOrder]:
        out = []
        for o in await self._live():
            order = self._convert(o)
            if order.status.is_open:
                out.append(order)
        return out

    async def refresh(self) -> list[BrokerOrder]:
        """Today's orders that changed status or fills since last seen."""
        changed = []
        for o in await self._live():
            order = self._convert(o)
            now = (order.status.value, order.filled_quantity)
            before = self._seen.get(order.client_order_id)
            self._seen[order.client_order_id] = now
            if before is not None and before != now:
                changed.append(order)
        return changed

    async def dry_run(self, request: OrderRequest) -> DryRunResult:
        """The venue's buying-power effect and fees for `request`; nothing is placed."""
        acct, s = await self._acct(), self._t.session
        order = to_sdk_order(request, await self._action(request))
        try:
            r = await self._t.read("dry run", lambda: acct.place_order(s, order, dry_run=True))
        except BrokerDataError as e:
            raise self._bad(e) from None
        except BrokerError as e:
            raise self._rejection(request, e) from None
        return to_dry_run(r)

    # ------------------------------------------------------------------ writes
    async def _action(self, request: OrderRequest) -> Any:
        held = {p.symbol: p.quantity for p in await self.positions()}
        return action(request.side, held.get(request.symbol.upper(), 0), request.quantity)

    def _rejection(self, request: OrderRequest, e: BrokerError) -> BrokerError:
        text = str(e)
        if "HTTP 422" in text and "not found" in text.lower() and "symbol" in text.lower():
            return UnknownSymbolError(request.symbol)
        if "HTTP 400" in text or "HTTP 422" in text:
            return OrderRejectedError(text.replace("failed: HTTP", "rejected: HTTP"))
        return e

    async def submit(self, request: OrderRequest) -> BrokerOrder:
        """Place `request` once; a repeated client_order_id returns the first order."""
        lock = self._locks.setdefault(request.client_order_id, asyncio.Lock())
        async with lock:
            existing = await self._find(request.client_order_id)
            if existing is not None:
                return self._convert(existing)
            order = to_sdk_order(request, await self._action(request))
            placed = await self._place(request, order)
            result = self._convert(placed)
            self._seen[result.client_order_id] = (result.status.value, result.filled_quantity)
            if result.status.value == "rejected":
                raise OrderRejectedError(f"Tastytrade rejected the order: {result.reason}")
            return result

    async def _place(self, request: OrderRequest, order: Any) -> PlacedOrder:
        acct, s, t = await self._acct(), self._t.session, self._t
        resent = False
        for attempt in range(1, t.policy.attempts + 1):
            try:
                r = await acct.place_order(s, order, dry_run=False)
                return r.order
            except HttpStatus as e:
                if not e.transient:
                    err = t.error("order", e)
                    raise (err if e.login else self._rejection(request, err)) from None
                delay = t.retry_delay(e, attempt)
                unknown = e.status >= 500 and not e.login
                if e.status == 401 and not e.login:
                    await t.read("login", t.reauth)
            except UNSENT as e:
                delay, unknown = t.retry_delay(e, attempt), False
            except httpx2.HTTPError:  # timed out or dropped after sending
                delay, unknown = t.policy.backoff(attempt), True
            except (ValidationError, TastytradeError) as e:
                # the venue accepted something but its reply is unreadable: look, never resend
                found = await self._find(request.client_order_id)
                if found is not None:
                    return found
                detail = describe(e) if isinstance(e, ValidationError) else "unreadable"
                raise self._bad(BrokerDataError(f"order reply malformed ({detail})")) from None
            if unknown:
                logger.warning(
                    "tastytrade: order {} outcome unknown; looking it up", request.client_order_id
                )
                try:
                    found = await self._find(request.client_order_id)
                except BrokerError as e:
                    raise BrokerError(
                        f"order {request.client_order_id}: outcome unknown and the look-up failed "
                        f"({e}); not resent, check the venue"
                    ) from None
                if found is not None:
                    return found
                if resent:
                    break
                resent = True
            if delay is None or attempt == t.policy.attempts:
                break
            await t.sleep(delay)
        raise BrokerError(f"order {request.client_order_id} could not be placed at Tastytrade")

    async def cancel(self, client_order_id: str) -> BrokerOrder:
        found = await self._find(client_order_id)
        if found is None:
            raise BrokerError(f"no Tastytrade order with id {client_order_id}")
        order = self._convert(found)
        if not order.status.is_open:
            return order
        acct, s = await self._acct(), self._t.session
        try:
            await self._t.read("cancel", lambda: acct.delete_order(s, found.id))
        except BrokerError:
            latest = await self._find(client_order_id)  # filled or gone meanwhile?
            if latest is None or self._convert(latest).status.is_open:
                raise
        latest = await self._t.read("order", lambda: acct.get_order(s, found.id))
        return self._convert(latest)
