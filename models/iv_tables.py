"""The daily 30-day at-the-money implied-vol series of each underlying (IV rank's input)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from models.tables import ts_field


class IVDaily(SQLModel, table=True):
    """One underlying's 30-day ATM IV at one day's close, as measured from its chain."""

    __tablename__ = "iv_daily"

    symbol: str = Field(primary_key=True)
    day: date = Field(primary_key=True)
    iv30: float
    source: str  # the chain's source ("alpaca:indicative", "tastytrade+dxlink", ...)
    recorded_at: datetime = ts_field()
