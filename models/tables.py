"""SQLModel tables of the co-trader's own books (the audit trail lives in `events`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.db import EnumText, UTCDateTime
from models.domain import ProposalStatus, RiskState, Side


def utcnow() -> datetime:
    return datetime.now(UTC)


def ts_field(**kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kw)


def json_field() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AccountSnapshot(SQLModel, table=True):
    __tablename__ = "account_snapshots"

    id: int | None = Field(default=None, primary_key=True)
    ts: datetime = ts_field(index=True)
    broker: str
    account_id: str
    mode: str
    cash: float
    equity: float
    buying_power: float


class Position(SQLModel, table=True):
    """Our book of one open position (signed quantity: negative is short)."""

    __tablename__ = "positions"

    symbol: str = Field(primary_key=True)
    asset_class: str = "equity"
    quantity: int
    avg_price: float
    opened_at: datetime = ts_field()
    updated_at: datetime = ts_field()
    strategy: str = ""
    stop_price: float | None = None
    target_price: float | None = None


class Proposal(SQLModel, table=True):
    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_status_expires", "status", "expires_at"),)

    id: str = Field(primary_key=True)
    kind: str = "entry"
    symbol: str = Field(index=True)
    side: Side = Field(sa_type=EnumText(Side))
    quantity: int
    order_type: str = "market"
    limit_price: float | None = None
    time_in_force: str = "day"
    entry_price: float
    stop_price: float | None = None
    target_price: float | None = None
    strategy: str = ""
    score: float = 0.0
    confidence: float = 0.0
    quote_bid: float
    quote_ask: float
    quote_ts: datetime = ts_field()
    rationale: str = ""
    rationale_meta: dict[str, Any] = json_field()
    risk: dict[str, Any] = json_field()
    facts: dict[str, Any] = json_field()
    mode: str
    broker: str
    status: ProposalStatus = Field(
        default=ProposalStatus.PENDING, sa_type=EnumText(ProposalStatus), index=True
    )
    status_reason: str = ""
    revision: int = 0  # bumped when the card's content changes (e.g. the LLM rationale)
    created_by: str = ""
    created_at: datetime = ts_field()
    expires_at: datetime = ts_field()
    decided_by: str | None = None
    decided_at: datetime | None = ts_field(default=None, nullable=True)
    version: int = 0
    replaces_id: str | None = None
    # who is executing an approval (agents/instance.py), and until when; recovery takes over
    # an approval only from an owner that is gone or whose lease ran out
    lease_owner: str | None = None
    lease_until: datetime | None = ts_field(default=None, nullable=True)


class ProposalLeg(SQLModel, table=True):
    """One leg of a proposal: a stock proposal has one; an options spread has several."""

    __tablename__ = "proposal_legs"

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: str = Field(foreign_key="proposals.id", index=True)
    symbol: str
    asset_class: str = "equity"
    side: str
    ratio: int = 1


class Order(SQLModel, table=True):
    __tablename__ = "orders"

    id: int | None = Field(default=None, primary_key=True)
    client_order_id: str = Field(unique=True)
    broker_order_id: str | None = Field(default=None, index=True)
    proposal_id: str | None = Field(default=None, foreign_key="proposals.id", index=True)
    broker: str
    symbol: str = Field(index=True)
    side: str
    quantity: int
    order_type: str
    limit_price: float | None = None
    stop_price: float | None = None
    time_in_force: str = "day"
    role: str = "main"  # main | stop | target (an entry's protective child: models.domain)
    status: str = Field(index=True)
    filled_quantity: int = 0
    avg_fill_price: float | None = None
    reason: str = ""
    submitted_at: datetime = ts_field(index=True)
    updated_at: datetime = ts_field()
    # sending and looking up an order whose outcome is not known yet
    sends: int = 0  # times the order was sent to the venue (each under the same client id)
    sent_at: datetime | None = ts_field(default=None, nullable=True)  # the last send
    checks: int = 0  # look-ups of an unknown outcome so far
    next_check_at: datetime | None = ts_field(default=None, nullable=True, index=True)


class Fill(SQLModel, table=True):
    __tablename__ = "fills"
    __table_args__ = (UniqueConstraint("broker", "fill_id", name="uq_fills_broker_fill"),)

    id: int | None = Field(default=None, primary_key=True)
    broker: str
    fill_id: str
    order_id: int = Field(foreign_key="orders.id", index=True)
    client_order_id: str
    symbol: str
    side: str
    quantity: int
    price: float
    commission: float = 0.0
    realized_pnl: float = 0.0  # what this fill realised (average cost), before commission
    ts: datetime = ts_field(index=True)


class Trade(SQLModel, table=True):
    """A round trip: opened by a fill, closed when the position returns to flat."""

    __tablename__ = "trades"

    id: int | None = Field(default=None, primary_key=True)
    symbol: str = Field(index=True)
    direction: str  # long | short
    quantity: int  # shares opened in this round trip
    closed_quantity: int = 0
    entry_price: float
    exit_price: float | None = None
    opened_at: datetime = ts_field()
    closed_at: datetime | None = ts_field(default=None, nullable=True, index=True)
    realized_pnl: float = 0.0
    commission: float = 0.0
    status: str = Field(default="open", index=True)
    strategy: str = ""
    proposal_id: str | None = None


class EventRow(SQLModel, table=True):
    __tablename__ = "events"

    id: int | None = Field(default=None, primary_key=True)
    ts: datetime = ts_field(index=True)
    type: str = Field(index=True)
    actor: str
    proposal_id: str | None = Field(default=None, index=True)
    order_id: str | None = Field(default=None, index=True)
    context: dict[str, Any] = json_field()


class DailyPerformance(SQLModel, table=True):
    __tablename__ = "daily_performance"

    day: date = Field(primary_key=True)
    start_equity: float
    end_equity: float
    realized_pnl: float = 0.0
    unrealized_pnl: float = 0.0
    trades_closed: int = 0
    updated_at: datetime = ts_field()


class WatchlistItem(SQLModel, table=True):
    __tablename__ = "watchlist"

    symbol: str = Field(primary_key=True)
    added_at: datetime = ts_field()
    added_by: str = ""


class SystemState(SQLModel, table=True):
    """One row (id=1): the desk's risk state and why, and whether a person paused it."""

    __tablename__ = "system_state"

    id: int = Field(default=1, primary_key=True)
    risk_state: RiskState = Field(default=RiskState.ACTIVE, sa_type=EnumText(RiskState))
    risk_reason: str = ""
    paused: bool = False  # a person's pause (openings stop; exits still pass)
    paused_reason: str = ""
    updated_at: datetime = ts_field()
    updated_by: str = ""

    @property
    def halted(self) -> bool:
        return self.risk_state is RiskState.HALTED
