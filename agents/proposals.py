"""ProposalAgent: makes proposals (from a scan, a trader's idea, an exit, a resize), stores
each PENDING with the events that led to it, and expires or supersedes it.

Every card is sized and checked by the risk engine before it is stored; the venue's dry run
and the offline rationale go on it at once, the LLM's rationale when it arrives.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from agents import events as ev
from agents.data import DataAgent
from agents.errors import BadInput, ProposalNotFound, RiskRefused
from agents.gate import Gate
from agents.llm.enrich import RationaleUpdater
from agents.llm.offline_writer import write_offline
from agents.results import Card, ScanReport
from agents.risk import RiskAgent
from agents.scanner import ScannerAgent
from agents.strategy import StrategyAgent
from models.config import ExecutionConfig
from models.domain import Actor, Mode, ProposalStatus, Quote, RiskDecision, Side, TradeIdea
from models.store import Store
from models.tables import Proposal, ProposalLeg
from services.inputs import InputError, parse_quantity
from services.options.strategies import STRATEGY_NAMES
from services.proposal_states import legal

S = ProposalStatus
ID_RE = re.compile(r"^p-[a-z2-7]{8}$")
EXPIRY = Actor.system("expiry")
SCANNER = Actor.system("scanner")
Preview = Callable[[str, Side, int], Awaitable[dict[str, Any] | None]]


def new_proposal_id() -> str:
    """'p-' and 8 base32 characters: short enough to type, 40 bits of randomness."""
    return "p-" + base64.b32encode(secrets.token_bytes(5)).decode().lower()


def normalise_id(raw: str) -> str:
    pid = (raw or "").strip().lower()
    if not ID_RE.match(pid):
        raise ProposalNotFound(raw or "")
    return pid


class ProposalAgent:
    def __init__(
        self,
        store: Store,
        data: DataAgent,
        scanner: ScannerAgent,
        strategy: StrategyAgent,
        risk: RiskAgent,
        preview: Preview,
        rationales: RationaleUpdater,
        gate: Gate,
        cfg: ExecutionConfig,
        max_quantity: int,
        mode: Mode,
        broker_name: str,
        clock: Callable[[], datetime],
        publish: Callable[[ev.DeskEvent], Awaitable[None]],
        allow_short: bool = True,
        protective: bool = False,
    ) -> None:
        self.store = store
        self.data = data
        self.scanner = scanner
        self.strategy = strategy
        self.risk = risk
        self.preview = preview
        self.rationales = rationales
        self.gate = gate
        self.cfg = cfg
        self.max_quantity = max_quantity
        self.mode = mode
        self.broker_name = broker_name
        self.clock = clock
        self.publish = publish
        self.allow_short = allow_short
        self.protective = protective  # entries send their stop and target to the venue
        # the symbol's recent headlines for the analyst's facts (set by the news setup)
        self.headlines: Callable[[str], list[str]] | None = None

    # ------------------------------------------------------------------ reading
    def card(self, proposal_id: str) -> Card:
        pid = normalise_id(proposal_id)
        p = self.store.proposals.get(pid)
        if p is None:
            raise ProposalNotFound(proposal_id)
        return Card.of(p, self.store.ledger.order(pid))

    def pending(self) -> list[Card]:
        """Proposals waiting for a decision, then approvals still being executed (approved,
        their order not yet acknowledged by the venue), so nothing in flight is hidden."""
        waiting = [Card.of(p) for p in self.store.proposals.list([S.PENDING.value])]
        flying = [
            Card.of(p, self.store.ledger.order(p.id)) for p in self.store.proposals.approved()
        ]
        return waiting + flying

    def universe(self) -> list[str]:
        return self.store.state.watchlist() or [i.symbol for i in self.data.market.universe()]

    def check_quantity(self, quantity: object) -> int | None:
        """A user-typed quantity as whole shares within limits, or None (let risk size it)."""
        try:
            return parse_quantity(quantity, self.max_quantity)
        except InputError as e:
            raise BadInput(str(e)) from None

    # ------------------------------------------------------------------ making
    async def scan(
        self, symbols: Sequence[str] | None, actor: Actor, min_iv_rank: float | None = None
    ) -> ScanReport:
        """Scan, rank, and card every idea that passes risk (unless the desk is paused);
        `min_iv_rank` adds the IV-rank filter for this scan."""
        syms = [self.data.normalise(s) for s in symbols] if symbols else self.universe()
        ranked, filtered, data = await self.scanner.scan(syms, min_iv_rank)
        desk = self.risk.desk()
        notes: list[str] = []
        cards: list[Card] = []
        ideas = self.strategy.ideas(ranked, data)
        if not desk.opens:
            notes.append(
                f"Desk {desk.label}: ideas shown, no new positions proposed (/resume to continue)."
            )
        else:
            for idea in ideas:
                try:
                    cards.append(await self.propose_idea(idea, None, actor, "scan"))
                except RiskRefused as e:
                    notes.append(f"{idea.symbol} {idea.side.value} idea refused by risk: {e}")
        if not ideas:
            notes.append("No trade idea met the strategy's rule this time.")
        self.store.events.add(
            "scan.completed",
            actor.id,
            context={
                "symbols": len(syms),
                "ranked": [r.symbol for r in ranked],
                "cards": [c.id for c in cards],
            },
        )
        return ScanReport(
            mode_label=self.mode.label,
            scanned=len(syms),
            ranked=tuple(ranked),
            filtered=tuple(filtered),
            cards=tuple(cards),
            notes=tuple(notes),
        )

    async def propose_idea(
        self,
        idea: TradeIdea,
        quantity: int | None,
        actor: Actor,
        source: str,
        order: dict[str, Any] | None = None,
    ) -> Card:
        decision = await self.risk.evaluate(
            idea.symbol,
            idea.side,
            idea.entry,
            idea.stop,
            quantity,
            self.clock(),
            strategy=idea.strategy,
        )
        if not decision.approved:
            self.store.events.add(
                "proposal.refused",
                "agent:risk",
                context={
                    "idea": idea.model_dump(mode="json"),
                    "decision": decision.model_dump(mode="json"),
                    "source": source,
                },
            )
            raise RiskRefused(decision.reason(), decision)
        quote = await self.data.quote(idea.symbol)
        preview = await self.preview(idea.symbol, idea.side, decision.quantity)
        card = await self.create(idea, decision, quote, actor, source, preview=preview, order=order)
        return await self.with_rationale(card, idea, decision, "entry")

    async def with_rationale(
        self, card: Card, idea: TradeIdea, decision: RiskDecision, kind: str
    ) -> Card:
        """The card, with the LLM's rationale if it came in time (else it is edited in later).
        The symbol's recent headlines go in as quoted facts (never instructions)."""
        news = self.headlines(idea.symbol) if self.headlines is not None else []
        if await self.rationales.attach(card.id, idea, decision, kind, news):
            return self.card(card.id)
        return card

    # ------------------------------------------------------------------ storing
    async def create(
        self,
        idea: TradeIdea,
        decision: RiskDecision,
        quote: Quote,
        actor: Actor,
        source: str,
        kind: str = "entry",
        preview: dict[str, Any] | None = None,
        order: dict[str, Any] | None = None,
    ) -> Card:
        """Store a PENDING proposal with the events that led to it; supersede older ones.
        `preview` is the venue's dry run (buying-power effect and fees), kept in the facts;
        `order` the request's parts (order type, limit, time in force, notes, short)."""
        now = self.clock()
        parts = dict(order or {})
        protective = kind == "entry" and self.protective
        rationale = write_offline(
            idea, decision.quantity, decision.risk_amount, decision.risk_pct, self.mode.label, kind
        )
        p = Proposal(
            id=new_proposal_id(),
            kind=kind,
            symbol=idea.symbol,
            side=idea.side.value,
            quantity=decision.quantity,
            order_type=parts.pop("order_type", "market"),
            limit_price=parts.pop("limit_price", None),
            time_in_force=parts.pop("time_in_force", "day"),
            entry_price=idea.entry,
            stop_price=idea.stop if kind in ("entry", "stop") else None,
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
            facts=dict(idea.facts)
            | ({"broker_preview": preview} if preview else {})
            | {k: v for k, v in parts.items() if v not in (None, [], False)}
            | ({"protective": True} if protective else {}),
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
        await self.supersede_older(stored, actor)
        return Card.of(stored)

    async def supersede_older(self, p: Proposal, actor: Actor) -> None:
        """Older pending cards this one replaces: the same symbol and kind, and for an
        option card the same strategy (stock and option cards never replace each other)."""
        option = bool((p.facts or {}).get("option"))
        older = self.store.proposals.pending_like(
            p.symbol,
            p.kind,
            exclude=p.id,
            strategy=p.strategy if option else None,
            not_strategies=() if option else STRATEGY_NAMES,
        )
        for old_id in older:
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
                    ev.ProposalSuperseded(
                        mode_label=self.mode.label, proposal_id=old_id, symbol=p.symbol, by=p.id
                    )
                )

    # ------------------------------------------------------------------ expiring
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

    async def expire_due(self) -> list[Card]:
        """Expire every pending proposal past its time (the desk loop calls this), and say so."""
        out = []
        for pid in self.store.proposals.expired_pending(self.clock()):
            card = self.expire(pid)
            if card is None:
                continue
            out.append(card)
            await self.publish(
                ev.ProposalExpired(
                    mode_label=card.mode_label,
                    proposal_id=card.id,
                    symbol=card.symbol,
                    side=card.side,
                    quantity=card.quantity,
                    reason=card.status_reason,
                )
            )
        return out
