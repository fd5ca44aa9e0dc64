"""Moving a working stop at Alpaca (the StopMover capability of AlpacaBroker).

alpaca-py's ``TradingClient.replace_order_by_id(order_id, ReplaceOrderRequest(stop_price,
client_order_id))`` sends PATCH /v2/orders/{order_id}: Alpaca answers with a new order (its
own id, our new client id, ``replaces`` = the old id) and ends the old one ``replaced``
(shown as cancelled). A bracket's or an OCO's stop leg is replaced the same way; its successor
stays a leg of the same parent, so one-cancels-other with the target holds (legs.py shows it
under the new client id). The old order is found by our client id first (a leg through its
parent) for its Alpaca id.

Exactly once: the new client id is looked up before anything is sent and returned when it
exists. A reply that never came (timeout, 5xx, 429, unreadable body) is followed by that
look-up again; only when the venue has no such order and still shows the old stop working is
the PATCH sent once more. A refusal (422: not working any more, a price on the wrong side)
becomes OrderRejectedError with the venue's words, after checking that a concurrent move did
not make the order already. No message carries the keys, whatever the venue echoes back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from alpaca.trading.requests import ReplaceOrderRequest
from loguru import logger

from brokers.alpaca.order_reads import why
from brokers.alpaca.trading_client import PacedTradingClient, TradingHttpFailure
from brokers.alpaca.trading_convert import BrokerDataError
from brokers.alpaca.transport import HttpFailure, Transport, TransportFailure
from brokers.base import BrokerError, OrderRejectedError
from models.domain import BrokerOrder, OrderType

Failure = HttpFailure | TransportFailure


class MoveOutcomeUnknownError(BrokerError):
    """The venue did not say whether the stop moved, and could not be asked. Nothing was
    resent; look the new client id up before doing anything else."""


def not_movable(old: BrokerOrder) -> str | None:
    """Why our order `old` cannot be moved as a stop, or None."""
    cid = old.client_order_id
    if old.legs:
        return f"{cid} is a bracket or an OCO pair; move its stop, {cid}-sl"
    if not old.status.is_open:
        reason = f" ({old.reason})" if old.reason else ""
        return f"stop {cid} is {old.status.value}{reason}, not working: there is nothing to move"
    if old.order_type is not OrderType.STOP:
        return f"order {cid} is a {old.order_type.value} order, not a stop"
    if old.reason == "held":
        return f"stop {cid} waits for its entry to fill (held): there is no position to protect yet"
    return None


class AlpacaStopMover:
    """AlpacaBroker's `replace_stop` (a mixin over the broker's client, writes and books; the
    broker's own methods come first in its MRO, these stubs only name them)."""

    _client: PacedTradingClient
    _writes: Transport
    _sleep: Callable[[float], Any]

    async def order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        raise NotImplementedError

    def _views(self, raw: Any, late_ok: bool = False, pairs: bool = True) -> list[BrokerOrder]:
        raise NotImplementedError

    def _placed(self, order: BrokerOrder) -> BrokerOrder:
        raise NotImplementedError

    async def replace_stop(
        self, client_order_id: str, stop_price: float, new_client_order_id: str
    ) -> BrokerOrder:
        """Move our working stop `client_order_id` to `stop_price` under
        `new_client_order_id` (see the module docstring)."""
        # the transport scrubs the keys from every error (brokers/alpaca/transport.py)
        return await self._move(client_order_id, stop_price, new_client_order_id)

    async def _move(self, old_cid: str, stop_price: float, new_cid: str) -> BrokerOrder:
        if not (math.isfinite(stop_price) and stop_price > 0):
            raise OrderRejectedError("a stop order needs a positive stop price")
        if new_cid == old_cid:
            raise OrderRejectedError("the moved stop needs a client id of its own")
        done = await self.order_by_client_id(new_cid)
        if done is not None:
            return self._placed(done)
        old = await self.order_by_client_id(old_cid)
        if old is None:
            raise OrderRejectedError(f"no order with client id {old_cid}")
        problem = not_movable(old)
        if problem:
            raise OrderRejectedError(problem)
        body = ReplaceOrderRequest(stop_price=round(stop_price, 2), client_order_id=new_cid)
        try:
            raw = await self._send_move(old.broker_order_id, body)
        except (HttpFailure, TransportFailure) as e:
            return await self._move_failed(old, body, e, resent=False)
        return await self._moved_reply(raw, new_cid)

    async def _send_move(self, order_id: str, body: ReplaceOrderRequest) -> Any:
        return await self._writes.call(
            "replace", lambda: self._client.replace_order_by_id(order_id, body)
        )

    async def _moved_reply(self, raw: Any, new_cid: str) -> BrokerOrder:
        """The replacement from a PATCH reply (looked up when the reply is unreadable)."""
        try:
            got = self._views(raw)
        except BrokerDataError:
            return await self._moved_existing(new_cid, "the reply to the replace was malformed")
        order = next((v for v in got if v.client_order_id == new_cid), got[0])
        return self._placed(order)

    async def _moved_existing(self, new_cid: str, reason: str) -> BrokerOrder:
        try:
            found = await self.order_by_client_id(new_cid)
        except BrokerError as e:
            raise MoveOutcomeUnknownError(
                f"stop {new_cid}: {reason}, and the look-up failed ({e})"
            ) from None
        if found is None:
            raise MoveOutcomeUnknownError(f"stop {new_cid}: {reason}, but no such order at Alpaca")
        return self._placed(found)

    async def _move_failed(
        self, old: BrokerOrder, body: ReplaceOrderRequest, e: Failure, *, resent: bool
    ) -> BrokerOrder:
        new_cid, old_cid = str(body.client_order_id), old.client_order_id
        try:
            found = await self.order_by_client_id(new_cid)
        except BrokerError as lookup:
            raise MoveOutcomeUnknownError(
                f"stop {old_cid}: the move to {new_cid} failed ({why(e)}) and the look-up "
                f"failed ({lookup}); not resent, check the venue"
            ) from None
        if found is not None:  # it went through after all, or a concurrent move made it
            return self._placed(found)
        unknown = e.transient or isinstance(e, TransportFailure)
        if not unknown or (isinstance(e, TradingHttpFailure) and e.duplicate_client_id):
            message = e.message if isinstance(e, HttpFailure) else why(e)
            raise OrderRejectedError(
                f"Alpaca refused to move stop {old_cid} to {body.stop_price:.2f}: {message}"
            ) from None
        latest = await self.order_by_client_id(old_cid)
        if resent or latest is None or not latest.status.is_open:
            raise MoveOutcomeUnknownError(
                f"stop {old_cid}: the move to {new_cid} failed ({why(e)}); "
                "not resent, check the venue"
            )
        if isinstance(e, HttpFailure) and e.retry_after:
            await self._sleep(e.retry_after)
        logger.info("alpaca: stop {} not moved at the venue; sending the move once more", old_cid)
        try:
            raw = await self._send_move(latest.broker_order_id, body)
        except (HttpFailure, TransportFailure) as again:
            return await self._move_failed(latest, body, again, resent=True)
        return await self._moved_reply(raw, new_cid)
