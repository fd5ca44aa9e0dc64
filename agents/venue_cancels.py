"""The execution agent's cancels at the venue: the kill switch's cancel of every working
order, and one order's cancel (a person's, an exit lifting its protection, a stop move)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loguru import logger

from brokers.base import BrokerError
from models.domain import UNSETTLED_ORDER_STATUSES, BrokerOrder, OrderStatus

if TYPE_CHECKING:
    from agents.execution import ExecutionAgent


class VenueCancels:
    """Mixed into ExecutionAgent (its store, broker, bookings and look-ups)."""

    async def cancel_all(self: ExecutionAgent, actor: str, reason: str) -> list[str]:
        """Cancel every working order (the kill switch). An order still being sent or with
        an unknown outcome is looked up first: cancelled at the venue if it is there, closed
        as never sent if the venue does not have it (unless this process is sending it)."""
        canceled: list[str] = []
        for _ in range(3):  # a cancelled, partly filled entry may leave protection for its fills
            more = await self._cancel_pass(actor, reason, set(canceled))
            if not more:
                break
            canceled += more
        return canceled

    async def _cancel_pass(
        self: ExecutionAgent, actor: str, reason: str, done: set[str]
    ) -> list[str]:
        canceled: list[str] = []
        for row in self.store.ledger.orders(open_only=True, limit=None):
            cid = row.client_order_id
            if cid in done:
                continue
            if row.status in UNSETTLED_ORDER_STATUSES:
                if cid in self.sending:
                    continue
                try:
                    found = await self.broker.order_by_client_id(cid)
                except BrokerError as e:
                    logger.warning("kill: look-up of {} failed: {}", cid, e)
                    continue
                if found is None:
                    self.never_sent(row, f"{reason}: it never reached the venue", actor)
                    canceled.append(cid)
                    continue
                if not found.status.is_open:
                    self.apply(found, actor)
                    continue
            bo = await self.cancel_at_venue(cid)
            if bo is None:
                continue
            self.apply(bo, actor)
            if bo.status is OrderStatus.CANCELED:
                canceled.append(cid)
        return canceled

    async def cancel_at_venue(self: ExecutionAgent, cid: str) -> BrokerOrder | None:
        """Cancel one order at the venue: its view after the cancel, or, when the cancel is
        refused because the order is already over (one-cancels-other took it along, it
        filled), its view as it ended; None when it may still be working."""
        try:
            return await self.broker.cancel(cid)
        except BrokerError as e:
            found = await self._lookup(cid)
            if found is not None and not found.status.is_open:
                return found
            logger.warning("cancel {} failed: {}", cid, e)
            return None
