"""Bulk reads and writes of cached bars: one query a read, one transaction a write.

Bars live in monthly segments (models.bar_tables.BarSegment): a read fetches a few rows per
symbol and unpacks their columns with numpy; a write merges new bars into the segments they
fall in (a bar already cached at the same time takes the new values).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Connection, delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from models.bar_tables import BarSegment
from models.domain import Bars

if TYPE_CHECKING:
    from models.store import Store

_T = BarSegment.__table__  # type: ignore[attr-defined]
_KEY = ("source", "symbol", "timeframe", "period")
_VALUES = ("first_ts", "last_ts", "count", "data")
_CHUNK = 500  # items per IN (...) list; well under every driver's parameter limit
Matrix = np.ndarray  # shape (6, n): ts, open, high, low, close, volume; float64


def tail_bars(bars: Bars, limit: int) -> Bars:
    """The last `limit` bars (no re-validation: the columns are already Bars')."""
    cut = slice(-limit, None)
    return Bars.model_construct(
        symbol=bars.symbol,
        ts=bars.ts[cut],
        open=bars.open[cut],
        high=bars.high[cut],
        low=bars.low[cut],
        close=bars.close[cut],
        volume=bars.volume[cut],
    )


def join_bars(old: Bars, new: Bars) -> Bars:
    """`old` then `new` (the caller makes sure `new` starts after `old` ends)."""
    cols = ("ts", "open", "high", "low", "close", "volume")
    joined = {c: getattr(old, c) + getattr(new, c) for c in cols}
    return Bars.model_construct(symbol=old.symbol, **joined)


class BarCacheError(ValueError):
    """Bars handed to the cache are malformed (naive times, ragged columns, bad numbers)."""


def _epoch(ts: datetime) -> float:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise BarCacheError(f"naive bar time {ts!r}: pass aware UTC datetimes")
    return float(int(ts.timestamp()))


def _dedupe(m: Matrix) -> Matrix:
    """Sorted by time; of bars with the same time the later column wins."""
    rev = m[:, ::-1]
    _, idx = np.unique(rev[0], return_index=True)
    return np.ascontiguousarray(rev[:, idx])


def _matrix(bars: Bars) -> Matrix:
    cols = (bars.open, bars.high, bars.low, bars.close, bars.volume)
    if len({len(bars.ts), *(len(c) for c in cols)}) != 1:
        raise BarCacheError(f"{bars.symbol}: bar columns have different lengths")
    if any(t.tzinfo is None for t in bars.ts):
        raise BarCacheError(f"{bars.symbol}: naive bar time: pass aware UTC datetimes")
    ts = np.floor([t.timestamp() for t in bars.ts])
    m = np.array([ts, *cols], dtype=np.float64).reshape(6, -1)
    values = m[1:]
    if not (np.isfinite(values).all() and (values >= 0).all()):
        raise BarCacheError(f"{bars.symbol}: bad bar values (not finite, or negative)")
    return _dedupe(m)


def _unpack(blob: bytes) -> Matrix:
    return np.frombuffer(blob, dtype="<f8").reshape(6, -1)


def _months(m: Matrix) -> list[tuple[str, Matrix]]:
    """Split a sorted matrix into its UTC calendar months."""
    months = m[0].astype("int64").astype("datetime64[s]").astype("datetime64[M]")
    labels, starts = np.unique(months, return_index=True)
    ends = [*starts[1:].tolist(), m.shape[1]]
    return [(str(lab), m[:, a:b]) for lab, a, b in zip(labels, starts.tolist(), ends, strict=True)]


def _row(source: str, timeframe: str, symbol: str, period: str, m: Matrix) -> dict[str, Any]:
    return {
        "source": source,
        "symbol": symbol,
        "timeframe": timeframe,
        "period": period,
        "first_ts": int(m[0, 0]),
        "last_ts": int(m[0, -1]),
        "count": int(m.shape[1]),
        "data": np.ascontiguousarray(m, dtype="<f8").tobytes(),
    }


def _upsert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert segments; one already stored (same key) is overwritten."""
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        ins = (sqlite if dialect == "sqlite" else postgresql).insert(_T)
        stmt = ins.on_conflict_do_update(
            index_elements=list(_KEY), set_={c: ins.excluded[c] for c in _VALUES}
        )
        conn.execute(stmt, rows)
        return
    cols = [_T.c[k] for k in _KEY]
    keys = [tuple(r[k] for k in _KEY) for r in rows]
    for i in range(0, len(keys), _CHUNK):
        conn.execute(delete(_T).where(tuple_(*cols).in_(keys[i : i + _CHUNK])))
    conn.execute(_T.insert(), rows)


class BarCacheRepo:
    """The bar cache of one store. `source` names venue+feed+adjustment; `timeframe` e.g. 1Day."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # ------------------------------------------------------------------ reads

    def read(
        self,
        source: str,
        timeframe: str,
        symbols: Sequence[str] | None = None,
        since: datetime | None = None,
    ) -> dict[str, Bars]:
        """Cached bars per symbol, oldest first (`since` inclusive); symbols with none are
        absent. One query for up to 500 symbols."""
        base = select(_T.c.symbol, _T.c.data).where(
            _T.c.source == source, _T.c.timeframe == timeframe
        )
        floor = _epoch(since) if since is not None else None
        if floor is not None:
            base = base.where(_T.c.last_ts >= floor)
        base = base.order_by(_T.c.symbol, _T.c.period)
        wanted = list(dict.fromkeys(symbols)) if symbols is not None else None
        batches: list[list[str] | None] = (
            [None]
            if wanted is None
            else [wanted[i : i + _CHUNK] for i in range(0, len(wanted), _CHUNK)]
        )
        out: dict[str, Bars] = {}
        stamps: dict[float, datetime] = {}
        with self._store.session() as s:
            conn = s.connection()
            for batch in batches:
                stmt = base if batch is None else base.where(_T.c.symbol.in_(batch))
                for sym, group in groupby(conn.execute(stmt).all(), key=itemgetter(0)):
                    parts = [_unpack(blob) for _, blob in group]
                    m = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
                    if floor is not None:
                        m = m[:, m[0] >= floor]
                    if m.shape[1]:
                        out[sym] = self._bars(sym, m, stamps)
        return out

    @staticmethod
    def _bars(symbol: str, m: Matrix, stamps: dict[float, datetime]) -> Bars:
        epochs = m[0].tolist()
        for t in set(epochs).difference(stamps):
            stamps[t] = datetime.fromtimestamp(t, UTC)
        times = list(map(stamps.__getitem__, epochs))
        o, h, lo, c, v = (col.tolist() for col in m[1:])
        return Bars.model_construct(
            symbol=symbol, ts=times, open=o, high=h, low=lo, close=c, volume=v
        )

    def last_stamps(
        self, source: str, timeframe: str, symbols: Sequence[str]
    ) -> dict[str, datetime]:
        """The newest cached bar time per symbol (one GROUP BY query per 500 symbols)."""
        out: dict[str, datetime] = {}
        wanted = list(dict.fromkeys(symbols))
        with self._store.session() as s:
            conn = s.connection()
            for i in range(0, len(wanted), _CHUNK):
                stmt = (
                    select(_T.c.symbol, func.max(_T.c.last_ts))
                    .where(
                        _T.c.source == source,
                        _T.c.timeframe == timeframe,
                        _T.c.symbol.in_(wanted[i : i + _CHUNK]),
                    )
                    .group_by(_T.c.symbol)
                )
                for sym, ts in conn.execute(stmt):
                    out[sym] = datetime.fromtimestamp(ts, UTC)
        return out

    # ------------------------------------------------------------------ writes

    def write(self, source: str, timeframe: str, bars: Iterable[Bars]) -> int:
        """Merge bars of many symbols into the cache in one transaction (a bar already cached
        at the same time is overwritten); returns how many bars were handed in."""
        new = self._matrices(bars)
        if not new:
            return 0
        with self._store.session(write=True) as s:
            self._merge(s.connection(), source, timeframe, new)
            s.commit()
        return sum(m.shape[1] for m in new.values())

    def replace(self, source: str, timeframe: str, bars: Bars) -> int:
        """Swap one symbol's whole cached history for `bars` (e.g. after a split re-adjusts
        it); returns the bars stored."""
        new = self._matrices([bars])
        with self._store.session(write=True) as s:
            conn = s.connection()
            conn.execute(
                delete(_T).where(
                    _T.c.source == source,
                    _T.c.timeframe == timeframe,
                    _T.c.symbol == bars.symbol,
                )
            )
            self._merge(conn, source, timeframe, new)
            s.commit()
        return sum(m.shape[1] for m in new.values())

    def clear(self, source: str | None = None) -> int:
        """Drop cached bars (of one source, or all); returns how many segments went."""
        stmt = delete(_T) if source is None else delete(_T).where(_T.c.source == source)
        with self._store.session(write=True) as s:
            n = s.connection().execute(stmt).rowcount
            s.commit()
        return int(n or 0)

    @staticmethod
    def _matrices(bars: Iterable[Bars]) -> dict[str, Matrix]:
        """Validated matrices per symbol (every Bars is checked before anything is written)."""
        out: dict[str, Matrix] = {}
        for b in bars:
            m = _matrix(b)
            if m.shape[1]:
                out[b.symbol] = (
                    _dedupe(np.concatenate([out[b.symbol], m], axis=1)) if (b.symbol in out) else m
                )
        return out

    @staticmethod
    def _merge(conn: Connection, source: str, timeframe: str, new: dict[str, Matrix]) -> None:
        parts = {(sym, period): m for sym, full in new.items() for period, m in _months(full)}
        keys = list(parts)
        stmt = select(_T.c.symbol, _T.c.period, _T.c.data).where(
            _T.c.source == source, _T.c.timeframe == timeframe
        )
        if conn.dialect.name != "sqlite":  # SQLite writers already hold the database lock
            stmt = stmt.with_for_update()
        for i in range(0, len(keys), _CHUNK):
            chunk = stmt.where(tuple_(_T.c.symbol, _T.c.period).in_(keys[i : i + _CHUNK]))
            for sym, period, blob in conn.execute(chunk):
                both = np.concatenate([_unpack(blob), parts[(sym, period)]], axis=1)
                parts[(sym, period)] = _dedupe(both)
        rows = [_row(source, timeframe, sym, period, m) for (sym, period), m in parts.items()]
        _upsert(conn, rows)
