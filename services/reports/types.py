"""What a performance report is built from, and what it says (plain values, no I/O).

The agent gathers a `ReportInputs` from the books; `build_report` turns it into a
`Report`; renderers write the markdown, the CSVs and the charts from the `Report`.
Money is in dollars; every figure in a `Report` is rounded to the cent (or to 0.01 % /
0.01 for ratios) once, so each renderer prints the same number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

PERIODS = ("day", "week", "month")


@dataclass(frozen=True, slots=True)
class ReportWindow:
    """The period a report covers: [start, end) in UTC, and its trading sessions."""

    period: str  # day | week | month
    start: datetime
    end: datetime
    label: str  # "2026-12-04", "week of 2026-11-30", "2026-12"
    sessions: tuple[date, ...] = ()


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One round trip as the trades CSV writes it (exit fields None while it is open)."""

    proposal_id: str | None
    symbol: str
    side: str  # long | short
    quantity: int
    entry_time: datetime
    entry_price: float
    exit_time: datetime | None
    exit_price: float | None
    realised_pnl: float  # net of its fees
    fees: float
    strategy: str
    exit_reason: str = ""
    tags: tuple[str, ...] = ()
    slippage: float = 0.0  # dollars paid against the card's quote mid (> 0 is a cost)

    @property
    def closed(self) -> bool:
        return self.exit_time is not None

    @property
    def holding_days(self) -> float | None:
        if self.exit_time is None:
            return None
        return round((self.exit_time - self.entry_time).total_seconds() / 86_400, 2)


@dataclass(frozen=True, slots=True)
class EquityPoint:
    """The account's equity at a session's end, and the benchmark's close that day."""

    day: date
    equity: float
    benchmark: float | None = None


@dataclass(frozen=True, slots=True)
class RiskEventLine:
    ts: datetime
    type: str  # risk.halted, desk.paused, kill.requested, proposal.refused, ...
    text: str


@dataclass(frozen=True, slots=True)
class ProposalCounts:
    made: int = 0
    approved: int = 0  # approved, then submitted, filled or failed at the venue
    rejected: int = 0
    expired: int = 0
    superseded: int = 0
    pending: int = 0


@dataclass(frozen=True, slots=True)
class LlmUsage:
    calls: int = 0
    cached: int = 0
    failed: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True, slots=True)
class PassedIdea:
    """A rejected or expired card, followed for a number of sessions: what its stop or
    target would have done (`pnl` None while there are no bars after it yet)."""

    proposal_id: str
    symbol: str
    status: str  # rejected | expired
    created_at: datetime
    outcome: str  # target | stop | open | no_data
    pnl: float | None
    final: bool  # the follow-up window is over


@dataclass(frozen=True, slots=True)
class ReportInputs:
    window: ReportWindow
    mode_label: str
    trades: tuple[TradeRecord, ...]  # closed in the window
    open_trades: tuple[TradeRecord, ...]  # open at the window's end
    trades_opened: int  # round trips opened in the window
    equity: tuple[EquityPoint, ...]  # by session; the session before the window first if known
    start_equity: float
    end_equity: float
    realised: float  # net of fees: the same figure /pnl shows for the period
    unrealised: float
    fees: float
    benchmark_symbol: str = "SPY"
    risk_events: tuple[RiskEventLine, ...] = ()
    proposals: ProposalCounts = field(default_factory=ProposalCounts)
    llm: LlmUsage = field(default_factory=LlmUsage)
    passed: tuple[PassedIdea, ...] = ()
    generated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class GroupLine:
    """P&L of one strategy or one symbol over the window's closed trades."""

    name: str
    trades: int
    wins: int
    pnl: float
    fees: float


@dataclass(frozen=True, slots=True)
class PassedSummary:
    count: int = 0
    winners: int = 0
    losers: int = 0
    would_make: float = 0.0  # the sum of the winners' P&L (>= 0)
    would_lose: float = 0.0  # the sum of the losers' P&L, as a positive number
    pending: int = 0  # followed, no outcome yet


@dataclass(frozen=True)
class Report:
    """Every figure of one report, rounded once (see the module's docstring)."""

    window: ReportWindow
    mode_label: str
    start_equity: float
    end_equity: float
    return_pct: float | None
    realised: float
    unrealised: float
    total_pnl: float
    fees: float
    slippage: float
    benchmark_symbol: str
    benchmark_return_pct: float | None
    trades_opened: int
    trades_closed: int
    wins: int
    losses: int
    win_rate: float | None  # percent
    profit_factor: float | None  # None without a losing trade
    expectancy: float | None  # dollars per closed trade
    avg_win: float | None
    avg_loss: float | None  # negative
    largest_win: float | None
    largest_loss: float | None  # negative
    sharpe: float | None  # annualised, from the daily equity
    sortino: float | None
    max_drawdown_pct: float | None  # negative or 0
    exposure_pct: float | None  # share of the window with a position open
    by_strategy: tuple[GroupLine, ...]
    by_symbol: tuple[GroupLine, ...]
    risk_events: tuple[RiskEventLine, ...]
    proposals: ProposalCounts
    approval_rate: float | None  # approved / decided (approved + rejected + expired), percent
    llm: LlmUsage
    passed: PassedSummary
    trades: tuple[TradeRecord, ...]
    equity: tuple[EquityPoint, ...]
    closed_trades_pnl: float  # the sum of the closed trades' net P&L (the CSV's column)
    generated_at: datetime | None = None
