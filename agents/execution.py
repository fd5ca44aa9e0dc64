"""ExecutionAgent: sends an approved proposal's order and books what comes back.

It is only ever called with a proposal the store has already moved to APPROVED (or by the
kill switch's flatten, on a person's command). The order carries the proposal id as its
client order id, so the broker itself refuses a second execution.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from loguru import logger

from agents.errors import ExecutionFailed
from brokers.base import Broker, BrokerError, OrderRejectedError
from models.domain import (
    BookUpdate,
    BrokerOrder,
    FillReport,
    OrderRequest,
    OrderStatus,
    OrderType,
    ProposalStatus,
    Side,
)
from models.proposal_repo import Step
from models.store import Store
from models.tables import Fill, Order, Proposal
from services.portfolio import apply_fill
from services.proposal_states import legal, sources_of, status_after_fill

S = ProposalStatus


class ExecutionAgent:
    def __init__(self, store: Store, broker: Broker, bracket: bool = False) -> None:
        self.store = store
        self.broker = broker
        # entries go out with their stop and target as one bracket (venues that support it)
        self.bracket = bracket and bool(getattr(broker, "supports_bracket", False))

    async def execute(
        self,
        p: Proposal,
        actor: str,
        now: datetime,
        prior_events: Sequence[tuple[str, str, dict[str, Any]]] = (),
    ) -> tuple[Order, Proposal | None]:
        """Submit the proposal's order; returns our order row and the proposal after booking
        any fills. `prior_events` (the re-check) are written with the order."""
        bracket = self.bracket and p.kind == "entry" and p.stop_price and p.target_price
        req = OrderRequest(
            client_order_id=p.id,
            symbol=p.symbol,
            side=Side(p.side),
            quantity=p.quantity,
            order_type=OrderType(p.order_type),
            limit_price=p.limit_price,
            take_profit=p.target_price if bracket else None,
            stop_loss=p.stop_price if bracket else None,
        )
        levels = (p.stop_price, p.target_price) if p.kind == "entry" else (None, None)
        return await self._send(req, actor, now, p.id, p.strategy, prior_events, levels)

    async def send(self, req: OrderRequest, actor: str, now: datetime) -> Order:
        """An order that is not a proposal's (only the kill switch's flatten, on a person's
        command)."""
        return (await self._send(req, actor, now, None, "", (), (None, None)))[0]

    async def _send(
        self,
        req: OrderRequest,
        actor: str,
        now: datetime,
        proposal_id: str | None,
        strategy: str,
        prior_events: Sequence[tuple[str, str, dict[str, Any]]],
        levels: tuple[float | None, float | None],
    ) -> tuple[Order, Proposal | None]:
        row, created = self.store.ledger.add_order(
            Order(
                client_order_id=req.client_order_id,
                proposal_id=proposal_id,
                broker=self.broker.name,
                symbol=req.symbol,
                side=req.side.value,
                quantity=req.quantity,
                order_type=req.order_type.value,
                limit_price=req.limit_price,
                stop_price=req.stop_price,
                status="pending_submit",
                submitted_at=now,
                updated_at=now,
            ),
            actor,
            {"request": req.model_dump(mode="json")},
            prior_events,
        )
        if not created:  # someone already sent it: never a second submit
            return row, self.store.proposals.get(proposal_id) if proposal_id else None
        try:
            bo = await self.broker.submit(req)
        except OrderRejectedError as e:
            self._fail(req.client_order_id, proposal_id, f"broker rejected: {e}", actor, "rejected")
            raise ExecutionFailed(f"The broker rejected the order: {e}") from e
        except BrokerError as e:
            # outcome unknown: look the order up by its client id before concluding anything
            found = await self._lookup(req.client_order_id)
            if found is None:
                self._fail(req.client_order_id, proposal_id, f"submit failed: {e}", actor, "failed")
                raise ExecutionFailed(f"The order could not be placed: {e}") from e
            bo = found
        return self._book(bo, actor, strategy, proposal_id is not None, levels)

    async def _lookup(self, client_order_id: str) -> BrokerOrder | None:
        try:
            return await self.broker.order_by_client_id(client_order_id)
        except BrokerError:
            return None

    def _fail(
        self, cid: str, proposal_id: str | None, reason: str, actor: str, status: str
    ) -> None:
        self.store.ledger.update_order(cid, actor, "order." + status, status=status, reason=reason)
        if proposal_id:
            self.store.proposals.transition(
                proposal_id,
                *legal((S.APPROVED, S.SUBMITTED), S.FAILED),
                actor=actor,
                event_type="proposal.failed",
                context={"reason": reason},
                fields={"status_reason": reason},
            )
        logger.warning("order {} {}: {}", cid, status, reason)

    def apply(self, bo: BrokerOrder, actor: str) -> Order:
        """Book a broker's view of an order (from sync or cancel)."""
        return self._book(bo, actor, "", False, (None, None))[0]

    def _book(
        self,
        bo: BrokerOrder,
        actor: str,
        strategy: str,
        just_submitted: bool,
        levels: tuple[float | None, float | None],
    ) -> tuple[Order, Proposal | None]:
        """Book a broker's view of an order in one transaction: new fills, the order's
        status, and the proposal's status (approved -> submitted -> filled ...)."""
        steps: list[Step] = []
        if just_submitted:
            steps.append(
                Step(
                    *legal(S.APPROVED, S.SUBMITTED),
                    "proposal.submitted",
                    {"broker_order_id": bo.broker_order_id},
                )
            )
        target = self._proposal_target(bo)
        if target is not None:
            steps.append(
                Step(
                    *legal(sources_of(target), target),
                    f"proposal.{target.value}",
                    {"filled": bo.filled_quantity, "avg_fill_price": bo.avg_fill_price},
                    {"status_reason": bo.reason} if bo.reason else None,
                )
            )
        fills = [
            (
                Fill(
                    broker=self.broker.name,
                    fill_id=f.fill_id,
                    order_id=0,
                    client_order_id=bo.client_order_id,
                    symbol=bo.symbol,
                    side=bo.side.value,
                    quantity=f.quantity,
                    price=f.price,
                    commission=f.commission,
                    ts=f.ts,
                ),
                partial(_book, side=bo.side, qty=f.quantity, price=f.price),
            )
            for f in self._unbooked(bo)
        ]
        booked = self.store.ledger.book(
            bo.client_order_id,
            fills,
            actor,
            strategy=strategy,
            steps=steps,
            levels=levels,
            order_fields={
                "broker_order_id": bo.broker_order_id,
                "status": bo.status.value,
                "filled_quantity": bo.filled_quantity,
                "avg_fill_price": bo.avg_fill_price,
                "reason": bo.reason,
            },
        )
        if booked is None:
            raise ExecutionFailed(f"order {bo.client_order_id} is not in our books")
        return booked

    def _unbooked(self, bo: BrokerOrder) -> list[FillReport]:
        """The fills of `bo` not booked yet, never more shares than the venue's cumulative
        filled quantity says are new. An adapter that re-derived its fills after a restart
        (Alpaca reports only cumulative quantities) gets one fill for the difference, at the
        price that keeps the venue's average."""
        row = self.store.ledger.order(bo.client_order_id)
        if row is None:
            return list(bo.fills)
        seen = self.store.ledger.fill_ids(bo.client_order_id)
        new = [f for f in bo.fills if f.fill_id not in seen]
        room = bo.filled_quantity - row.filled_quantity
        if sum(f.quantity for f in new) <= room:
            return new
        if room <= 0 or not bo.avg_fill_price:
            logger.warning("order {}: fills already booked; ignored", bo.client_order_id)
            return []
        paid = (row.avg_fill_price or 0.0) * row.filled_quantity
        price = round((bo.avg_fill_price * bo.filled_quantity - paid) / room, 6)
        if price <= 0:
            logger.error("order {}: fills do not add up; not booked", bo.client_order_id)
            return []
        logger.warning(
            "order {}: fills re-derived by the broker adapter; booking the {} new shares only",
            bo.client_order_id,
            room,
        )
        fill_id = f"{bo.broker_order_id}-{bo.filled_quantity}"
        return [
            FillReport(fill_id=fill_id, quantity=room, price=price, commission=0.0, ts=new[-1].ts)
        ]

    @staticmethod
    def _proposal_target(bo: BrokerOrder) -> ProposalStatus | None:
        if bo.status is OrderStatus.CANCELED:
            return S.CANCELED
        if bo.status is OrderStatus.REJECTED:
            return S.FAILED
        target = status_after_fill(bo.filled_quantity, bo.quantity)
        return None if target is S.SUBMITTED else target

    async def sync(self, actor: str) -> list[Order]:
        """Advance working orders at the broker and book every change."""
        open_rows = self.store.ledger.orders(open_only=True, limit=None)
        if not open_rows:
            return []
        await self.broker.refresh()
        out: list[Order] = []
        for row in open_rows:
            bo = await self._lookup(row.client_order_id)
            if bo is not None and (
                bo.status.value != row.status or bo.filled_quantity != row.filled_quantity
            ):
                out.append(self.apply(bo, actor))
        return out

    async def cancel_all(self, actor: str) -> list[str]:
        canceled: list[str] = []
        for row in self.store.ledger.orders(open_only=True, limit=None):
            try:
                bo = await self.broker.cancel(row.client_order_id)
            except BrokerError as e:
                logger.warning("cancel {} failed: {}", row.client_order_id, e)
                continue
            self.apply(bo, actor)
            canceled.append(row.client_order_id)
        return canceled


def _book(quantity: int, avg: float, *, side: Side, qty: int, price: float) -> BookUpdate:
    return apply_fill(quantity, avg, side, qty, price)
