"""RecoveryAgent: brings every interrupted approval and every unknown order outcome to a
known state, exactly once, at start-up and on the desk loop.

- An approval with no order row (its desk died between the click and the order) is
  re-checked (expiry, fresh quote and drift, every limit) and sent under its own id as the
  client order id, or closed as failed with the reason.
- An order being sent or with an unknown outcome is looked up at the venue by its client
  id: if the venue has it, its status and fills are booked; if not, it is re-checked and
  sent once more under the same id (the venue refuses a second order with that id), or
  closed as never sent. A look-up that fails is tried again with backoff, forever: the
  order is never marked failed on a guess and never resent blindly.
Approvals another desk is still executing are left alone (see agents/instance.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from loguru import logger

from agents import events as ev
from agents.approvals import ApprovalAgent
from agents.errors import CotraderError, ExecutionFailed
from agents.execution import MAX_SENDS, SETTLE, ExecutionAgent
from agents.instance import LEASE, Owner, owner_state
from agents.stop_orders import owns_card
from brokers.base import Broker, BrokerError
from models.domain import (
    PENDING_SUBMIT,
    UNSETTLED_ORDER_STATUSES,
    BrokerOrder,
    ProposalStatus,
)
from models.store import Store
from models.tables import Order, Proposal

ACTOR = "agent:recovery"
S = ProposalStatus


class RecoveryAgent:
    def __init__(
        self,
        store: Store,
        approvals: ApprovalAgent,
        execution: ExecutionAgent,
        broker: Broker,
        owner: Owner,
        clock: Callable[[], datetime],
        publish: Callable[[ev.DeskEvent], Awaitable[None]],
        mode_label: str,
    ) -> None:
        self.store = store
        self.approvals = approvals
        self.execution = execution
        self.broker = broker
        self.owner = owner
        self.clock = clock
        self.publish = publish
        self.mode_label = mode_label

    async def run(self, startup: bool = False) -> list[ev.Recovered]:
        """One pass: take over what is ours to recover, settle it, alert each outcome."""
        now = self.clock()
        taken: dict[str, Proposal] = {}
        restarted: set[str] = set()
        for p in self.store.proposals.approved():
            mine = self._take(p, now)
            if mine is None:
                continue
            taken[p.id] = mine
            if startup or owner_state(p.lease_owner, self.owner) != "me":
                restarted.add(p.id)
        out: list[ev.Recovered] = []
        for p in taken.values():
            row = self.store.ledger.order(p.id)
            if row is None:
                await self._safely(out, p.id, self._resume(p, now))
            elif row.status not in UNSETTLED_ORDER_STATUSES:
                await self._safely(out, p.id, self._align(row))
        for row in self.store.ledger.unsettled(due_by=now):
            if row.client_order_id in self.execution.sending:
                continue
            p = self.store.proposals.get(row.proposal_id) if row.proposal_id else None
            if p is not None and p.status == S.APPROVED.value and p.id not in taken:
                continue  # another desk is still executing it
            if p is not None and p.id in self.approvals.inflight:
                continue
            await self._safely(out, row.client_order_id, self._settle(row, p, now))
        if startup:  # orders that were working when the desk stopped may have moved since
            for row in self.store.ledger.orders(open_only=True, limit=None):
                if row.status not in UNSETTLED_ORDER_STATUSES:
                    await self._safely(out, row.client_order_id, self._caught_up(row))
            restarted |= {r.proposal_id for r in out if r.proposal_id}
        try:  # an exit's lifted protection whose desk died before putting it back
            await self.approvals.protection.settle(self.approvals.inflight, ACTOR, now)
        except (BrokerError, CotraderError) as e:
            logger.warning("recovery: protection left for the next pass: {}", e)
        told = []
        for r in out:
            p = self.store.proposals.get(r.proposal_id) if r.proposal_id else None
            r = r.model_copy(
                update={
                    "after_restart": r.proposal_id in restarted or r.proposal_id is None,
                    "approver": p.decided_by if p is not None else None,
                }
            )
            logger.info("recovery: {} {}", r.client_order_id, r.outcome)
            await self.publish(r)
            told.append(r)
        return told

    @staticmethod
    async def _safely(
        out: list[ev.Recovered], key: str, work: Awaitable[ev.Recovered | None]
    ) -> None:
        """One item's recovery; a venue or data failure leaves it for the next pass."""
        try:
            done = await work
        except (BrokerError, CotraderError) as e:
            logger.warning("recovery of {} deferred: {}", key, e)
            return
        if done is not None:
            out.append(done)

    # ------------------------------------------------------------------ approvals
    def _take(self, p: Proposal, now: datetime) -> Proposal | None:
        """The approval, leased to this desk, when it is ours to recover; else None."""
        if p.id in self.approvals.inflight:
            return None
        state = owner_state(p.lease_owner, self.owner)
        expired = p.lease_until is None or p.lease_until <= now
        if state == "me" and p.lease_until is not None and p.lease_until > now + LEASE / 2:
            return p
        if state in ("alive", "unknown") and not expired:
            return None
        return self.store.proposals.take_lease(p, str(self.owner), now + LEASE)

    async def _resume(self, p: Proposal, now: datetime) -> ev.Recovered:
        """An approval with no order: re-check it, then send it, or close it as failed."""
        reason, ctx = await self.approvals.recheck(p, now, expiry=True)
        if reason is not None:
            self.approvals.refuse(
                p, "recovery", reason, ctx, ACTOR, "recovery.refused", "not sent after a restart"
            )
            return self._failed(p.id, p, f"re-checked after the restart: {reason}")
        self.store.events.add(
            "recovery.resumed", ACTOR, proposal_id=p.id, context={"recheck": _shown(ctx)}
        )
        try:
            order, _ = await self.execution.execute(
                p, ACTOR, now, prior_events=[("recheck.passed", ACTOR, _shown(ctx))]
            )
        except ExecutionFailed as e:
            return self._failed(p.id, p, str(e))
        return self._outcome(order)

    # ------------------------------------------------------------------ orders
    async def _settle(self, row: Order, p: Proposal | None, now: datetime) -> ev.Recovered | None:
        """Look an unsettled order up at the venue and act on the answer."""
        cid = row.client_order_id
        try:
            bo = await self.broker.order_by_client_id(cid)
        except BrokerError as e:
            first = row.status == PENDING_SUBMIT
            order, _ = self.execution.unknown(
                cid, f"look-up failed: {e}", ACTOR, now, row.checks + 1
            )
            return self._outcome(order) if first else None
        if bo is not None:
            return self._booked(bo)
        settled = row.sent_at is None or row.sent_at + SETTLE <= now
        why = self._never(row, p)
        if why is None:
            assert p is not None
            reason, ctx = await self.approvals.recheck(p, now, expiry=True)
            if reason is None:
                return await self._resend(row, p, ctx, now)
            why = f"it never reached the venue and was not sent again: {reason}"
        if not settled:  # a send may still be on its way to the venue: look again later
            assert row.sent_at is not None
            self.store.ledger.update_order(cid, ACTOR, None, next_check_at=row.sent_at + SETTLE)
            return None
        self.execution.never_sent(row, why, ACTOR)
        return self._failed(cid, row, why)

    @staticmethod
    def _never(row: Order, p: Proposal | None) -> str | None:
        """Why an order the venue does not have must not be sent again (None: it may be)."""
        if not owns_card(row):
            return "a protective order the venue does not have is not sent again"
        if p is None:
            return "it never reached the venue; a kill-switch order is not resent (/kill again)"
        if p.status != S.APPROVED.value:
            return f"it never reached the venue and its proposal is {p.status}"
        if row.sends >= MAX_SENDS:
            return f"the venue never received it after {row.sends} sends"
        return None

    async def _resend(
        self, row: Order, p: Proposal, ctx: dict[str, object], now: datetime
    ) -> ev.Recovered:
        cid = row.client_order_id
        self.store.ledger.update_order(
            cid,
            ACTOR,
            "recovery.resent",
            status=PENDING_SUBMIT,
            sends=row.sends + 1,
            sent_at=now,
            next_check_at=None,
        )
        self.store.events.add(
            "recheck.passed", ACTOR, proposal_id=p.id, order_id=cid, context=_shown(ctx)
        )
        try:
            req = self.execution.request_for(p)
            send = await self.execution.sender(p, req)
            order, _ = await self.execution.submit(req, ACTOR, now, p.id, send)
        except ExecutionFailed as e:
            return self._failed(cid, p, str(e))
        return self._outcome(order)

    async def _align(self, row: Order) -> ev.Recovered | None:
        """An approval whose order our books hold as settled (a booking from before the
        proposal followed its order): book the venue's view so the proposal follows it."""
        try:
            bo = await self.broker.order_by_client_id(row.client_order_id)
        except BrokerError as e:
            logger.warning("recovery: look-up of {} failed: {}", row.client_order_id, e)
            return None
        if bo is not None:
            return self._booked(bo)
        why = row.reason or "the venue does not have it"
        self.execution.never_sent(row, why, ACTOR)
        return self._failed(row.client_order_id, row, why)

    async def _caught_up(self, row: Order) -> ev.Recovered | None:
        """A working order after a restart: book what the venue did with it meanwhile."""
        bo = await self.broker.order_by_client_id(row.client_order_id)
        if bo is None or (bo.status.value, bo.filled_quantity) == (row.status, row.filled_quantity):
            return None
        return self._booked(bo)

    def _outcome(self, o: Order) -> ev.Recovered:
        """Where an order stands now."""
        return ev.Recovered(
            mode_label=self.mode_label,
            proposal_id=o.proposal_id,
            client_order_id=o.client_order_id,
            outcome=o.status,
            symbol=o.symbol,
            side=o.side,
            quantity=o.quantity,
            filled=o.filled_quantity,
            avg_price=o.avg_fill_price,
            reason=o.reason,
        )

    def _failed(self, cid: str, what: Order | Proposal, why: str) -> ev.Recovered:
        """Closed without an order at the venue, and why."""
        return ev.Recovered(
            mode_label=self.mode_label,
            proposal_id=what.proposal_id if isinstance(what, Order) else what.id,
            client_order_id=cid,
            outcome="failed",
            symbol=what.symbol,
            side=what.side,
            quantity=what.quantity,
            reason=why,
        )

    def _booked(self, bo: BrokerOrder) -> ev.Recovered:
        order, _ = self.execution.book(bo, ACTOR)
        self.store.events.add(
            "recovery.booked",
            ACTOR,
            proposal_id=order.proposal_id,
            order_id=order.client_order_id,
            context={"status": order.status, "filled": order.filled_quantity},
        )
        return self._outcome(order)


def _shown(ctx: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in ctx.items() if not k.startswith("_")}
