"""The orchestrator: the one API every front end (terminal, Discord, CLI, scheduler) calls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from loguru import logger

from agents import events as ev
from agents.controls import DeskControls
from agents.data import DataAgent
from agents.desk import ProposalDesk
from agents.desk_loop import DeskLoop
from agents.errors import BadInput, ExecutionFailed, NotPending, RiskRefused
from agents.events import EventBus
from agents.execution import ExecutionAgent
from agents.instance import new_owner, retire
from agents.llm.analyst import Analyst
from agents.llm.chain import LLMChain
from agents.llm.enrich import RationaleUpdater
from agents.llm.guard import ReplyGuard
from agents.order_feed import told_once
from agents.recovery import RecoveryAgent
from agents.reports import Reports
from agents.research import Research, ResearchDesk
from agents.results import (
    Card,
    OrdersView,
    OrderView,
    PnlView,
    PositionsView,
    ReconcileView,
    ScanReport,
    WhyView,
)
from agents.risk import RiskAgent
from agents.scanner import ScannerAgent
from agents.scheduler import JobScheduler
from agents.strategy import StrategyAgent
from agents.venue import VenueDesk
from brokers.base import Broker, BrokerError, MarketData
from models.config import DeskConfig, ExecutionConfig, RiskLimits, ScannerConfig, StrategyConfig
from models.domain import (
    UNSETTLED_ORDER_STATUSES,
    Actor,
    Mode,
    Period,
    ProposalStatus,
    RiskDecision,
    Side,
    TradeIdea,
)
from models.store import Store
from models.tables import DailyPerformance
from services.inputs import InputError, parse_quantity, parse_side

SCANNER = Actor.system("scanner")
STARTUP = Actor.system("startup")


class Orchestrator(DeskControls, ResearchDesk, VenueDesk):
    def __init__(
        self,
        store: Store,
        broker: Broker,
        market: MarketData,
        *,
        mode: Mode = Mode.SIM,
        risk_limits: RiskLimits | None = None,
        scanner: ScannerConfig | None = None,
        strategy: StrategyConfig | None = None,
        execution: ExecutionConfig | None = None,
        desk: DeskConfig | None = None,
        clock: Callable[[], datetime] | None = None,
        llm: LLMChain | None = None,
        rationale_wait_s: float = 3.0,
        llm_name: str | None = None,
        guard: ReplyGuard | None = None,
        reply_budget_s: float = 1.1,
    ) -> None:
        self.store = store
        self.broker = broker
        self.market = market
        self.mode = mode
        self.clock = clock or (lambda: datetime.now(UTC))
        self.llm = llm or LLMChain([], store, clock=self.clock)
        self.llm_name = llm_name or self.llm.describe()
        self.guard = guard or ReplyGuard()
        self.reply_budget_s = reply_budget_s
        self.analyst = Analyst(self.llm, store, mode.label, self.guard)
        self.rationales = RationaleUpdater(self.analyst, store, rationale_wait_s)
        self.limits = risk_limits or RiskLimits()
        self.data = DataAgent(market, bar_cache=store.bars)
        self.scanner = ScannerAgent(
            self.data, scanner or ScannerConfig(), strategy or StrategyConfig()
        )
        self.strategy = StrategyAgent(strategy or StrategyConfig(), self.limits.allow_short)
        self.research = Research(self.data, self.strategy.cfg, mode.label)
        self.risk = RiskAgent(store, broker, self.data, self.limits, mode)
        execution = execution or ExecutionConfig()
        self.bus = EventBus()
        self.owner = new_owner()  # this desk's id: it holds the lease of what it executes
        self.execution = ExecutionAgent(
            store, broker, execution.bracket_orders, owner=str(self.owner)
        )
        self.desk = ProposalDesk(
            store,
            self.data,
            self.risk,
            self.execution,
            execution,
            mode,
            broker.name,
            self.clock,
            owner=str(self.owner),
            publish=self.publish,
        )
        self.reports = Reports(store, broker, self.data, mode, self.clock)
        self.llm.subscribe(self._llm_budget)
        self.risk.on_transition = self._on_risk_transition
        self._venue_init()
        self.recovery = RecoveryAgent(
            store,
            self.desk,
            self.execution,
            broker,
            self.owner,
            self.clock,
            self.publish,
            mode.label,
        )
        self.desk_cfg = desk or DeskConfig()
        self.jobs = JobScheduler(self)
        self.loop = DeskLoop()
        self.loop.every("housekeeping", self.desk_cfg.interval_s, self.housekeeping)
        self.loop.every("risk", self.desk_cfg.risk_interval_s, self._refresh_risk)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> ReconcileView:
        """Check the venue answers with these credentials, bring interrupted approvals to a
        known state, reconcile, open the order stream, and start the desk loop. Raises
        StartupRefused (nothing started) when the venue refuses."""
        await self.check_venue()
        await self.recover(startup=True)
        view = await self.reconcile(STARTUP)
        self._open_stream()
        await self._refresh_risk()
        self.loop.start()
        if self.desk_cfg.scheduler:
            self.jobs.start()
        return view

    async def housekeeping(self) -> None:
        """One pass of the desk loop: expire due proposals, book working orders, settle
        interrupted approvals and unknown outcomes. Each publishes what it changed."""
        await self.expire_due()
        await self.sync()
        await self.recover()

    async def _refresh_risk(self) -> None:
        try:
            await self.risk.refresh(self.clock())
        except BrokerError as e:
            logger.warning("risk refresh failed: {}", e)

    async def drain(self, grace_s: float = 8.0) -> bool:
        """Stop taking approvals and wait (up to `grace_s`) until those in flight have
        reached a booked or known state. False if some were still running."""
        self.desk.closing = True
        for _ in range(int(grace_s / 0.05)):
            if not self.desk.inflight and not self.execution.sending:
                return True
            await asyncio.sleep(0.05)
        logger.warning("stopping with approvals in flight: {}", sorted(self.desk.inflight))
        return False

    async def stop(self, grace_s: float = 8.0) -> None:
        """Stop taking approvals, let those in flight finish (see `drain`), stop the desk
        loop, close the streams. What is left unsettled is recovered at the next start."""
        await self.drain(grace_s)
        self.jobs.stop()
        await self.loop.stop()
        await self._close_venue()

    def retire(self) -> None:
        """This desk has ended (its app is closed): its leases become recoverable."""
        retire(self.owner)

    async def recover(self, startup: bool = False) -> list[ev.Recovered]:
        """Settle interrupted approvals and unknown order outcomes (start-up and the loop)."""
        return await self.recovery.run(startup=startup)

    def claim_once(self, key: str, detail: str = "") -> bool:
        """True for the first caller with this key, in any instance (a job's run, a command
        sync, a kill confirmation); False for every later one."""
        return self.store.frontend.claim(key, self.clock(), detail)

    def claimed(self, key: str) -> bool:
        return self.store.frontend.claimed(key) is not None

    # ------------------------------------------------------------------ events
    def subscribe(self, fn: ev.Listener) -> None:
        """Receive the desk's events (fills, expiries, kill, state changes, jobs...)."""
        self.bus.subscribe(fn)

    def unsubscribe(self, fn: ev.Listener) -> None:
        self.bus.unsubscribe(fn)

    async def publish(self, event: ev.DeskEvent) -> None:
        await self.bus.publish(event)

    async def _llm_budget(self, provider: str, spent_usd: float, tokens: int) -> None:
        await self.publish(
            ev.LlmBudgetReached(
                mode_label=self.mode.label, provider=provider, spent_usd=spent_usd, tokens=tokens
            )
        )

    # ------------------------------------------------------------------ ideas
    def universe(self) -> list[str]:
        return self.store.state.watchlist() or [i.symbol for i in self.market.universe()]

    async def scan(
        self, symbols: Sequence[str] | None = None, actor: Actor = SCANNER
    ) -> ScanReport:
        """Scan, rank, and card every idea that passes risk (unless the desk is paused)."""
        syms = [self.data.normalise(s) for s in symbols] if symbols else self.universe()
        ranked, filtered, data = await self.scanner.scan(syms)
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
                    cards.append(await self._propose_idea(idea, None, actor, "scan"))
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

    async def _propose_idea(
        self, idea: TradeIdea, quantity: int | None, actor: Actor, source: str
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
        card = await self.desk.create(idea, decision, quote, actor, source, preview=preview)
        return await self._with_rationale(card, idea, decision, "entry")

    async def _with_rationale(
        self, card: Card, idea: TradeIdea, decision: RiskDecision, kind: str
    ) -> Card:
        """The card, with the LLM's rationale if it came in time (else it is edited in later)."""
        if await self.rationales.attach(card.id, idea, decision, kind):
            return self.desk.card(card.id)
        return card

    def on_card_update(self, fn: Callable[[str], Awaitable[None]]) -> None:
        """Be told (proposal id) when a card's content changed after it was returned."""
        self.rationales.listeners.append(fn)

    def off_card_update(self, fn: Callable[[str], Awaitable[None]]) -> None:
        if fn in self.rationales.listeners:
            self.rationales.listeners.remove(fn)

    def check_quantity(self, quantity: object) -> int | None:
        """A user-typed quantity as whole shares within limits, or None (let risk size it)."""
        try:
            return parse_quantity(quantity, self.limits.max_order_quantity)
        except InputError as e:
            raise BadInput(str(e)) from None

    async def propose(
        self,
        symbol: str,
        side: str | Side | None = Side.BUY,
        quantity: object = None,
        actor: Actor = SCANNER,
        source: str = "command",
        strategy: str | None = None,
    ) -> Card:
        """A trader's own proposal: validated, sized (unless a quantity was given), risk-checked.
        With no side, the trend decides (and without a clear trend it asks for one). With a
        strategy, that strategy's fresh signal must agree with the side."""
        sym = self.data.normalise(symbol)
        try:
            sd = parse_side(side) if side is not None else None
        except InputError as e:
            raise BadInput(str(e)) from None
        qty = self.check_quantity(quantity)
        d = await self.data.symbol_data(sym)
        scan = self.scanner.score(d)
        if strategy:
            idea = self.strategy.by_name(d, strategy, sd, scan)
        elif sd is None:
            idea = self.strategy.trend(d, scan)
            if idea is None:
                raise BadInput(f"{sym} has no clear trend right now; say buy or sell.")
        else:
            idea = self.strategy.for_side(d, sd, scan)
        if idea is None:
            raise RiskRefused(f"Cannot build a {sd.value} idea for {sym}: no usable ATR stop.")
        return await self._propose_idea(idea, qty, actor, source)

    async def resize(self, proposal_id: str, quantity: object, actor: Actor) -> Card:
        """A re-checked replacement for a pending proposal at another size (supersedes it)."""
        old = self.desk.card(proposal_id)
        self.require_approver(actor, "resize", "adjust a proposal", old.id)
        if old.status != ProposalStatus.PENDING.value:
            raise NotPending(
                f"Proposal {old.id} is {old.status}; only a pending one can be resized."
            )
        qty = self.check_quantity(quantity)
        if qty is None:
            raise BadInput("Give a whole number of shares, e.g. 25.")
        if old.kind == "exit":
            return await self.close(old.symbol, qty, actor)
        return await self.propose(old.symbol, old.side, qty, actor, source=f"resize:{old.id}")

    async def close(self, symbol: str, quantity: object = None, actor: Actor = SCANNER) -> Card:
        """An exit proposal for (part of) a position; it still needs its own click."""
        sym = self.data.normalise(symbol)
        pos = self.store.ledger.position(sym)
        if pos is None or pos.quantity == 0:
            raise BadInput(f"No open {sym} position to close.")
        qty = self.check_quantity(quantity) or abs(pos.quantity)
        if qty > abs(pos.quantity):
            raise BadInput(f"Only {abs(pos.quantity)} {sym} held; cannot close {qty}.")
        side = Side.SELL if pos.quantity > 0 else Side.BUY
        q = await self.data.quote(sym, fresh=True)
        entry = q.price_for(side)
        idea = TradeIdea(
            symbol=sym,
            side=side,
            entry=entry,
            stop=entry,
            target=entry,
            strategy="exit",
            confidence=1.0,
            facts={
                "bid": q.bid,
                "ask": q.ask,
                "last": q.last,
                "avg_price": round(pos.avg_price, 4),
                "held": pos.quantity,
            },
            summary=f"closing {qty} of {abs(pos.quantity)} held at avg {pos.avg_price:.2f}",
        )
        decision = await self.risk.evaluate(sym, side, entry, None, qty, self.clock(), "exit")
        if not decision.approved:
            raise RiskRefused(decision.reason(), decision)
        preview = await self.preview(sym, side, qty)
        card = await self.desk.create(
            idea, decision, q, actor, "close", kind="exit", preview=preview
        )
        return await self._with_rationale(card, idea, decision, "exit")

    # ------------------------------------------------------------------ decisions
    async def approve(self, proposal_id: str, actor: Actor) -> Card:
        try:
            card = await self.desk.approve(proposal_id, actor)
        except ExecutionFailed:
            try:  # a rejection streak halts the desk now, not at the next idea
                await self.risk.refresh(self.clock())
            except BrokerError as e:
                logger.warning("risk refresh after a failed order: {}", e)
            raise
        o = card.order
        if o is None:
            return card
        fields = {
            "mode_label": card.mode_label,
            "client_order_id": o.client_order_id,
            "proposal_id": card.id,
            "symbol": o.symbol,
            "side": o.side,
            "quantity": o.quantity,
            "filled": o.filled_quantity,
            "avg_price": o.avg_fill_price,
            "venue": self.broker.name,
            "approver": actor.name,
            "reason": o.reason,
        }
        if o.filled_quantity:
            told = self.stream is None or told_once(
                self.store, o.client_order_id, o.status, o.filled_quantity
            )
            if told:  # else the order stream announced this fill already
                await self.publish(ev.OrderFilled(**fields))
        elif o.status in UNSETTLED_ORDER_STATUSES:
            await self.publish(ev.OrderUnknown(**fields))
        else:
            await self.publish(ev.OrderWorking(**fields))
        return card

    def reject(self, proposal_id: str, actor: Actor, reason: str = "") -> Card:
        return self.desk.reject(proposal_id, actor, reason)

    def proposal(self, proposal_id: str) -> Card:
        return self.desk.card(proposal_id)

    def pending(self) -> list[Card]:
        """Proposals waiting for a decision, then approvals still being executed (approved,
        their order not yet acknowledged by the venue), so nothing in flight is hidden."""
        waiting = [Card.of(p) for p in self.store.proposals.list([ProposalStatus.PENDING.value])]
        flying = [
            Card.of(p, self.store.ledger.order(p.id)) for p in self.store.proposals.approved()
        ]
        return waiting + flying

    async def expire_due(self) -> list[Card]:
        cards = self.desk.expire_due()
        for c in cards:
            await self.publish(
                ev.ProposalExpired(
                    mode_label=c.mode_label,
                    proposal_id=c.id,
                    symbol=c.symbol,
                    side=c.side,
                    quantity=c.quantity,
                    reason=c.status_reason,
                )
            )
        return cards

    async def sync(self) -> list[OrderView]:
        """Book fills of working orders (the simulator fills the rest of big orders here)."""
        changed = await self.execution.sync("agent:execution")
        return [OrderView.of(o) for o in changed]

    # ------------------------------------------------------------------ account
    async def positions(self) -> PositionsView:
        return await self.reports.positions()

    def orders(self, open_only: bool = False) -> OrdersView:
        return self.reports.orders(open_only)

    async def pnl(self, period: str | Period = Period.DAY) -> PnlView:
        try:
            per = Period(str(period).strip().lower() or "day")
        except ValueError:
            raise BadInput("Period must be day, week, month or all.") from None
        return await self.reports.pnl(per)

    async def record_day(self) -> DailyPerformance:
        """Snapshot today's performance into daily_performance (end-of-day job, /pnl, exit)."""
        return await self.reports.record_day()

    def why(self, proposal_id: str) -> WhyView:
        card = self.desk.card(proposal_id)
        return WhyView(card=card, events=tuple(self.store.events.for_proposal(card.id)))

    # ------------------------------------------------------------------ watchlist
    def watch(self, symbol: str, actor: Actor) -> bool:
        return self.store.state.watch(self.data.normalise(symbol), actor.id)

    def unwatch(self, symbol: str, actor: Actor) -> bool:
        sym = (symbol or "").strip().upper().lstrip("$")
        if not self.store.state.unwatch(sym, actor.id):
            raise BadInput(f"{sym[:12] or '(empty)'} is not on the watchlist.")
        return True

    def watchlist(self) -> list[str]:
        return self.store.state.watchlist()
