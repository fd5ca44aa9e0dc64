"""The monitor's stored state: people's price and position alerts, the hysteresis state of
each exit rule per position, and each position's extremes since entry (for trailing)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.tables import ts_field


class PriceAlertRow(SQLModel, table=True):
    """A person's alert. status: armed (it may fire), fired (it fired once and waits for a
    re-arm on request) or removed. `level`: the price (above/below) or the percent."""

    __tablename__ = "price_alerts"

    id: str = Field(primary_key=True)
    symbol: str = Field(index=True)
    condition: str
    level: float
    status: str = Field(default="armed", index=True)
    created_by: str
    created_at: datetime = ts_field()
    fired_at: datetime | None = ts_field(default=None, nullable=True)
    observed: float | None = None
    reason: str = ""
    updated_at: datetime = ts_field()
    revision: int = 0  # +1 on every change: the monitor's cache of armed alerts checks it


class MonitorRuleState(SQLModel, table=True):
    """The hysteresis state of one exit rule on one position (services/exit_rules)."""

    __tablename__ = "monitor_rule_states"

    position: str = Field(primary_key=True)  # the position's key: SYMBOL@opened_at
    rule: str = Field(primary_key=True)
    armed: bool = True
    level: float | None = None
    fired_at: datetime | None = ts_field(default=None, nullable=True)


class PositionMarks(SQLModel, table=True):
    """A position's highest and lowest price seen since entry (the trailing stop's anchor)."""

    __tablename__ = "position_marks"

    position: str = Field(primary_key=True)
    symbol: str = Field(index=True)
    high: float
    low: float
    updated_at: datetime = ts_field()
