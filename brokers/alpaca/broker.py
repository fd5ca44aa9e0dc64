"""Alpaca trading (alpaca-py TradingClient) behind the Broker protocol.

Exactly once: every order carries the proposal id as Alpaca's ``client_order_id``. A submit
whose outcome is unknown (timeout, 5xx, 429, malformed reply) is never blindly repeated: the
order is first looked up by client id and returned if it exists; only when the venue says
it does not is the request sent once more, and a 422 "client_order_id must be unique" on
that resend returns the existing order. Reads retry with backoff (429 waits for the venue's
reset). Bad venue data is skipped, logged and kept in `problems`; it is never returned as
fact. Paper is the default; ``paper=False`` points at the live endpoint.

Each order goes with its own time in force (day, gtc, opg). A bracket (take-profit and
stop-loss with the entry) is Alpaca's ``bracket`` class, an OCO request its ``oco`` class;
their legs are shown under our client ids, the parent's plus "-sl" / "-tp" (legs.py,
order_reads.py), and `cancel` takes one leg's id. Requests: order_requests.py. A working stop
(a leg too) is moved by `replace_stop` (replace.py).

Options: an order with `legs` goes as Alpaca's ``mleg`` class (2-4 legs, the net limit price
negative for a credit) or, with one leg, as a simple order on the contract; either is read
back in the options view (symbol the underlying, fills per leg in `option_legs`:
option_orders.py), and option positions are listed by their OCC symbols, in contracts.
"""

from __future__ import annotations

import asyncio
import time as time_module
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from alpaca.trading.requests import OrderRequest as SdkOrderRequest
from loguru import logger

from brokers.alpaca.order_reads import AlpacaOrderReads, why
from brokers.alpaca.order_requests import sdk_request
from brokers.alpaca.ratelimit import RateLimiter
from brokers.alpaca.replace import AlpacaStopMover
from brokers.alpaca.stream import AlpacaTradeStream
from brokers.alpaca.trading_client import PacedTradingClient, TradingHttpFailure
from brokers.alpaca.trading_convert import (
    BrokerDataError,
    DataProblem,
    account_from_json,
    position_from_json,
)
from brokers.alpaca.transport import HttpFailure, RetryPolicy, Transport, TransportFailure
from brokers.base import BrokerError, OrderRejectedError
from models.domain import Account, BrokerOrder, BrokerPosition, OrderRequest

Failure = HttpFailure | TransportFailure


class OrderOutcomeUnknownError(BrokerError):
    """The venue did not say whether the order exists, and could not be asked. Nothing was
    resent; look it up by client id before doing anything else."""


class AlpacaOrderRejected(OrderRejectedError):
    """The venue accepted the request but rejected the order (nothing is open)."""

    def __init__(self, order: BrokerOrder) -> None:
        super().__init__(f"Alpaca rejected order {order.client_order_id}: {order.reason}")
        self.order = order


class AlpacaBroker(AlpacaOrderReads, AlpacaStopMover):
    """Broker over Alpaca's Trading API v2. Keys go to the SDK client only; never logged."""

    name = "alpaca"
    supports_bracket = True

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        *,
        paper: bool = True,
        url_override: str | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        concurrency: int = 2,
        sleep: Callable[[float], Any] = asyncio.sleep,
        thread_sleep: Callable[[float], None] | None = None,
        clock: Callable[[], datetime] | None = None,
        max_problems: int = 200,
    ) -> None:
        if not api_key or not secret_key:
            raise BrokerError("Alpaca trading needs APCA_API_KEY_ID and APCA_API_SECRET_KEY")
        self.paper = paper
        self._stream_args = (api_key, secret_key, paper, url_override)  # never logged
        self.limiter = limiter or RateLimiter()
        self._sleep = sleep
        client = PacedTradingClient(
            api_key,
            secret_key,
            paper=paper,
            url_override=url_override,
            limiter=self.limiter,
            timeout=timeout,
            clock=clock or (lambda: datetime.now(UTC)),
            thread_sleep=thread_sleep or time_module.sleep,
        )
        super().__init__(
            client, Transport(concurrency=concurrency, policy=retry, sleep=sleep), max_problems
        )
        self._writes = Transport(concurrency=1, policy=RetryPolicy(attempts=1), sleep=sleep)
        self._reported: dict[str, tuple[Any, ...]] = {}  # client id -> _state()
        self.resubmits = 0

    def __repr__(self) -> str:
        return f"AlpacaBroker(paper={self.paper})"

    def close(self) -> None:
        """Stop the worker threads and the HTTP session."""
        self.reads.close()
        self._writes.close()
        self._client._session.close()

    async def account(self) -> Account:
        raw = await self._read("account", self._client.get_account)
        try:
            return account_from_json(raw)
        except BrokerDataError as e:
            self._problem("account", "", str(e))
            raise BrokerDataError(f"Alpaca account data unusable: {e}") from None

    async def positions_checked(self) -> tuple[list[BrokerPosition], list[DataProblem]]:
        """Positions that passed the checks, and the entries that did not."""
        raw = await self._read("positions", self._client.get_all_positions)
        if not isinstance(raw, list):
            raise BrokerDataError("Alpaca positions reply is not a list")
        good: list[BrokerPosition] = []
        bad: list[DataProblem] = []
        for entry in raw:
            try:
                good.append(position_from_json(entry))
            except BrokerDataError as e:
                key = str(entry.get("symbol", "")) if isinstance(entry, dict) else ""
                bad.append(DataProblem("position", key, str(e)))
                self._problem("position", key, str(e))
        return sorted(good, key=lambda p: p.symbol), bad

    async def positions(self) -> list[BrokerPosition]:
        return (await self.positions_checked())[0]

    def order_stream(self, **kw: Any) -> AlpacaTradeStream:
        """The venue's trade_updates push, converted with this broker's fill and legs books
        (a leg's update arrives under our child id)."""
        key, secret, paper, url = self._stream_args
        return AlpacaTradeStream(
            key, secret, paper=paper, url_override=url, convert=self.pushed, **kw
        )

    # ------------------------------------------------------------------ writes
    def _sdk_request(self, r: OrderRequest) -> SdkOrderRequest:
        return sdk_request(r)

    async def _send(self, body: SdkOrderRequest) -> Any:
        return await self._writes.call("submit", lambda: self._client.submit_order(body))

    def _reply(self, request: OrderRequest, raw: Any) -> BrokerOrder:
        """The order under the request's client id (an OCO: the pair) from a submit reply."""
        got = self._views(raw)
        return next((v for v in got if v.client_order_id == request.client_order_id), got[0])

    async def submit(self, request: OrderRequest) -> BrokerOrder:
        """Place once; an unknown outcome is looked up by client id before any resend."""
        body = self._sdk_request(request)
        try:
            raw = await self._send(body)
        except (HttpFailure, TransportFailure) as e:
            return await self._after_failure(request, body, e, resent=False)
        try:
            order = self._reply(request, raw)
        except BrokerDataError:  # placed, but the reply is unusable: ask again
            return await self._existing(request, "reply to submit was malformed")
        return self._placed(order)

    async def _after_failure(
        self, request: OrderRequest, body: SdkOrderRequest, e: Failure, *, resent: bool
    ) -> BrokerOrder:
        cid = request.client_order_id
        if isinstance(e, TradingHttpFailure) and e.duplicate_client_id:
            return await self._existing(request, "duplicate client_order_id")
        unknown = e.transient or (isinstance(e, TransportFailure) and "malformed" in e.message)
        if not unknown:
            message = e.message if isinstance(e, HttpFailure) else why(e)
            if "not found" in message and "asset" in message:
                message = f"unknown symbol {request.symbol!r}"
            raise OrderRejectedError(f"Alpaca refused order {cid}: {message}") from None
        logger.warning("alpaca: submit {} outcome unknown ({}); looking it up", cid, why(e))
        try:
            existing = await self.order_by_client_id(cid)
        except BrokerError as lookup:
            raise OrderOutcomeUnknownError(
                f"order {cid}: submit failed ({why(e)}) and the lookup failed ({lookup})"
            ) from None
        if existing is not None:
            return self._placed(existing)
        if resent:
            raise OrderOutcomeUnknownError(f"order {cid}: submit failed twice ({why(e)})")
        if isinstance(e, HttpFailure) and e.retry_after:
            await self._sleep(e.retry_after)
        self.resubmits += 1
        logger.info("alpaca: order {} not at the venue; sending it once more", cid)
        try:
            raw = await self._send(body)
        except (HttpFailure, TransportFailure) as again:
            return await self._after_failure(request, body, again, resent=True)
        try:
            return self._placed(self._reply(request, raw))
        except BrokerDataError:
            return await self._existing(request, "reply to resend was malformed")

    async def _existing(self, request: OrderRequest, reason: str) -> BrokerOrder:
        order = await self.order_by_client_id(request.client_order_id)
        if order is None:
            raise OrderOutcomeUnknownError(
                f"order {request.client_order_id}: {reason}, but no such order at Alpaca"
            )
        return self._placed(order)

    def _placed(self, order: BrokerOrder) -> BrokerOrder:
        for o in (order, *order.legs):  # legs too: refresh tells when they change
            self._reported[o.client_order_id] = _state(o)
        if order.status.value == "rejected":
            raise AlpacaOrderRejected(order)
        return order

    async def cancel(self, client_order_id: str) -> BrokerOrder:
        """Cancel a working order: a bracket's entry takes its legs with it; a leg ("P-sl",
        "P-tp") or an OCO pair is cancelled at Alpaca, which cancels the other leg too."""
        order = await self.order_by_client_id(client_order_id)
        if order is None:
            raise OrderRejectedError(f"no order with client id {client_order_id}")
        if order.status.is_open:
            oid = order.broker_order_id
            try:
                await self.reads.call("cancel", lambda: self._client.cancel_order_by_id(oid))
            except HttpFailure as e:
                if e.status not in (404, 422):  # 422: no longer cancelable (filled meanwhile)
                    raise BrokerError(f"Alpaca cancel failed: {why(e)}") from None
            except TransportFailure as e:
                raise BrokerError(f"Alpaca cancel failed: {why(e)}") from None
            order = await self.order_by_client_id(client_order_id) or order
        self._reported[client_order_id] = _state(order)
        return order

    async def refresh(self) -> list[BrokerOrder]:
        """Orders whose status or filled quantity (an option leg's too) changed since submit
        or the last refresh (an open order seen for the first time counts as changed)."""
        current: dict[str, BrokerOrder] = {}

        def seen(o: BrokerOrder) -> None:  # a parent's view brings its legs (held ones too)
            current[o.client_order_id] = o
            for leg in o.legs:
                current.setdefault(leg.client_order_id, leg)

        for o in await self.open_orders():
            seen(o)
        for cid, (status, *_) in list(self._reported.items()):
            if cid in current or status not in ("new", "partially_filled"):
                continue
            try:
                found = await self.order_by_client_id(cid)
            except BrokerError as e:
                logger.warning("alpaca: refresh could not read order {}: {}", cid, e)
                continue
            if found is not None:
                seen(found)
        changed = []
        for cid, order in current.items():
            state = _state(order)
            if self._reported.get(cid) != state:
                self._reported[cid] = state
                changed.append(order)
        return changed


def _state(order: BrokerOrder) -> tuple[Any, ...]:
    """What refresh compares: the status and the filled quantity, an option leg's too (a
    multi-leg order's legs may fill apart before a whole unit is filled)."""
    legs = tuple(leg.filled_quantity for leg in order.option_legs)
    return (order.status.value, order.filled_quantity, legs)
