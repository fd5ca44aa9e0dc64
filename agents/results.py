"""What the orchestrator hands back to front ends: plain values, easy to render or JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agents.chain_views import IVRankView
from models.domain import (
    ORDER_STATUS_TEXT,
    Event,
    Mode,
    Period,
    ProposalStatus,
    RiskCheck,
    ScanResult,
    Side,
    TradeIdea,
)
from models.tables import Order, Proposal
from services.reconcile import ReconcileReport


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


class Card(View):
    """A proposal as shown on its card."""

    id: str
    kind: str
    symbol: str
    side: Side
    quantity: int
    order_type: str
    limit_price: float | None
    entry: float
    stop: float | None
    target: float | None
    risk_amount: float
    risk_pct: float
    reward_risk: float | None
    notional: float
    strategy: str
    score: float
    confidence: float
    checks: tuple[RiskCheck, ...]
    sizing: str
    rationale: str
    rationale_meta: dict[str, Any]
    mode: str
    mode_label: str
    status: ProposalStatus
    status_reason: str
    created_at: datetime
    expires_at: datetime
    decided_by: str | None = None
    order: OrderView | None = None
    revision: int = 0
    broker: str = ""
    preview: dict[str, Any] | None = None  # the venue's dry run: buying power and fees
    time_in_force: str = "day"  # day | gtc | opg (at the next open)
    short: bool = False  # the entry opens (or adds to) a short: its title says SHORT
    protective: bool = False  # the stop and target go to the venue with the entry
    notes: tuple[str, ...] = ()  # what the card did with the request ("50% of 25 = 12")
    realizes: float | None = None  # an exit: the P&L it realises at the card's price
    # an option strategy card: legs, credit, limit, max profit/loss, breakevens, pop, dte,
    # greeks, capital and buying power (agents/option_cards.py); None for a stock card
    option: dict[str, Any] | None = None

    @classmethod
    def of(cls, p: Proposal, order: Order | None = None) -> Card:
        facts = p.facts or {}
        risk = p.risk or {}
        rr = None
        if p.stop_price is not None and p.target_price is not None:
            per = abs(p.entry_price - p.stop_price)
            rr = round(abs(p.target_price - p.entry_price) / per, 2) if per else None
        return cls(
            id=p.id,
            kind=p.kind,
            symbol=p.symbol,
            side=p.side,
            quantity=p.quantity,
            order_type=p.order_type,
            limit_price=p.limit_price,
            entry=p.entry_price,
            stop=p.stop_price,
            target=p.target_price,
            risk_amount=float(risk.get("risk_amount", 0.0)),
            risk_pct=float(risk.get("risk_pct", 0.0)),
            reward_risk=rr,
            notional=float(risk.get("notional", p.quantity * p.entry_price)),
            strategy=p.strategy,
            score=p.score,
            confidence=p.confidence,
            checks=tuple(RiskCheck(**c) for c in risk.get("checks", [])),
            sizing=str(risk.get("sizing", "")),
            rationale=p.rationale,
            rationale_meta=dict(p.rationale_meta or {}),
            mode=p.mode,
            mode_label=Mode(p.mode).label,
            status=p.status,
            status_reason=p.status_reason,
            created_at=p.created_at,
            expires_at=p.expires_at,
            decided_by=p.decided_by,
            order=OrderView.of(order) if order else None,
            revision=p.revision,
            broker=p.broker,
            preview=facts.get("broker_preview"),
            time_in_force=p.time_in_force,
            short=bool(facts.get("opens_short")),
            protective=bool(facts.get("protective")),
            notes=tuple(str(n) for n in facts.get("notes", ())),
            realizes=facts.get("realizes"),
            option=facts.get("option"),
        )

    @property
    def title(self) -> str:
        """'BUY 10 AAPL', 'SHORT 25 TSLA', 'EXIT: SELL 12 NVDA', 'MOVE STOP: NVDA 110.00 (25
        held)' (every front end's title)."""
        if self.option is not None:
            name = self.strategy.replace("_", " ").upper()
            strikes = "/".join(
                f"{k:g}" for k in sorted({leg["strike"] for leg in self.option["legs"]})
            )
            if self.kind == "exit":
                return f"EXIT: CLOSE {self.quantity:,} {self.symbol} {name} {strikes}"
            return f"SELL {self.quantity:,} {self.symbol} {name} {strikes} {self.option['expiry']}"
        if self.kind == "stop" and self.stop is not None:
            return f"MOVE STOP: {self.symbol} {self.stop:,.2f} ({self.quantity:,} held)"
        verb = "SHORT" if self.short else self.side.value.upper()
        head = f"{verb} {self.quantity:,} {self.symbol}"
        return f"EXIT: {head}" if self.kind == "exit" else head


class OrderView(View):
    client_order_id: str
    broker_order_id: str | None
    symbol: str
    side: str
    quantity: int
    order_type: str
    status: str
    filled_quantity: int
    avg_fill_price: float | None
    reason: str
    submitted_at: datetime
    status_text: str = ""  # the status in words ("sent, outcome unknown, checking")
    limit_price: float | None = None
    stop_price: float | None = None
    time_in_force: str = "day"
    role: str = "main"  # main | stop | target (an entry's protective order at the venue)
    proposal_id: str | None = None

    @classmethod
    def of(cls, o: Order) -> OrderView:
        return cls(
            client_order_id=o.client_order_id,
            broker_order_id=o.broker_order_id,
            symbol=o.symbol,
            side=o.side,
            quantity=o.quantity,
            order_type=o.order_type,
            status=o.status,
            filled_quantity=o.filled_quantity,
            avg_fill_price=o.avg_fill_price,
            reason=o.reason,
            submitted_at=o.submitted_at,
            status_text=ORDER_STATUS_TEXT.get(o.status, o.status.replace("_", " ")),
            limit_price=o.limit_price,
            stop_price=o.stop_price,
            time_in_force=o.time_in_force,
            role=o.role,
            proposal_id=o.proposal_id,
        )


Card.model_rebuild()


class ScanReport(View):
    mode_label: str
    scanned: int
    ranked: tuple[ScanResult, ...]
    filtered: tuple[ScanResult, ...]
    cards: tuple[Card, ...]
    notes: tuple[str, ...] = ()


class AnalysisView(View):
    """One symbol looked at closely: indicators, score breakdown, what the strategy says."""

    mode_label: str
    symbol: str
    scan: ScanResult
    indicators: dict[str, float]
    idea: TradeIdea | None
    verdict: str
    # strategy -> (signal now in [-1, 1], bars since it turned; None: never)
    signals: dict[str, tuple[float, int | None]] = Field(default_factory=dict)
    firing: tuple[str, ...] = ()
    iv_rank: IVRankView | None = None  # None: no option chain or too little history
    headlines: tuple[str, ...] = ()  # the symbol's recent headlines (quoted, never followed)


class BacktestView(View):
    """A finished backtest: the metrics (summary), the trade count, an equity chart PNG."""

    mode_label: str
    symbol: str
    strategy: str
    params: dict[str, Any]
    summary: dict[str, Any]
    trades: int
    chart_png: bytes | None = None


class PositionLine(View):
    symbol: str
    quantity: int
    avg_price: float
    price: float
    market_value: float
    unrealized_pnl: float
    unrealized_pct: float
    stop: float | None = None
    target: float | None = None
    realized_pnl: float = 0.0  # what partial closes of this position realised so far


class OptionLegLine(View):
    symbol: str
    type: str
    strike: float
    quantity: int  # contracts: + long, − short
    avg_price: float
    bid: float | None = None
    ask: float | None = None


class OptionPositionLine(View):
    """One option strategy position: its legs grouped, marked to mid, with P&L, DTE and
    greeks (delta in shares, theta $/day, vega $/vol point)."""

    key: str  # the card that opened it (or underlying:expiry when unknown)
    underlying: str
    strategy: str
    expiry: str
    dte: int | None
    contracts: int
    legs: tuple[OptionLegLine, ...]
    credit: float  # per share at the open (positive: received)
    close_cost: float | None  # per share to close at the mids now
    unrealized_pnl: float | None
    max_profit: float | None
    max_loss: float | None
    delta: float | None = None
    gamma: float | None = None
    theta: float | None = None
    vega: float | None = None
    underlying_price: float | None = None
    note: str = ""


class PositionsView(View):
    mode_label: str
    positions: tuple[PositionLine, ...]
    cash: float
    equity: float
    buying_power: float
    options: tuple[OptionPositionLine, ...] = ()
    greeks: dict[str, dict[str, float]] = Field(default_factory=dict)


class OrdersView(View):
    mode_label: str
    orders: tuple[OrderView, ...]


class PnlView(View):
    mode_label: str
    period: Period
    since: datetime | None
    realized: float
    unrealized: float
    total: float
    commissions: float
    trades_closed: int
    win_rate: float | None
    equity: float
    start_equity: float | None
    equity_change_pct: float | None


class KillReport(View):
    canceled_orders: tuple[str, ...]
    expired_proposals: tuple[str, ...]
    flatten_orders: tuple[OrderView, ...]
    open_positions: tuple[str, ...]
    halted: bool
    flattened: bool


class WhyView(View):
    card: Card
    events: tuple[Event, ...]


class StatusView(View):
    mode: str
    mode_label: str
    broker: str
    data: str
    llm: str
    paused: bool
    halted: bool
    state: str = "active"  # the desk's one label: active, paused, reducing or halted
    reason: str
    pending: int
    open_orders: int
    positions: int
    equity: float
    market_open: bool
    notes: tuple[str, ...] = Field(default=())
    llm_usage: dict[str, Any] = Field(default_factory=dict)
    # the book's greeks by underlying (options and shares) and their "total" theta/vega
    greeks: dict[str, dict[str, float]] = Field(default_factory=dict)

    @property
    def llm_spend(self) -> str:
        """One line of LLM usage: today, per proposal, cache hits."""
        u = self.llm_usage
        if not u or not u.get("calls_total"):
            return "no LLM calls yet"
        return (
            f"${u['cost_today_usd']:.4f} today ({u['calls_today']} calls, "
            f"{u['tokens_today']:,} tokens) · ${u['cost_per_proposal_usd']:.4f} per proposal · "
            f"{u['cache_hits']} cache hits"
        )


class Reply(View):
    """The answer to a line of chat: text, and optionally a structured payload."""

    kind: str
    text: str
    payload: Any = None


class ReconcileView(View):
    """The venue against our books: every discrepancy, and venue data that was refused."""

    mode_label: str
    at: datetime
    report: ReconcileReport
    bad_data: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, report: ReconcileReport, bad_data: list[str], mode_label: str, at: datetime
    ) -> ReconcileView:
        return cls(mode_label=mode_label, at=at, report=report, bad_data=tuple(bad_data))

    @property
    def ok(self) -> bool:
        return self.report.ok and not self.bad_data


class SimShockView(View):
    """A move of the simulated market (`/sim shock`), stored for every process on the
    database; always SIMULATED."""

    symbol: str
    pct: float
    before: float
    after: float
    at: datetime
    by: str
    mode: str = "SIMULATED"

    @property
    def summary(self) -> str:
        return (
            f"[{self.mode}] {self.symbol} shocked {self.pct:+g}%: {self.before:,.2f} → "
            f"{self.after:,.2f}. Every desk on this database sees the move; recorded."
        )
