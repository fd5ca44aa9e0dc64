"""The persistent bar cache: one row per symbol and calendar month, the bars packed as columns.

Row-per-bar storage costs a database round of ~1.8M values to read 500 symbols x 2 years
(about half a second in sqlite3's fetchall alone); monthly segments make it ~12k rows whose
columns unpack in C. A top-up rewrites only the segments its new bars fall in.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, LargeBinary
from sqlmodel import Field, SQLModel


class BarSegment(SQLModel, table=True):
    """The bars of one symbol in one UTC calendar month (`period`, "2026-11").

    `data` holds six little-endian float64 columns back to back, each `count` long: bar start
    (UTC epoch seconds), open, high, low, close, volume; sorted by time, no duplicates.
    `first_ts`/`last_ts` bound the segment (epoch seconds) for range queries without
    unpacking. (An ordinary rowid table: segments of ~1 KB would more than double the file
    as SQLite WITHOUT ROWID rows, which are meant to be small.)"""

    __tablename__ = "bar_cache"

    source: str = Field(primary_key=True)  # venue, feed and adjustment: "alpaca:iex:split"
    symbol: str = Field(primary_key=True)
    timeframe: str = Field(primary_key=True)  # "1Day", "5Min"...
    period: str = Field(primary_key=True)
    first_ts: int = Field(sa_type=BigInteger)
    last_ts: int = Field(sa_type=BigInteger)
    count: int
    data: bytes = Field(sa_type=LargeBinary)
