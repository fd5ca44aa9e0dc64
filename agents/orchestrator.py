"""The orchestrator: the one API every front end (terminal, Discord, CLI) calls, and the
owner of the desk's clock (the desk loop and the scheduled jobs).

It composes the agents and adds no logic of its own beyond the lifecycle: each method hands
the request to the agent that owns it. A proposal's path from click to booked fill:
`approve` → ApprovalAgent (gate, compare-and-set, re-check) → ExecutionAgent (order row,
venue, booking) → LedgerRepo (fills, position, proposal status, one transaction) → an event.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from loguru import logger

from agents import events as ev
from agents.approvals import ApprovalAgent
from agents.chains import ChainAgent
from agents.controls import ControlAgent
from agents.data import DataAgent
from agents.desk_loop import DeskLoop
from agents.errors import BadInput
from agents.events import EventBus
from agents.events_api import EventsApi
from agents.execution import ExecutionAgent
from agents.frontend_api import FrontendRecords
from agents.gate import Gate
from agents.instance import new_owner, retire
from agents.llm.analyst import Analyst
from agents.llm.chain import LLMChain
from agents.llm.enrich import RationaleUpdater
from agents.llm.guard import ReplyGuard
from agents.monitor_api import MonitorApi
from agents.news_api import NewsApi
from agents.options_api import OptionsApi
from agents.proposals import SCANNER, ProposalAgent
from agents.recovery import RecoveryAgent
from agents.reports import Reports
from agents.reports_api import ReportsApi
from agents.research import Research
from agents.research_api import ResearchApi
from agents.results import (
    Card,
    KillReport,
    OrdersView,
    OrderView,
    PnlView,
    PositionsView,
    ReconcileView,
    ScanReport,
    SimShockView,
    StatusView,
    WhyView,
)
from agents.risk import RiskAgent
from agents.scanner import ScannerAgent, scan_filters
from agents.scheduler import JobScheduler
from agents.sim_control import SimControl
from agents.strategy import StrategyAgent
from agents.trade_requests import TradeRequests
from agents.venue import VenueAgent
from brokers.base import Broker, BrokerError, MarketData, NewsSource, OptionChains
from models.config import (
    DeskConfig,
    ExecutionConfig,
    OptionsConfig,
    RiskLimits,
    ScannerConfig,
    StrategyConfig,
)
from models.domain import Actor, Mode, Period, Side
from models.order_spec import OrderSpec
from models.store import Store
from models.tables import DailyPerformance
from services.risk import RiskReport

STARTUP = Actor.system("startup")


class Orchestrator(
    EventsApi, MonitorApi, NewsApi, OptionsApi, ReportsApi, ResearchApi, FrontendRecords
):
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
        chains: OptionChains | None = None,
        options: OptionsConfig | None = None,
        news: NewsSource | None = None,
        reports_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.broker = broker
        self.market = market
        self.mode = mode
        self.clock = clock or (lambda: datetime.now(UTC))
        self.bus = EventBus()
        self.owner = new_owner()  # this desk's id: it holds the lease of what it executes
        self.llm = llm or LLMChain([], store, clock=self.clock)
        self.llm_name = llm_name or self.llm.describe()
        self.llm.subscribe(self._llm_budget)
        self.guard = guard or ReplyGuard()
        self.reply_budget_s = reply_budget_s
        self.analyst = Analyst(self.llm, store, mode.label, self.guard)
        self.rationales = RationaleUpdater(self.analyst, store, rationale_wait_s)
        self.limits = risk_limits or RiskLimits()
        self.data = DataAgent(market, bar_cache=store.bars)
        strategy = strategy or StrategyConfig()
        self.scanner = ScannerAgent(self.data, scanner or ScannerConfig(), strategy)
        self.strategy = StrategyAgent(strategy, self.limits.allow_short)
        self.research = Research(self.data, self.strategy.cfg, mode.label, store)
        self.risk = RiskAgent(store, broker, self.data, self.limits, mode)
        execution = execution or ExecutionConfig()
        self.gate = Gate(store)
        self.execution = ExecutionAgent(
            store, broker, execution.bracket_orders, owner=str(self.owner)
        )
        self.venue = VenueAgent(store, broker, self.execution, mode, self.clock, self.publish)
        self.proposals = ProposalAgent(
            store,
            self.data,
            self.scanner,
            self.strategy,
            self.risk,
            self.venue.preview,
            self.rationales,
            self.gate,
            execution,
            self.limits.max_order_quantity,
            mode,
            broker.name,
            self.clock,
            self.publish,
            protective=self.execution.bracket,
        )
        self.requests = TradeRequests(self.proposals, self.limits.allow_short)
        self.approvals = ApprovalAgent(
            store,
            self.data,
            self.risk,
            self.execution,
            self.proposals,
            self.gate,
            execution,
            self.clock,
            str(self.owner),
            broker.name,
            lambda: self.venue.stream is not None,
            self.publish,
        )
        self.protection = self.approvals.protection
        self.controls = ControlAgent(
            store,
            broker,
            market,
            self.execution,
            self.proposals,
            self.approvals,
            self.risk,
            self.data,
            self.venue,
            self.gate,
            self.llm,
            self.llm_name,
            mode,
            self.clock,
            self.publish,
        )
        self.risk.on_transition = self.controls.on_risk_transition
        self.reports = Reports(store, broker, self.data, mode, self.clock)
        self.sim = SimControl(self.gate, self.data, market, mode, broker.name)
        self.recovery = RecoveryAgent(
            store,
            self.approvals,
            self.execution,
            broker,
            self.owner,
            self.clock,
            self.publish,
            mode.label,
        )
        self.desk_cfg = desk or DeskConfig()
        self.options = ChainAgent(
            chains, self.data, store, self.desk_cfg.risk_free_rate, self.clock
        )
        self.scanner.iv_rank_of = self.options.rank_value
        self.jobs = JobScheduler(self)
        self.loop = DeskLoop()
        self.loop.every("housekeeping", self.desk_cfg.interval_s, self.housekeeping)
        self.loop.every("risk", self.desk_cfg.risk_interval_s, self._refresh_risk)
        self._setup_options(options or OptionsConfig())
        self._setup_news(news)
        self._setup_monitor()
        self._setup_reports(reports_dir or Path(tempfile.gettempdir()) / "cotrader-reports")

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> ReconcileView:
        """Check the venue answers with these credentials, bring interrupted approvals to a
        known state, reconcile, open the order stream, start the desk loop and the scheduled
        jobs. Raises StartupRefused (nothing started) when the venue refuses."""
        await self.venue.check()
        await self.recover(startup=True)
        view = await self.reconcile(STARTUP)
        self.venue.open_stream()
        self.open_news_stream()
        await self._refresh_risk()
        self.loop.start()
        if self.desk_cfg.scheduler:
            self.jobs.start()
        return view

    async def check_venue(self) -> None:
        """The venue reads the account with these credentials, or StartupRefused."""
        await self.venue.check()

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
        a = self.approvals
        a.closing = True
        for _ in range(int(grace_s / 0.05)):
            if not a.inflight and not self.execution.sending:
                return True
            await asyncio.sleep(0.05)
        logger.warning("stopping with approvals in flight: {}", sorted(a.inflight))
        return False

    async def stop(self, grace_s: float = 8.0) -> None:
        """Stop taking approvals, let those in flight finish (see `drain`), stop the jobs
        and the desk loop, close the streams. What is left is recovered at the next start."""
        await self.drain(grace_s)
        self.jobs.stop()
        await self.loop.stop()
        await self.close_news_stream()
        await self.venue.close()

    def retire(self) -> None:
        """This desk has ended (its app is closed): its leases become recoverable."""
        retire(self.owner)

    async def recover(self, startup: bool = False) -> list[ev.Recovered]:
        """Settle interrupted approvals and unknown order outcomes (start-up and the loop)."""
        return await self.recovery.run(startup=startup)

    # ------------------------------------------------------------------ proposals
    def universe(self) -> list[str]:
        return self.proposals.universe()

    async def scan(
        self, symbols: Sequence[str] | None = None, actor: Actor = SCANNER
    ) -> ScanReport:
        """Scan the symbols (or the watchlist); an `ivrank>N` argument filters on IV rank."""
        syms, min_iv_rank = scan_filters(symbols)
        report = await self.proposals.scan(syms or None, actor, min_iv_rank)
        if not self.options_cfg.scan_ideas or not self.risk.desk().opens:
            return report
        # COTRADER_OPTIONS=1: option ideas on what the scan ranked (else what it scanned)
        under = [r.symbol for r in report.ranked] or syms or self.proposals.universe()
        cards, notes = await self.option_ideas.scan(under, actor)
        return report.model_copy(
            update={"cards": (*report.cards, *cards), "notes": (*report.notes, *notes[:5])}
        )

    def check_quantity(self, quantity: object) -> int | None:
        return self.proposals.check_quantity(quantity)

    async def propose(
        self,
        symbol: str,
        side: str | Side | None = Side.BUY,
        quantity: object = None,
        actor: Actor = SCANNER,
        source: str = "command",
        strategy: str | None = None,
    ) -> Card:
        return await self.requests.propose(symbol, side, quantity, actor, source, strategy)

    async def propose_order(
        self,
        spec: OrderSpec,
        actor: Actor = SCANNER,
        source: str = "command",
        strategy: str | None = None,
    ) -> Card:
        """Every part of a trade request on one card (entry, exit or short), or a refusal
        that names the part that cannot be done."""
        return await self.requests.propose_order(spec, actor, source, strategy)

    async def resize(self, proposal_id: str, quantity: object, actor: Actor) -> Card:
        return await self.requests.resize(proposal_id, quantity, actor)

    async def close(self, symbol: str, quantity: object = None, actor: Actor = SCANNER) -> Card:
        return await self.requests.close(symbol, quantity, actor)

    async def cancel_order(self, order_id: str, actor: Actor) -> OrderView:
        """A person's cancel of one working order (an entry's limit, a protective stop or
        target): approvers only; it reduces risk, so no proposal; recorded."""
        self.gate.check(actor, "cancel", "cancel an order", None)
        row = await self.protection.cancel(order_id, actor.id)
        self.store.events.add(
            "order.cancel_requested",
            actor.id,
            proposal_id=row.proposal_id,
            order_id=row.client_order_id,
            context={"by": actor.name, "status": row.status},
        )
        return OrderView.of(row)

    def proposal(self, proposal_id: str) -> Card:
        return self.proposals.card(proposal_id)

    def pending(self) -> list[Card]:
        return self.proposals.pending()

    async def expire_due(self) -> list[Card]:
        return await self.proposals.expire_due()

    # ------------------------------------------------------------------ decisions
    def check_decision(self, proposal_id: str, actor: Actor, verb: str) -> Card:
        """Whether `actor` may approve, reject or resize this proposal now: the card, or
        the gate's refusal (recorded) for a front end to show at once."""
        return Card.of(self.approvals.check(proposal_id, actor, verb, expiry=False))

    async def approve(self, proposal_id: str, actor: Actor) -> Card:
        return await self.approvals.approve(proposal_id, actor)

    def reject(self, proposal_id: str, actor: Actor, reason: str = "") -> Card:
        return self.approvals.reject(proposal_id, actor, reason)

    async def sync(self) -> list[OrderView]:
        """Book fills of working orders (the simulator fills the rest of big orders here)."""
        changed = await self.execution.sync("agent:execution")
        return [OrderView.of(o) for o in changed]

    # ------------------------------------------------------------------ controls
    def pause(self, actor: Actor, reason: str = "") -> None:
        self.controls.pause(actor, reason)

    async def resume(self, actor: Actor, reason: str = "", rebase_peak: bool = False) -> str:
        return await self.controls.resume(actor, reason, rebase_peak)

    async def kill(self, actor: Actor, flatten: bool = False) -> KillReport:
        return await self.controls.kill(actor, flatten)

    def request_kill(self, actor: Actor, flatten: bool) -> str:
        return self.controls.request_kill(actor, flatten)

    def confirm_kill(self, actor: Actor, nonce: str) -> None:
        """The kill's second step: only the asker, within two minutes, once (else the
        refusal, nothing done). Then `kill`."""
        self.controls.confirm_kill(actor, nonce)

    def cancel_kill(self, nonce: str) -> None:
        self.controls.cancel_kill(nonce)

    async def risk_report(
        self, symbol: str | None = None, side: str | Side = Side.BUY, quantity: object = None
    ) -> RiskReport:
        report = await self.controls.risk_report(symbol, side, quantity)
        greeks = await self.book_greeks()
        return report.model_copy(update={"greeks": greeks}) if greeks else report

    async def status(self) -> StatusView:
        view = await self.controls.status()
        greeks = await self.book_greeks()
        return view.model_copy(update={"greeks": greeks}) if greeks else view

    async def sim_shock(self, symbol: str, pct: float | str, actor: Actor) -> SimShockView:
        """Move the simulated market for `symbol` by `pct` percent now (approvers only,
        the simulator only): stored, so every process on this database sees it; recorded."""
        view = await self.sim.shock(symbol, pct, actor)
        self.wake_monitor()  # a price event: the monitor looks at once
        return view

    async def reconcile(self, actor: Actor) -> ReconcileView:
        return await self.venue.reconcile(actor)

    # ------------------------------------------------------------------ account
    async def positions(self) -> PositionsView:
        """Stock positions, and option legs grouped as strategy positions with the book's
        greeks."""
        return await self.with_options(await self.reports.positions())

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
        card = self.proposals.card(proposal_id)
        return WhyView(card=card, events=tuple(self.store.events.for_proposal(card.id)))
