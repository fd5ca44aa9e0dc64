"""The broker's own view, mirrored: one row per broker account and its positions.

These rows are the venue's word, kept apart from our books (`positions`, `orders`), so a sync
never overwrites what we booked; reconciliation compares the two and reports differences.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.tables import ts_field


class BrokerAccount(SQLModel, table=True):
    """One venue account (unique per broker and account number: never a duplicate)."""

    __tablename__ = "broker_accounts"
    __table_args__ = (UniqueConstraint("broker", "account_id", name="uq_broker_accounts"),)

    id: int | None = Field(default=None, primary_key=True)
    broker: str
    account_id: str
    mode: str
    cash: float
    equity: float
    buying_power: float
    currency: str = "USD"
    first_seen: datetime = ts_field()
    synced_at: datetime = ts_field()


class BrokerHolding(SQLModel, table=True):
    """A position as the venue last reported it."""

    __tablename__ = "broker_holdings"

    account_ref: int = Field(foreign_key="broker_accounts.id", primary_key=True)
    symbol: str = Field(primary_key=True)
    quantity: int
    avg_price: float
    synced_at: datetime = ts_field()
