"""What the desk tells its front ends: typed events on one bus.

Agents publish facts (numbers, ids, states), never text for a screen: each front end renders
an event its own way (the terminal as an `alert.<kind>` JSON line, Discord as an embed).
`kind` names the alert. Room is left for the next agents' events (an exit suggested, a price
or news alert, a report ready): subclass `DeskEvent` with a new kind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import ClassVar

from loguru import logger
from pydantic import BaseModel, ConfigDict, Field

from agents.report_views import ReportView, SuggestionView
from agents.results import PnlView, PositionsView, ReconcileView, ScanReport, StatusView


def _now() -> datetime:
    return datetime.now(UTC)


class DeskEvent(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    kind: ClassVar[str] = "event"

    mode_label: str  # SIMULATED, PAPER or LIVE: every rendering says which money
    at: datetime = Field(default_factory=_now)


class OrderEvent(DeskEvent):
    """Where one of our orders stands (from the click's reply, the stream, a poll)."""

    client_order_id: str
    proposal_id: str | None = None
    symbol: str
    side: str
    quantity: int
    filled: int = 0
    avg_price: float | None = None
    venue: str = ""
    approver: str | None = None  # who clicked Approve (None for an update off the stream)
    reason: str = ""


class OrderFilled(OrderEvent):
    kind: ClassVar[str] = "fill"

    @property
    def complete(self) -> bool:
        return self.filled >= self.quantity


class OrderWorking(OrderEvent):
    kind: ClassVar[str] = "order"


class OrderUnknown(OrderEvent):
    """Sent, but the venue did not say whether it took it: the desk keeps looking."""

    kind: ClassVar[str] = "order"


class OrderRejected(OrderEvent):
    kind: ClassVar[str] = "rejected"


class OrderCanceled(OrderEvent):
    kind: ClassVar[str] = "canceled"


class ProposalExpired(DeskEvent):
    kind: ClassVar[str] = "expired"

    proposal_id: str
    symbol: str
    side: str
    quantity: int
    reason: str = "expired"


class ProposalSuperseded(DeskEvent):
    kind: ClassVar[str] = "superseded"

    proposal_id: str
    symbol: str
    by: str  # the proposal that replaced it


class RiskStateChanged(DeskEvent):
    """The desk's risk state moved: by a limit (REDUCING, HALTED) or by a person's resume."""

    kind: ClassVar[str] = "state"

    state: str  # active | reducing | halted
    reason: str
    by: str | None = None  # the person who resumed; None when a limit moved it
    expired: tuple[str, ...] = ()  # proposals expired because the desk halted


class KillSwitch(DeskEvent):
    kind: ClassVar[str] = "kill"

    by: str
    canceled: tuple[str, ...]
    expired: tuple[str, ...]
    flatten: bool
    flattened: int = 0


class Recovered(DeskEvent):
    """An interrupted approval or an unknown outcome brought to a known state."""

    kind: ClassVar[str] = "recovered"

    proposal_id: str | None
    client_order_id: str
    outcome: str  # the order's status now: filled, new, failed, unknown, ...
    symbol: str
    side: str
    quantity: int
    filled: int = 0
    avg_price: float | None = None
    reason: str = ""
    approver: str | None = None
    after_restart: bool = True  # False: the venue answered a look-up of an unknown outcome
    by_reconciliation: bool = False


class Reconciled(DeskEvent):
    """A reconciliation found differences (or could not run); `view` carries them."""

    kind: ClassVar[str] = "reconcile"

    view: ReconcileView | None = None
    failed: str = ""  # why it could not run


class StreamStopped(DeskEvent):
    kind: ClassVar[str] = "error"

    venue: str
    error: str


class LlmBudgetReached(DeskEvent):
    kind: ClassVar[str] = "llm_budget"

    provider: str
    spent_usd: float
    tokens: int


class JobEvent(DeskEvent):
    """A scheduled job's result (posted once per session, whichever instance ran it)."""

    job: str
    day: date


class PremarketBrief(JobEvent):
    kind: ClassVar[str] = "brief"

    session: str  # "09:30-16:00 ET" (and "(early close)")
    watchlist: tuple[str, ...]
    status: StatusView
    positions: PositionsView
    top_stories: tuple[str, ...] = ()  # the held and watched symbols' top headlines


class ScanPosted(JobEvent):
    kind: ClassVar[str] = "scan"

    report: ScanReport


class EndOfDay(JobEvent):
    kind: ClassVar[str] = "eod"

    pnl: PnlView
    positions: PositionsView


class ReconcileDone(JobEvent):
    """The after-close reconciliation found the books in agreement (else: Reconciled)."""

    kind: ClassVar[str] = "reconciled"

    view: ReconcileView


class ReportReady(JobEvent):
    """A scheduled report (day, week or month) was written: its figures and files."""

    kind: ClassVar[str] = "report"

    view: ReportView


class JobFailed(JobEvent):
    kind: ClassVar[str] = "error"

    error: str


class PriceAlert(DeskEvent):
    """A person's price or position alert fired (once; it re-arms only on request)."""

    kind: ClassVar[str] = "price"

    alert_id: str
    symbol: str
    condition: str  # above | below | move | loss | gain
    level: float  # the price, or the percent
    observed: float  # the price, the day's move % or the position's P&L % it fired at
    reason: str
    price: float
    held: int = 0  # the position it concerns (signed), 0 when flat
    pnl_pct: float | None = None  # that position's open P&L, % of entry


class ExitSignal(DeskEvent):
    """An exit rule fired on an open position (the monitor): `action` exit (an exit card),
    stop_move (a stop card) or alert (tell only). `proposal_id`: the card it raised."""

    kind: ClassVar[str] = "exit"

    rule: str
    action: str
    symbol: str
    price: float
    level: float | None = None
    pnl_pct: float
    r_multiple: float | None = None
    days_held: float
    reason: str
    held: int
    new_stop: float | None = None
    proposal_id: str | None = None
    note: str = ""


class NewsAlert(DeskEvent):
    """A material headline on a held symbol (told once per headline and symbol): strong
    sentiment or a material word (halt, guidance, lawsuit, downgrade, recall...)."""

    kind: ClassVar[str] = "news"

    news_id: str
    symbol: str
    headline: str
    source: str
    url: str = ""
    score: float
    label: str
    material: tuple[str, ...] = ()
    held: int = 0  # the position (signed shares; option positions count their contracts)
    pnl: float | None = None  # its open P&L in dollars, where known
    pnl_pct: float | None = None


class OptionSettled(DeskEvent):
    """An option contract we held reached expiry (the venue settled it): it expired
    worthless, was assigned (short) or exercised (long) into `shares` of the underlying at
    the strike."""

    kind: ClassVar[str] = "option"

    symbol: str  # OCC
    underlying: str
    fate: str  # expired worthless | assigned | exercised
    contracts: int  # signed as held: + long, − short
    strike: float
    shares: int = 0  # signed: + bought, − sold
    proposal_id: str | None = None


class SuggestionsReady(DeskEvent):
    """The weekly look at the reviewed trades found settings worth changing: cards with
    Apply and Dismiss for approvers (nothing changes until one clicks Apply)."""

    kind: ClassVar[str] = "suggestion"

    suggestions: tuple[SuggestionView, ...]


Listener = Callable[[DeskEvent], Awaitable[None]]


class EventBus:
    """One bus: every subscriber gets every event, in order; a failing one breaks nothing."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, fn: Listener) -> None:
        self._listeners.append(fn)

    def unsubscribe(self, fn: Listener) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    async def publish(self, event: DeskEvent) -> None:
        for fn in list(self._listeners):
            try:
                await fn(event)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # a front end's failure must never break trading
                logger.warning("event listener failed on {}: {}", event.kind, e)
