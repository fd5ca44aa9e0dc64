"""Alpaca trading (alpaca-py TradingClient) behind the Broker protocol.

Exactly once: every order carries the proposal id as Alpaca's ``client_order_id``. A submit
whose outcome is unknown (timeout, 5xx, 429, malformed reply) is never blindly repeated: the
order is first looked up by client id and returned if it exists; only when the venue says
it does not is the request sent once more, and a 422 "client_order_id must be unique" on
that resend returns the existing order. Reads retry with backoff (429 waits for the venue's
reset). Bad venue data is skipped, logged and kept in `problems`; it is never returned as
fact. Paper is the default; ``paper=False`` points at the live endpoint.
"""

from __future__ import annotations

import asyncio
import time as time_module
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from alpaca.common.enums import Sort
from alpaca.trading.enums import OrderClass, OrderSide, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    OptionLegRequest,
    StopLossRequest,
    StopOrderRequest,
    TakeProfitRequest,
)
from alpaca.trading.requests import OrderRequest as SdkOrderRequest
from loguru import logger

from brokers.alpaca.ratelimit import RateLimiter
from brokers.alpaca.stream import AlpacaTradeStream
from brokers.alpaca.trading_client import PacedTradingClient, TradingHttpFailure
from brokers.alpaca.trading_convert import (
    BrokerDataError,
    DataProblem,
    FillBook,
    account_from_json,
    order_from_json,
    position_from_json,
)
from brokers.alpaca.transport import HttpFailure, RetryPolicy, Transport, TransportFailure
from brokers.base import BrokerError, OrderRejectedError
from models.domain import Account, BrokerOrder, BrokerPosition, OrderRequest, OrderType, Side

Failure = HttpFailure | TransportFailure
PAGE = 500  # the most orders Alpaca returns in one list


class OrderOutcomeUnknownError(BrokerError):
    """The venue did not say whether the order exists, and could not be asked. Nothing was
    resent; look it up by client id before doing anything else."""


class AlpacaOrderRejected(OrderRejectedError):
    """The venue accepted the request but rejected the order (nothing is open)."""

    def __init__(self, order: BrokerOrder) -> None:
        super().__init__(f"Alpaca rejected order {order.client_order_id}: {order.reason}")
        self.order = order


def _why(e: Failure) -> str:
    return f"HTTP {e.status}: {e.message}" if isinstance(e, HttpFailure) else e.message


class AlpacaBroker:
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
        time_in_force: str = "day",
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
        self.time_in_force = TimeInForce(time_in_force)
        self.limiter = limiter or RateLimiter()
        self._sleep = sleep
        self._client = PacedTradingClient(
            api_key,
            secret_key,
            paper=paper,
            url_override=url_override,
            limiter=self.limiter,
            timeout=timeout,
            clock=clock or (lambda: datetime.now(UTC)),
            thread_sleep=thread_sleep or time_module.sleep,
        )
        self.reads = Transport(concurrency=concurrency, policy=retry, sleep=sleep)
        self._writes = Transport(concurrency=1, policy=RetryPolicy(attempts=1), sleep=sleep)
        self.problems: deque[DataProblem] = deque(maxlen=max_problems)
        self._fills = FillBook()
        self._reported: dict[str, tuple[str, int]] = {}  # order id -> (status, filled)
        self.resubmits = 0

    def __repr__(self) -> str:
        return f"AlpacaBroker(paper={self.paper})"

    def close(self) -> None:
        """Stop the worker threads and the HTTP session."""
        self.reads.close()
        self._writes.close()
        self._client._session.close()

    # ------------------------------------------------------------------ reads
    async def _read(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return await self.reads.call(what, fn)
        except (HttpFailure, TransportFailure) as e:
            raise BrokerError(f"Alpaca {what} failed: {_why(e)}") from None

    def bad_data(self) -> list[str]:
        return [" ".join(filter(None, (p.what, p.key))) + f": {p.reason}" for p in self.problems]

    def _problem(self, what: str, key: str, reason: str) -> None:
        self.problems.append(DataProblem(what, key, reason))
        logger.warning("alpaca: skipped {} {}: {}", what, key or "?", reason)

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

    def _order(self, raw: Any, late_ok: bool = False) -> BrokerOrder:
        """Convert and synthesise fills; BrokerDataError (recorded) when unusable. `late_ok`:
        a pushed snapshot older than a read already seen is returned as it was (the consumer
        ignores it), not reported as bad data."""
        try:
            return self._fills.apply(order_from_json(raw), late_ok=late_ok)
        except BrokerDataError as e:
            key = str(raw.get("id", "")) if isinstance(raw, dict) else ""
            self._problem("order", key, str(e))
            raise

    def order_stream(self, **kw: Any) -> AlpacaTradeStream:
        """The venue's trade_updates push, converted with this broker's fill book."""
        key, secret, paper, url = self._stream_args
        return AlpacaTradeStream(
            key,
            secret,
            paper=paper,
            url_override=url,
            convert=partial(self._order, late_ok=True),
            **kw,
        )

    def _orders(self, raw: Any) -> list[BrokerOrder]:
        if not isinstance(raw, list):
            raise BrokerDataError("Alpaca orders reply is not a list")
        out = []
        for entry in raw:
            try:
                out.append(self._order(entry))
            except BrokerDataError:
                continue
        return out

    async def order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        try:
            raw = await self.reads.call(
                "order lookup", lambda: self._client.get_order_by_client_id(client_order_id)
            )
        except HttpFailure as e:
            if e.status == 404:
                return None
            raise BrokerError(f"Alpaca order lookup failed: {_why(e)}") from None
        except TransportFailure as e:
            raise BrokerError(f"Alpaca order lookup failed: {_why(e)}") from None
        return self._order(raw)

    async def open_orders(self) -> list[BrokerOrder]:
        """Every working order, newest first, page by page (the API returns at most 500)."""
        seen: dict[str, BrokerOrder] = {}
        until: datetime | None = None
        while True:
            query = GetOrdersRequest(
                status=QueryOrderStatus.OPEN, limit=PAGE, direction=Sort.DESC, until=until
            )
            raw = await self._read("open orders", lambda q=query: self._client.get_orders(q))
            page = self._orders(raw)
            fresh = [o for o in page if o.broker_order_id not in seen]
            seen.update((o.broker_order_id, o) for o in page)
            if len(raw) < PAGE or not fresh or not page:
                if len(raw) >= PAGE and page and not fresh:
                    self._problem("orders", "", f"over {PAGE} open orders share one timestamp")
                break
            # `until` is exclusive: step back to just after the oldest seen, dedupe the overlap
            until = min(o.submitted_at for o in page) + timedelta(microseconds=1)
        return [o for o in seen.values() if o.status.is_open]

    # ------------------------------------------------------------------ writes
    def _sdk_request(self, r: OrderRequest) -> SdkOrderRequest:
        if r.order_type is OrderType.LIMIT and not (r.limit_price and r.limit_price > 0):
            raise OrderRejectedError("a limit order needs a positive limit price")
        if r.order_type is OrderType.STOP and not (r.stop_price and r.stop_price > 0):
            raise OrderRejectedError("a stop order needs a positive stop price")
        common: dict[str, Any] = {
            "symbol": r.symbol,
            "qty": r.quantity,
            "side": OrderSide.BUY if r.side is Side.BUY else OrderSide.SELL,
            "time_in_force": self.time_in_force,
            "client_order_id": r.client_order_id,
        }
        if r.legs:
            return self._multi_leg(r)
        if (r.take_profit is None) != (r.stop_loss is None):
            raise OrderRejectedError("a bracket needs both a take-profit and a stop-loss price")
        if r.take_profit is not None and r.stop_loss is not None:
            up, down = (
                (r.take_profit, r.stop_loss)
                if r.side is Side.BUY
                else (
                    r.stop_loss,
                    r.take_profit,
                )
            )
            if not down < up:
                raise OrderRejectedError(
                    "a bracket's take-profit must be beyond the entry and its stop-loss behind it"
                )
            if r.order_type is OrderType.STOP:
                raise OrderRejectedError("a bracket's entry must be a market or limit order")
            common |= {
                "order_class": OrderClass.BRACKET,
                "take_profit": TakeProfitRequest(limit_price=round(r.take_profit, 2)),
                "stop_loss": StopLossRequest(stop_price=round(r.stop_loss, 2)),
            }
        if r.order_type is OrderType.LIMIT:
            return LimitOrderRequest(**common, limit_price=r.limit_price)
        if r.order_type is OrderType.STOP:
            return StopOrderRequest(**common, stop_price=r.stop_price)
        return MarketOrderRequest(**common)

    def _multi_leg(self, r: OrderRequest) -> SdkOrderRequest:
        """Alpaca's `mleg` order class: 2-4 option legs at a net price (or market)."""
        if not 2 <= len(r.legs) <= 4:
            raise OrderRejectedError("a multi-leg order needs 2 to 4 legs")
        if r.bracket or r.order_type is OrderType.STOP:
            raise OrderRejectedError("a multi-leg order is a market or limit order, no bracket")
        legs = [
            OptionLegRequest(
                symbol=leg.symbol,
                ratio_qty=leg.ratio,
                side=OrderSide.BUY if leg.side is Side.BUY else OrderSide.SELL,
            )
            for leg in r.legs
        ]
        common: dict[str, Any] = {
            "qty": r.quantity,
            "time_in_force": self.time_in_force,
            "client_order_id": r.client_order_id,
            "order_class": OrderClass.MLEG,
            "legs": legs,
        }
        if r.order_type is OrderType.LIMIT:
            if r.limit_price is None:
                raise OrderRejectedError("a limit order needs a limit price")
            return LimitOrderRequest(**common, limit_price=r.limit_price)
        return MarketOrderRequest(**common)

    async def _send(self, body: SdkOrderRequest) -> Any:
        return await self._writes.call("submit", lambda: self._client.submit_order(body))

    async def submit(self, request: OrderRequest) -> BrokerOrder:
        """Place once; an unknown outcome is looked up by client id before any resend."""
        body = self._sdk_request(request)
        try:
            raw = await self._send(body)
        except (HttpFailure, TransportFailure) as e:
            return await self._after_failure(request, body, e, resent=False)
        try:
            order = self._order(raw)
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
            message = e.message if isinstance(e, HttpFailure) else _why(e)
            if "not found" in message and "asset" in message:
                message = f"unknown symbol {request.symbol!r}"
            raise OrderRejectedError(f"Alpaca refused order {cid}: {message}") from None
        logger.warning("alpaca: submit {} outcome unknown ({}); looking it up", cid, _why(e))
        try:
            existing = await self.order_by_client_id(cid)
        except BrokerError as lookup:
            raise OrderOutcomeUnknownError(
                f"order {cid}: submit failed ({_why(e)}) and the lookup failed ({lookup})"
            ) from None
        if existing is not None:
            return self._placed(existing)
        if resent:
            raise OrderOutcomeUnknownError(f"order {cid}: submit failed twice ({_why(e)})")
        if isinstance(e, HttpFailure) and e.retry_after:
            await self._sleep(e.retry_after)
        self.resubmits += 1
        logger.info("alpaca: order {} not at the venue; sending it once more", cid)
        try:
            raw = await self._send(body)
        except (HttpFailure, TransportFailure) as again:
            return await self._after_failure(request, body, again, resent=True)
        try:
            return self._placed(self._order(raw))
        except BrokerDataError:
            return await self._existing(request, "reply to resend was malformed")

    async def _existing(self, request: OrderRequest, why: str) -> BrokerOrder:
        order = await self.order_by_client_id(request.client_order_id)
        if order is None:
            raise OrderOutcomeUnknownError(
                f"order {request.client_order_id}: {why}, but no such order at Alpaca"
            )
        return self._placed(order)

    def _placed(self, order: BrokerOrder) -> BrokerOrder:
        self._reported[order.broker_order_id] = (order.status.value, order.filled_quantity)
        if order.status.value == "rejected":
            raise AlpacaOrderRejected(order)
        return order

    async def cancel(self, client_order_id: str) -> BrokerOrder:
        order = await self.order_by_client_id(client_order_id)
        if order is None:
            raise OrderRejectedError(f"no order with client id {client_order_id}")
        if order.status.is_open:
            oid = order.broker_order_id
            try:
                await self.reads.call("cancel", lambda: self._client.cancel_order_by_id(oid))
            except HttpFailure as e:
                if e.status not in (404, 422):  # 422: no longer cancelable (filled meanwhile)
                    raise BrokerError(f"Alpaca cancel failed: {_why(e)}") from None
            except TransportFailure as e:
                raise BrokerError(f"Alpaca cancel failed: {_why(e)}") from None
            raw = await self._read("order", lambda: self._client.get_order_by_id(oid))
            order = self._order(raw)
        self._reported[order.broker_order_id] = (order.status.value, order.filled_quantity)
        return order

    async def refresh(self) -> list[BrokerOrder]:
        """Orders whose status or filled quantity changed since submit or the last refresh
        (an open order seen for the first time counts as changed)."""
        current = {o.broker_order_id: o for o in await self.open_orders()}
        for oid, (status, _) in list(self._reported.items()):
            if oid in current or status not in ("new", "partially_filled"):
                continue
            try:
                raw = await self._read("order", lambda oid=oid: self._client.get_order_by_id(oid))
                current[oid] = self._order(raw)
            except BrokerError as e:
                logger.warning("alpaca: refresh could not read order {}: {}", oid, e)
        changed = []
        for oid, order in current.items():
            state = (order.status.value, order.filled_quantity)
            if self._reported.get(oid) != state:
                self._reported[oid] = state
                changed.append(order)
        return changed
