"""The proposal desk: creates proposals, and decides them on a person's click.

Approval is the only road to an entry or exit order: authorise the person, claim the
proposal with an atomic compare-and-set (pending -> approved), re-check on a fresh quote,
then hand it to the execution agent.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from agents import failpoints
from agents.data import DataAgent
from agents.errors import (
    CotraderError,
    NotAuthorized,
    NotPending,
    ProposalNotFound,
    RiskRefused,
    ShuttingDown,
)
from agents.events import DeskEvent, ProposalSuperseded
from agents.execution import ExecutionAgent
from agents.instance import LEASE
from agents.llm.offline_writer import write_offline
from agents.results import Card
from agents.risk import RiskAgent
from models.config import ExecutionConfig
from models.domain import Actor, Mode, ProposalStatus, Quote, RiskDecision, Side, TradeIdea
from models.store import Store
from models.tables import Proposal, ProposalLeg
from services.proposal_states import legal, why_not_approvable
from services.risk import drift_pct

S = ProposalStatus
ID_RE = re.compile(r"^p-[a-z2-7]{8}$")
EXPIRY = Actor.system("expiry")
PAST = {"approve": "approved", "reject": "rejected"}


def new_proposal_id() -> str:
    """'p-' and 8 base32 characters: short enough to type, 40 bits of randomness."""
    return "p-" + base64.b32encode(secrets.token_bytes(5)).decode().lower()


def normalise_id(raw: str) -> str:
    pid = (raw or "").strip().lower()
    if not ID_RE.match(pid):
        raise ProposalNotFound(raw or "")
    return pid


class ProposalDesk:
    def __init__(
        self,
        store: Store,
        data: DataAgent,
        risk: RiskAgent,
        execution: ExecutionAgent,
        cfg: ExecutionConfig,
        mode: Mode,
        broker_name: str,
        clock: Callable[[], datetime],
        owner: str = "",
        publish: Callable[[DeskEvent], Awaitable[None]] | None = None,
    ) -> None:
        self.publish = publish or _nowhere
        self.owner = owner  # this desk's id: the lease holder of the approvals it executes
        self.inflight: set[str] = set()  # approvals being executed by this desk right now
        self.closing = False  # set on shutdown: no new approval starts
        self.store = store
        self.data = data
        self.risk = risk
        self.execution = execution
        self.cfg = cfg
        self.mode = mode
        self.broker_name = broker_name
        self.clock = clock

    # ------------------------------------------------------------------ creation
    async def create(
        self,
        idea: TradeIdea,
        decision: RiskDecision,
        quote: Quote,
        actor: Actor,
        source: str,
        kind: str = "entry",
        preview: dict[str, Any] | None = None,
    ) -> Card:
        """Store a PENDING proposal with the events that led to it; supersede older ones.
        `preview` is the venue's dry run (buying-power effect and fees), kept in the facts."""
        now = self.clock()
        rationale = write_offline(
            idea,
            decision.quantity,
            decision.risk_amount,
            decision.risk_pct,
            self.mode.label,
            kind,
        )
        p = Proposal(
            id=new_proposal_id(),
            kind=kind,
            symbol=idea.symbol,
            side=idea.side.value,
            quantity=decision.quantity,
            order_type="market",
            entry_price=idea.entry,
            stop_price=idea.stop if kind == "entry" else None,
            target_price=idea.target if kind == "entry" else None,
            strategy=idea.strategy,
            score=idea.score,
            confidence=idea.confidence,
            quote_bid=quote.bid,
            quote_ask=quote.ask,
            quote_ts=quote.ts,
            rationale=rationale.text,
            rationale_meta=rationale.meta(),
            risk=decision.model_dump(mode="json"),
            facts=dict(idea.facts) | ({"broker_preview": preview} if preview else {}),
            mode=self.mode.value,
            broker=self.broker_name,
            created_by=actor.id,
            created_at=now,
            expires_at=now + timedelta(seconds=self.cfg.proposal_ttl_seconds),
        )
        leg = ProposalLeg(proposal_id=p.id, symbol=idea.symbol, side=idea.side.value)
        stored = self.store.proposals.add(
            p,
            [leg],
            actor.id,
            {
                "source": source,
                "kind": kind,
                "quantity": p.quantity,
                "expires_at": p.expires_at.isoformat(),
                "mode": self.mode.label,
            },
            prior_events=[
                ("signal", f"agent:strategy:{idea.strategy}", idea.model_dump(mode="json")),
                ("risk.decision", "agent:risk", decision.model_dump(mode="json")),
                (
                    "rationale",
                    f"agent:analyst:{rationale.provider}",
                    {**rationale.meta(), "text": rationale.text},
                ),
            ],
        )
        await self._supersede_older(stored, actor)
        return Card.of(stored)

    async def _supersede_older(self, p: Proposal, actor: Actor) -> None:
        for old_id in self.store.proposals.pending_like(p.symbol, p.kind, exclude=p.id):
            done = self.store.proposals.transition(
                old_id,
                *legal(S.PENDING, S.SUPERSEDED),
                actor=actor.id,
                event_type="proposal.superseded",
                context={"by": p.id},
                fields={"status_reason": f"replaced by {p.id}"},
            )
            if done is not None:
                await self.publish(
                    ProposalSuperseded(
                        mode_label=self.mode.label, proposal_id=old_id, symbol=p.symbol, by=p.id
                    )
                )

    # ------------------------------------------------------------------ decisions
    def card(self, proposal_id: str) -> Card:
        pid = normalise_id(proposal_id)
        p = self.store.proposals.get(pid)
        if p is None:
            raise ProposalNotFound(proposal_id)
        return Card.of(p, self.store.ledger.order(pid))

    def _decidable(self, proposal_id: str, actor: Actor, verb: str) -> Proposal:
        pid = normalise_id(proposal_id)
        p = self.store.proposals.get(pid)
        if p is None:
            raise ProposalNotFound(proposal_id)
        if not actor.can_approve:
            self.store.events.add(
                f"{verb}.unauthorized",
                actor.id,
                proposal_id=pid,
                context={"name": actor.name},
            )
            raise NotAuthorized(f"Only approvers may {verb} trades; nothing was changed.")
        if p.status != S.PENDING.value:
            raise NotPending(
                f"Proposal {pid} cannot be {PAST[verb]}: {why_not_approvable(S(p.status))}."
            )
        if self.clock() >= p.expires_at:
            self.expire(pid)
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
            self._decidable(proposal_id, actor, verb)  # raises, recording the refusal
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
            self._decidable(pid, actor, verb)  # not found, not pending or expired: raises
            cur = self.store.proposals.get(pid)
            why = why_not_approvable(S(cur.status)) if cur else "it is gone"
            raise NotPending(f"Proposal {pid} cannot be {PAST[verb]}: {why}.")
        return won

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
            order, prop = await self.execution.execute(
                won, actor.id, now, prior_events=[("recheck.passed", "agent:risk", ctx)]
            )
        finally:
            self.inflight.discard(pid)
        return Card.of(prop or won, order)

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
        side = Side(p.side)
        try:
            q = await self.data.quote(p.symbol, fresh=True)
        except CotraderError as e:
            return f"no fresh quote ({e})", {}
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
        if drift > self.cfg.drift_tolerance_pct:
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
        shown = {k: v for k, v in ctx.items() if not k.startswith("_")}
        return self.store.proposals.transition(
            p.id,
            *legal(S.APPROVED, S.FAILED),
            actor=actor,
            event_type=event_type,
            context={**shown, "reason": reason, "by": by},
            fields={"status_reason": f"{prefix}: {reason}"},
        )

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

    def expire(self, proposal_id: str, reason: str = "expired") -> Card | None:
        done = self.store.proposals.transition(
            proposal_id,
            *legal(S.PENDING, S.EXPIRED),
            actor=EXPIRY.id,
            event_type="proposal.expired",
            context={"reason": reason},
            fields={"status_reason": reason},
        )
        return Card.of(done) if done else None

    def expire_due(self) -> list[Card]:
        """Expire every pending proposal past its time (the scheduler calls this)."""
        out = []
        for pid in self.store.proposals.expired_pending(self.clock()):
            card = self.expire(pid)
            if card:
                out.append(card)
        return out


async def _nowhere(event: DeskEvent) -> None:
    """The default listener: the event is dropped."""
