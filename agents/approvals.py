"""ApprovalAgent: a person's decision on a proposal, and the only road to an order.

Approve: the gate (an approver?), an atomic compare-and-set pending -> approved that leases
the approval to this desk, a re-check on a fresh quote (drift, every limit), then the
execution agent; what came of it is published. Reject: the gate, then the compare-and-set.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from loguru import logger

from agents import events as ev
from agents import failpoints
from agents.data import DataAgent
from agents.errors import (
    CotraderError,
    ExecutionFailed,
    NotPending,
    ProposalNotFound,
    RiskRefused,
    ShuttingDown,
)
from agents.execution import ExecutionAgent
from agents.gate import Gate
from agents.instance import LEASE
from agents.order_feed import told_once
from agents.proposals import ProposalAgent, normalise_id
from agents.protection import Levels, LiftFailed, Protection
from agents.results import Card
from agents.risk import RiskAgent
from agents.stop_moves import recheck_stop
from brokers.base import BrokerError
from models.config import ExecutionConfig
from models.domain import UNSETTLED_ORDER_STATUSES, Actor, ProposalStatus, RiskDecision, Side
from models.store import Store
from models.tables import Proposal
from services.proposal_states import legal, why_not_approvable
from services.risk import drift_pct

S = ProposalStatus
OptionRecheck = Callable[[Proposal, datetime], Awaitable[tuple[str | None, dict[str, Any]]]]
PAST = {"approve": "approved", "reject": "rejected", "resize": "resized"}
WHAT = {"approve": "approve trades", "reject": "reject trades", "resize": "adjust a proposal"}


class ApprovalAgent:
    def __init__(
        self,
        store: Store,
        data: DataAgent,
        risk: RiskAgent,
        execution: ExecutionAgent,
        proposals: ProposalAgent,
        gate: Gate,
        cfg: ExecutionConfig,
        clock: Callable[[], datetime],
        owner: str,
        venue_name: str,
        streaming: Callable[[], bool],
        publish: Callable[[ev.DeskEvent], Awaitable[None]],
        protection: Protection | None = None,
    ) -> None:
        self.store = store
        self.protection = protection or Protection(store, execution.broker, execution)
        self.data = data
        self.risk = risk
        self.execution = execution
        self.proposals = proposals
        self.gate = gate
        self.cfg = cfg
        self.clock = clock
        self.owner = owner  # this desk's id: the lease holder of the approvals it executes
        self.venue_name = venue_name
        self.streaming = streaming  # whether the venue pushes order updates (they tell fills)
        self.publish = publish
        self.inflight: set[str] = set()  # approvals being executed by this desk right now
        self.closing = False  # set on shutdown: no new approval starts
        # an option card's re-check (agents/option_recheck.py), set by the orchestrator
        self.option_recheck: OptionRecheck | None = None

    # ------------------------------------------------------------------ the gate
    def check(self, proposal_id: str, actor: Actor, verb: str, expiry: bool = True) -> Proposal:
        """Whether `actor` may `verb` this proposal now (approve, reject or resize): the
        proposal, or the refusal a front end shows as it is (recorded when it is about the
        person's right). Nothing is changed, except that a card found past its time expires
        (with `expiry`; else the decision itself finds it)."""
        pid = normalise_id(proposal_id)
        p = self.store.proposals.get(pid)
        if p is None:
            raise ProposalNotFound(proposal_id)
        self.gate.check(actor, verb, WHAT[verb], pid)
        if p.status != S.PENDING.value:
            raise NotPending(
                f"Proposal {pid} cannot be {PAST[verb]}: {why_not_approvable(S(p.status))}."
            )
        if expiry and self.clock() >= p.expires_at:
            self.proposals.expire(pid)
            raise NotPending(
                f"Proposal {pid} expired at {p.expires_at:%H:%M:%S} UTC; nothing was sent."
            )
        return p

    def _decide(
        self,
        proposal_id: str,
        actor: Actor,
        to: ProposalStatus,
        now: datetime,
        context: dict[str, object],
        fields: dict[str, object] | None = None,
    ) -> Proposal:
        """The person's click: compare-and-set pending (and not expired) -> approved or
        rejected, or refuse saying why (the row is only read when the click loses)."""
        verb = "approve" if to is S.APPROVED else "reject"
        if not actor.can_approve:
            self.check(proposal_id, actor, verb)  # raises, recording the refusal
        pid = normalise_id(proposal_id)
        won = self.store.proposals.transition(
            pid,
            *legal(S.PENDING, to),
            actor=actor.id,
            event_type=f"proposal.{to.value}",
            context={"by": actor.name, "at": now.isoformat(), **context},
            fields={"decided_by": actor.name, "decided_at": now, **(fields or {})},
            unexpired_at=now,
        )
        if won is None:
            self.check(pid, actor, verb)  # not found, not pending or expired: raises
            cur = self.store.proposals.get(pid)
            why = why_not_approvable(S(cur.status)) if cur else "it is gone"
            raise NotPending(f"Proposal {pid} cannot be {PAST[verb]}: {why}.")
        return won

    # ------------------------------------------------------------------ decisions
    async def approve(self, proposal_id: str, actor: Actor) -> Card:
        if self.closing:
            raise ShuttingDown("The desk is shutting down; nothing was approved or sent.")
        pid = normalise_id(proposal_id)
        now = self.clock()
        self.inflight.add(pid)
        try:
            won = self._decide(
                pid,
                actor,
                S.APPROVED,
                now,
                {},
                {"lease_owner": self.owner, "lease_until": now + LEASE},
            )
            ctx = await self._recheck(won, actor, now)
            failpoints.hit("approve.before_order")
            held, lifted = await self._lift(won, actor)
            if lifted is not None:
                failpoints.hit("exit.after_lift")
            try:
                order, prop = await self.execution.execute(
                    won, actor.id, now, prior_events=[("recheck.passed", "agent:risk", ctx)]
                )
            except ExecutionFailed:
                if lifted is not None:  # the exit did not go: the protection goes back
                    await self.protection.restore(won.id, won.symbol, held, lifted, actor.id, now)
                await self._refresh_risk()  # a rejection streak halts the desk now
                raise
            if lifted is not None:  # what the exit leaves keeps its stop and target
                left = held - won.quantity if held > 0 else held + won.quantity
                await self.protection.restore(won.id, won.symbol, left, lifted, actor.id, now)
            if won.kind == "stop" and order.status in ("new", "partially_filled", "filled"):
                self.store.ledger.set_stop(won.symbol, won.stop_price)
        finally:
            self.inflight.discard(pid)
        card = Card.of(prop or won, order)
        await self._tell(card, actor)
        return card

    async def _lift(self, p: Proposal, actor: Actor) -> tuple[int, Levels | None]:
        """An exit's first step: the position's protective orders come off at the venue, so
        the exit can be sent (and the stop cannot sell the same shares twice). A failure
        closes the approval as failed, with nothing sent."""
        if p.kind != "exit" or (p.facts or {}).get("option"):  # option legs have no stop
            return 0, None
        pos = self.store.ledger.position(p.symbol)
        held = pos.quantity if pos else 0
        try:
            return held, await self.protection.lift(p.id, p.symbol, actor.id)
        except LiftFailed as e:
            if e.levels is not None:  # part came off: the whole position gets it back
                await self.protection.restore(
                    p.id, p.symbol, held, e.levels, actor.id, self.clock()
                )
            self.refuse(
                p, actor.name, str(e), {}, "agent:execution", "protection.refused", "not sent"
            )
            raise

    def reject(self, proposal_id: str, actor: Actor, reason: str = "") -> Card:
        reason = (reason or "").strip()[:500]
        won = self._decide(
            proposal_id,
            actor,
            S.REJECTED,
            self.clock(),
            {"reason": reason},
            {"status_reason": reason or "rejected"},
        )
        return Card.of(won)

    async def _refresh_risk(self) -> None:
        try:
            await self.risk.refresh(self.clock())
        except BrokerError as e:
            logger.warning("risk refresh after a failed order: {}", e)

    async def _tell(self, card: Card, actor: Actor) -> None:
        """What the click's order came to: filled, working, or sent with an unknown outcome."""
        o = card.order
        if o is None:
            return
        fields = {
            "mode_label": card.mode_label,
            "client_order_id": o.client_order_id,
            "proposal_id": card.id,
            "symbol": o.symbol,
            "side": o.side,
            "quantity": o.quantity,
            "filled": o.filled_quantity,
            "avg_price": o.avg_fill_price,
            "venue": self.venue_name,
            "approver": actor.name,
            "reason": o.reason,
        }
        if o.filled_quantity:
            told = not self.streaming() or told_once(
                self.store, o.client_order_id, o.status, o.filled_quantity
            )
            if told:  # else the order stream announced this fill already
                await self.publish(ev.OrderFilled(**fields))
        elif o.status in UNSETTLED_ORDER_STATUSES:
            await self.publish(ev.OrderUnknown(**fields))
        else:
            await self.publish(ev.OrderWorking(**fields))

    # ------------------------------------------------------------------ re-check
    async def _recheck(self, p: Proposal, actor: Actor, now: datetime) -> dict[str, object]:
        """Fresh quote, drift and every risk limit again; on refusal the proposal fails."""
        reason, ctx = await self.recheck(p, now)
        if reason is not None:
            self.refuse(p, actor.name, reason, ctx, "agent:risk", "recheck.refused")
            decision = ctx.pop("_decision", None)
            raise RiskRefused(
                f"Refused at the click: {reason}. Nothing was sent"
                + (f"; /propose {p.symbol} again for a fresh card." if "moved" in reason else "."),
                decision if isinstance(decision, RiskDecision) else None,
            )
        return ctx

    async def recheck(
        self, p: Proposal, now: datetime, expiry: bool = False
    ) -> tuple[str | None, dict[str, Any]]:
        """(why it must not be sent now, or None; the numbers that decided): a fresh quote,
        the drift since the card, every risk limit, and with `expiry` the card's expiry."""
        if expiry and now >= p.expires_at:
            return f"the card expired at {p.expires_at:%H:%M:%S} UTC", {}
        if (p.facts or {}).get("option") and self.option_recheck is not None:
            return await self.option_recheck(p, now)
        side = Side(p.side)
        try:
            q = await self.data.quote(p.symbol, fresh=True)
        except CotraderError as e:
            return f"no fresh quote ({e})", {}
        if p.kind == "stop":  # a stop move: the position and the level, not a drift
            return recheck_stop(self.store, p, q)
        px = q.price_for(side)
        drift = drift_pct(p.entry_price, px)
        ctx: dict[str, Any] = {
            "bid": q.bid,
            "ask": q.ask,
            "price": px,
            "proposed": p.entry_price,
            "drift_pct": round(drift, 4),
            "tolerance_pct": self.cfg.drift_tolerance_pct,
        }
        # A limit order never pays more than its limit, and an at-the-open order takes the
        # open's price: neither can drift, and risk is checked at the limit (or the quote).
        priced_by_order = p.limit_price is not None or p.time_in_force == "opg"
        if p.limit_price is not None:
            px = p.limit_price
            ctx["price"] = px
            ctx["checked_at"] = "limit"
        if not priced_by_order and drift > self.cfg.drift_tolerance_pct:
            return (
                f"price moved {drift:.2f}% since the proposal ({p.entry_price:.2f} -> "
                f"{px:.2f}), more than the {self.cfg.drift_tolerance_pct:g}% tolerance",
                ctx,
            )
        decision = await self.risk.evaluate(
            p.symbol, side, px, p.stop_price, p.quantity, now, kind=p.kind
        )
        ctx["checks"] = [c.model_dump() for c in decision.checks]
        if not decision.approved:
            return decision.reason(), {**ctx, "_decision": decision}
        return None, ctx

    def refuse(
        self,
        p: Proposal,
        by: str,
        reason: str,
        ctx: dict[str, Any],
        actor: str,
        event_type: str,
        prefix: str = "refused at the click",
    ) -> Proposal | None:
        """Close an approval as failed, with the reason (nothing was sent)."""
        shown = {k: v for k, v in ctx.items() if not k.startswith("_")}
        return self.store.proposals.transition(
            p.id,
            *legal(S.APPROVED, S.FAILED),
            actor=actor,
            event_type=event_type,
            context={**shown, "reason": reason, "by": by},
            fields={"status_reason": f"{prefix}: {reason}"},
        )
