"""The learning loop's tables: each closed trade's review, the weekly suggestions, the
setting changes a person applied (and reverted), and the ideas a person passed on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.tables import ts_field


class TradeReview(SQLModel, table=True):
    """One closed round trip against the six-part error taxonomy (its tags carry numbers)."""

    __tablename__ = "trade_reviews"

    trade_id: int = Field(primary_key=True, foreign_key="trades.id")
    symbol: str
    strategy: str = ""
    closed_at: datetime = ts_field(index=True)
    pnl: float
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reviewed_at: datetime = ts_field()


class SuggestionRow(SQLModel, table=True):
    """A suggested setting change with its evidence: never applied until a person clicks."""

    __tablename__ = "suggestions"

    id: str = Field(primary_key=True)
    created_at: datetime = ts_field(index=True)
    key: str
    value: float
    current: float | None = None
    title: str
    evidence: str = ""
    confidence: float
    tag: str = ""
    strategy: str = ""
    trades: int = 0
    losses: int = 0
    status: str = Field(default="pending", index=True)  # pending | applied | dismissed
    decided_by: str | None = None
    decided_at: datetime | None = ts_field(default=None, nullable=True)
    change_id: int | None = None


class SettingChange(SQLModel, table=True):
    """One setting changed at run time (who, why, from what), until reverted."""

    __tablename__ = "setting_changes"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True)
    old_value: float | None = None
    new_value: float
    actor: str
    reason: str = ""
    suggestion_id: str | None = None
    applied_at: datetime = ts_field()
    reverted_at: datetime | None = ts_field(default=None, nullable=True)
    reverted_by: str | None = None

    @property
    def active(self) -> bool:
        return self.reverted_at is None


class IdeaOutcome(SQLModel, table=True):
    """A rejected or expired card followed for some sessions: what its stop or target did."""

    __tablename__ = "idea_outcomes"

    proposal_id: str = Field(primary_key=True, foreign_key="proposals.id")
    symbol: str
    status: str  # rejected | expired
    created_at: datetime = ts_field(index=True)
    outcome: str  # target | stop | open | no_data
    pnl: float | None = None
    final: bool = False
    updated_at: datetime = ts_field()
