"""ExecutionAgent: sends an approved proposal's order and books what comes back.

It is only ever called with a proposal the store has already moved to APPROVED (or by the
kill switch's flatten, on a person's command). The order carries the proposal id as its
client order id, so the broker itself refuses a second execution.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from loguru import logger

from agents import failpoints
from agents.errors import ExecutionFailed
from agents.protective_rows import child_row, child_rows
from agents.stop_orders import Send, owns_card, stop_sender
from agents.venue_cancels import VenueCancels
from brokers.base import Broker, BrokerError, OrderRejectedError
from models.domain import (
    OUTCOME_UNKNOWN,
    PENDING_SUBMIT,
    UNSETTLED_ORDER_STATUSES,
    BrokerOrder,
    FillReport,
    OrderLeg,
    OrderRequest,
    OrderRole,
    OrderStatus,
    OrderType,
    ProposalStatus,
    Side,
    TimeInForce,
    split_client_id,
)
from models.proposal_repo import Step
from models.store import Store
from models.tables import Fill, Order, Proposal
from services.proposal_states import corrected, legal, sources_of, status_after_fill

S = ProposalStatus


SETTLE = timedelta(seconds=30)  # a send with no answer may still land at the venue this long
MAX_SENDS = 3  # sends of one order (same client id) before "never reached the venue"


def lookup_backoff(checks: int) -> timedelta:
    """The wait before the next look-up of an unknown outcome: 1 s doubling to 60 s."""
    return timedelta(seconds=min(60.0, 2.0 ** max(0, checks - 1)))


class ExecutionAgent(VenueCancels):
    def __init__(
        self, store: Store, broker: Broker, bracket: bool = False, owner: str | None = None
    ) -> None:
        self.store = store
        self.broker = broker
        self.owner = owner  # the desk whose approvals this agent sends (the lease holder)
        # entries go out with their stop and target as one bracket (venues that support it)
        self.bracket = bracket and bool(getattr(broker, "supports_bracket", False))
        self.sending: set[str] = set()  # client ids with a send in progress in this process

    def request_for(self, p: Proposal) -> OrderRequest:
        """The order an approved proposal sends: the same every time (the client id is the
        proposal id), so a resend after a crash is the same order."""
        bracket = (
            self.bracket
            and p.kind == "entry"
            and bool((p.facts or {}).get("protective"))
            and p.stop_price
            and p.target_price
        )
        option = (p.facts or {}).get("option")
        if option:  # a multi-leg option order at the card's net limit
            return OrderRequest(
                client_order_id=p.id,
                symbol=p.symbol,
                side=Side(p.side),
                quantity=p.quantity,
                order_type=OrderType.LIMIT,
                limit_price=p.limit_price,
                legs=tuple(
                    OrderLeg(
                        symbol=leg["symbol"],
                        side=Side(leg["side"]),
                        ratio=int(leg.get("quantity", 1)),
                        opens=bool(leg.get("opens", True)),
                    )
                    for leg in option["legs"]
                ),
                time_in_force=TimeInForce.DAY,
            )
        if p.kind == "stop":  # a stop move: the new protective stop itself
            return OrderRequest(
                client_order_id=p.id,
                symbol=p.symbol,
                side=Side(p.side),
                quantity=p.quantity,
                order_type=OrderType.STOP,
                stop_price=p.stop_price,
                time_in_force=TimeInForce.GTC,
            )
        return OrderRequest(
            client_order_id=p.id,
            symbol=p.symbol,
            side=Side(p.side),
            quantity=p.quantity,
            order_type=OrderType(p.order_type),
            limit_price=p.limit_price,
            take_profit=p.target_price if bracket else None,
            stop_loss=p.stop_price if bracket else None,
            time_in_force=TimeInForce(p.time_in_force or "day"),
        )

    async def execute(
        self,
        p: Proposal,
        actor: str,
        now: datetime,
        prior_events: Sequence[tuple[str, str, dict[str, Any]]] = (),
    ) -> tuple[Order, Proposal | None]:
        """Submit the proposal's order; returns our order row and the proposal after booking
        any fills. `prior_events` (the re-check) are written with the order. The order row
        is only created while this desk still holds the approval's lease."""
        req = self.request_for(p)
        role = OrderRole.STOP if p.kind == "stop" else OrderRole.MAIN
        row, created = self._add(req, actor, now, p.id, prior_events, role)
        if row is None:
            raise ExecutionFailed(
                f"Proposal {p.id} is no longer this desk's to execute "
                f"({self._status_of(p.id)}); nothing was sent."
            )
        if not created:  # someone already sent it: never a second submit from here
            return row, self.store.proposals.get(p.id)
        failpoints.hit("approve.after_order")
        return await self.submit(req, actor, now, p.id, await self.sender(p, req))

    async def sender(self, p: Proposal, req: OrderRequest) -> Send | None:
        """How the proposal's order goes to the venue: None for a plain submit; a stop
        move replaces the working stop (agents/stop_orders.py)."""
        return await stop_sender(self, req) if p.kind == "stop" else None

    async def send(self, req: OrderRequest, actor: str, now: datetime) -> Order:
        """An order that is not a proposal's (only the kill switch's flatten, on a person's
        command)."""
        row, created = self._add(req, actor, now, None, ())
        assert row is not None
        if not created:
            return row
        return (await self.submit(req, actor, now, None))[0]

    def _add(
        self,
        req: OrderRequest,
        actor: str,
        now: datetime,
        proposal_id: str | None,
        prior_events: Sequence[tuple[str, str, dict[str, Any]]],
        role: OrderRole = OrderRole.MAIN,
    ) -> tuple[Order | None, bool]:
        return self.store.ledger.add_order(
            Order(
                client_order_id=req.client_order_id,
                proposal_id=proposal_id,
                role=role.value,
                broker=self.broker.name,
                symbol=req.symbol,
                side=req.side.value,
                quantity=req.quantity,
                order_type=req.order_type.value,
                limit_price=req.limit_price,
                stop_price=req.stop_price,
                time_in_force=req.time_in_force.value,
                status=PENDING_SUBMIT,
                submitted_at=now,
                updated_at=now,
                sends=1,
                sent_at=now,
            ),
            actor,
            {"request": req.model_dump(mode="json")},
            prior_events,
            lease_owner=self.owner if proposal_id else None,
        )

    def _status_of(self, proposal_id: str) -> str:
        p = self.store.proposals.get(proposal_id)
        return f"it is {p.status}" if p else "it is gone"

    async def submit(
        self,
        req: OrderRequest,
        actor: str,
        now: datetime,
        proposal_id: str | None,
        send: Send | None = None,
    ) -> tuple[Order, Proposal | None]:
        """Send an order row's request (a first send or a resend under the same client id)
        and book the answer. A refusal by the venue fails it; an answer that does not say
        whether the order exists leaves it `unknown`, to be looked up again, never failed on
        a guess and never resent blindly."""
        cid = req.client_order_id
        self.sending.add(cid)
        try:
            try:
                bo = await (send or self.broker.submit)(req)
            except OrderRejectedError as e:
                self._fail(cid, proposal_id, f"broker rejected: {e}", actor, "rejected")
                raise ExecutionFailed(f"The broker rejected the order: {e}") from e
            except BrokerError as e:
                # outcome unknown: look the order up by its client id before concluding
                try:
                    found = await self.broker.order_by_client_id(cid)
                except BrokerError as lookup:
                    return self.unknown(cid, f"submit: {e}; look-up: {lookup}", actor, now)
                if found is None:
                    return self.unknown(cid, f"submit: {e}; not at the venue yet", actor, now)
                bo = found
            failpoints.hit("approve.after_submit")
            return self._book(bo, actor)
        finally:
            self.sending.discard(cid)

    def unknown(
        self, cid: str, why: str, actor: str, now: datetime, checks: int = 0
    ) -> tuple[Order, Proposal | None]:
        """Hold an order as sent with an unknown outcome; the desk looks it up again."""
        row = self.store.ledger.update_order(
            cid,
            actor,
            "order.outcome_unknown",
            only_if=UNSETTLED_ORDER_STATUSES,  # the stream may have booked it meanwhile
            status=OUTCOME_UNKNOWN,
            reason=why[:500],
            checks=checks,
            next_check_at=now + lookup_backoff(checks + 1),
        )
        assert row is not None
        if row.status == OUTCOME_UNKNOWN:
            logger.warning("order {}: outcome unknown ({}); will look it up again", cid, why)
        return row, self.store.proposals.get(row.proposal_id) if row.proposal_id else None

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

    def never_sent(self, row: Order, reason: str, actor: str) -> None:
        """The venue does not have this order and it will not be sent: close the order row
        (failed) and its approval (failed), with the reason."""
        main = owns_card(row)  # a protective child never fails its card
        self._fail(row.client_order_id, row.proposal_id if main else None, reason, actor, "failed")

    def apply(self, bo: BrokerOrder, actor: str) -> Order:
        """Book a broker's view of an order (from a poll, the stream, a cancel, recovery)."""
        return self._book(bo, actor)[0]

    def book(self, bo: BrokerOrder, actor: str) -> tuple[Order, Proposal | None]:
        """Book a broker's view of an order; returns the order row and its proposal."""
        return self._book(bo, actor)

    def _book(self, bo: BrokerOrder, actor: str) -> tuple[Order, Proposal | None]:
        """Book a broker's view of an order in one transaction: new fills, the order's
        status, and the proposal's status (approved -> submitted -> filled ...), whatever
        path the update came by."""
        fields = {
            "broker_order_id": bo.broker_order_id,
            "status": bo.status.value,
            "filled_quantity": bo.filled_quantity,
            "avg_fill_price": bo.avg_fill_price,
            "reason": bo.reason,
            "next_check_at": None,
        }
        if split_client_id(bo.client_order_id)[1] is not OrderRole.MAIN:
            fields["quantity"] = bo.quantity  # one-cancels-other shrinks a protective sibling
        plan = partial(self._plan, bo)
        booked = self.store.ledger.book(bo.client_order_id, plan, actor, order_fields=fields)
        if booked is None and child_row(self.store, self.broker.name, bo, None, actor) is not None:
            booked = self.store.ledger.book(bo.client_order_id, plan, actor, order_fields=fields)
        if booked is None:
            raise ExecutionFailed(f"order {bo.client_order_id} is not in our books")
        if bo.legs:  # the protective orders the venue placed with this one
            rows = child_rows(self.store, self.broker.name, bo.legs, booked[0].proposal_id, actor)
            for leg in bo.legs:
                row, fresh = rows.get(leg.client_order_id, (None, False))
                if row is None or (fresh and row.status == leg.status.value):
                    continue  # just recorded as the venue shows it: nothing to book
                if (row.status, row.filled_quantity, row.quantity) != (
                    leg.status.value,
                    leg.filled_quantity,
                    leg.quantity,
                ):
                    self._book(leg, actor)
        return booked

    def _plan(self, bo: BrokerOrder, row: Order, seen: set[str]) -> tuple[list[Fill], list[Step]]:
        """The fills of `bo` to book (the ledger applies each to the position and its round
        trip) and the proposal's steps, given our row as it is now.
        A proposal we had closed as failed without the venue ever acknowledging its order
        follows the venue when the venue has it after all."""
        target = self._proposal_target(bo)
        if not owns_card(row):  # a protective child: its fills, not the card's
            return self._fills(bo, row, seen), []
        steps: list[Step] = [
            Step(
                *legal(S.APPROVED, S.SUBMITTED),
                "proposal.submitted",
                {"broker_order_id": bo.broker_order_id},
            )
        ]
        if row.broker_order_id is None and row.status in ("failed", "unknown", "canceled"):
            steps.insert(
                0,
                Step(
                    *corrected(S.FAILED, target or S.SUBMITTED),
                    "proposal.corrected",
                    {"reason": "the venue has the order after all", "was": row.reason},
                    {"status_reason": "the venue had the order after all"},
                ),
            )
        if target is not None:
            steps.append(
                Step(
                    *legal(sources_of(target), target),
                    f"proposal.{target.value}",
                    {"filled": bo.filled_quantity, "avg_fill_price": bo.avg_fill_price},
                    {"status_reason": bo.reason} if bo.reason else None,
                )
            )
        return self._fills(bo, row, seen), steps

    def _fills(self, bo: BrokerOrder, row: Order, seen: set[str]) -> list[Fill]:
        """The fills to book: a multi-leg order's are its legs' own, on each contract."""
        if bo.option_legs:
            return [
                self._fill_row(bo, f, leg.symbol, leg.side)
                for leg in bo.option_legs
                for f in leg.fills
                if f.fill_id not in seen
            ]
        return [self._fill_row(bo, f, bo.symbol, bo.side) for f in self._unbooked(bo, row, seen)]

    def _fill_row(self, bo: BrokerOrder, f: FillReport, symbol: str, side: Side) -> Fill:
        return Fill(
            broker=self.broker.name,
            fill_id=f.fill_id,
            order_id=0,
            client_order_id=bo.client_order_id,
            symbol=symbol,
            side=side.value,
            quantity=f.quantity,
            price=f.price,
            commission=f.commission,
            ts=f.ts,
        )

    def _unbooked(self, bo: BrokerOrder, row: Order, seen: set[str]) -> list[FillReport]:
        """The fills of `bo` not booked yet, never more shares than the venue's cumulative
        filled quantity says are new. An adapter that re-derived its fills after a restart
        (Alpaca reports only cumulative quantities) gets one fill for the difference, at the
        price that keeps the venue's average."""
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
        open_rows = [
            r
            for r in self.store.ledger.orders(open_only=True, limit=None)
            if r.status not in UNSETTLED_ORDER_STATUSES  # recovery settles those
        ]
        if not open_rows:
            return []
        await self.broker.refresh()
        try:  # one read of what still works; only orders no longer working are looked up
            working = {o.client_order_id: o for o in await self.broker.open_orders()}
        except BrokerError:
            working = {}
        out: list[Order] = []
        for row in open_rows:
            cid = row.client_order_id
            bo = working[cid] if cid in working else await self._lookup(cid)
            if bo is not None and (
                bo.status.value != row.status
                or bo.filled_quantity != row.filled_quantity
                or bo.quantity != row.quantity  # a protective sibling shrunk by its pair's fill
            ):
                out.append(self.apply(bo, actor))
        return out

    async def _lookup(self, client_order_id: str) -> BrokerOrder | None:
        try:
            return await self.broker.order_by_client_id(client_order_id)
        except BrokerError:
            return None
