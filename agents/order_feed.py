"""OrderFeed: books the venue's pushed order updates (fills, partial fills, cancels, rejects).

Only orders we sent are booked; anything else is recorded as `order.unknown` and left for
reconciliation. An update older than what we hold (fewer shares filled, or an order we
already hold as finished) is ignored, so a late message never rolls the books back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from loguru import logger

from agents import events as ev
from agents.errors import CotraderError
from agents.execution import ExecutionAgent
from agents.protective_rows import child_row
from brokers.base import BrokerError
from models.domain import BrokerOrder, Mode, OrderStatus
from models.store import Store

ACTOR = "agent:stream"
FINISHED = {s.value for s in OrderStatus if not s.is_open}  # "failed" may yet turn up


def told_once(store: Store, client_order_id: str, status: str, filled: int) -> bool:
    """True for the first teller of this state of an order (any instance, any path: the
    approval's reply or the stream), so a fill is announced once."""
    key = f"told:{client_order_id}:{status}:{filled}"
    return store.frontend.claim(key, datetime.now(UTC))


class OrderFeed:
    def __init__(
        self,
        store: Store,
        execution: ExecutionAgent,
        publish: Callable[[ev.DeskEvent], Awaitable[None]],
        mode: Mode,
    ) -> None:
        self.store = store
        self.execution = execution
        self.publish = publish
        self.mode = mode
        self.booked = 0  # updates that changed our books
        self.unknown = 0  # updates for orders we never sent

    async def on_order(self, bo: BrokerOrder) -> None:
        row = self.store.ledger.order(bo.client_order_id) or child_row(
            self.store, self.execution.broker.name, bo, None, ACTOR
        )  # an entry's protective order the venue placed: ours, seen first on the stream
        if row is None:
            self.unknown += 1
            self.store.events.add(
                "order.unknown",
                ACTOR,
                order_id=bo.client_order_id,
                context={"broker_order": bo.model_dump(mode="json")},
            )
            logger.warning("stream: order {} is not ours; left for /reconcile", bo.client_order_id)
            return
        stale = bo.filled_quantity < row.filled_quantity or row.status in FINISHED
        same = bo.status.value == row.status and bo.filled_quantity == row.filled_quantity
        if stale or (same and row.broker_order_id == bo.broker_order_id):
            return
        before = row.filled_quantity
        try:
            self.execution.apply(bo, ACTOR)
        except (CotraderError, BrokerError) as e:
            logger.error("stream: could not book {}: {}", bo.client_order_id, e)
            return
        self.booked += 1
        if told_once(self.store, bo.client_order_id, bo.status.value, bo.filled_quantity):
            await self._tell(bo, before)

    async def _tell(self, bo: BrokerOrder, before: int) -> None:
        fields = {
            "mode_label": self.mode.label,
            "client_order_id": bo.client_order_id,
            "symbol": bo.symbol,
            "side": bo.side.value,
            "quantity": bo.quantity,
            "filled": bo.filled_quantity,
            "avg_price": bo.avg_fill_price,
            "reason": bo.reason,
        }
        if bo.filled_quantity > before:
            await self.publish(ev.OrderFilled(**fields))
        elif bo.status is OrderStatus.REJECTED:
            await self.publish(ev.OrderRejected(**fields))
        elif bo.status is OrderStatus.CANCELED:
            await self.publish(ev.OrderCanceled(**fields))
