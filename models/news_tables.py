"""Stored news: each headline once (by its source id, and by its normalised text across
sources), the symbols it names (for the per-symbol reads), its sentiment, and the alerts it
raised (one per headline and symbol)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.tables import ts_field


class NewsItem(SQLModel, table=True):
    __tablename__ = "news_items"
    __table_args__ = (Index("ix_news_items_norm_created", "norm", "created_at"),)

    id: str = Field(primary_key=True)  # the source's id ("alpaca:24843171", "sim:...")
    source: str
    headline: str
    summary: str = ""
    url: str = ""
    author: str = ""
    symbols: str = ""  # space-separated, as named by the source
    created_at: datetime = ts_field(index=True)
    stored_at: datetime = ts_field()
    simulated: bool = False
    norm: str  # the headline lower-cased, letters and digits only (near-duplicates)
    score: float = 0.0
    label: str = "neutral"
    why: str = ""
    scorer: str = "offline"


class NewsSymbol(SQLModel, table=True):
    """One symbol a headline names (a headline naming three symbols has three rows)."""

    __tablename__ = "news_symbols"
    __table_args__ = (Index("ix_news_symbols_symbol_created", "symbol", "created_at"),)

    news_id: str = Field(primary_key=True, foreign_key="news_items.id")
    symbol: str = Field(primary_key=True)
    created_at: datetime = ts_field()


class NewsAlertRow(SQLModel, table=True):
    """A material headline told about a held symbol, once (the primary key is the guard)."""

    __tablename__ = "news_alerts"

    news_id: str = Field(primary_key=True, foreign_key="news_items.id")
    symbol: str = Field(primary_key=True)
    at: datetime = ts_field()
