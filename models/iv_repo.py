"""The IV series store: record a day's 30-day ATM IV (once per symbol and day; a second
record that day replaces it) and read a symbol's series."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlmodel import col, select

from models.audit import event_row
from models.iv_tables import IVDaily

if TYPE_CHECKING:
    from models.store import Store


class IVRepo:
    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, rows: list[tuple[str, date, float, str]], actor: str, at: datetime) -> int:
        """Store (symbol, day, iv30, source) rows, replacing the same symbol and day, with
        one `iv.recorded` event; the number stored."""
        if not rows:
            return 0
        with self.store.session(write=True) as s:
            for symbol, day, iv30, source in rows:
                row = s.get(IVDaily, (symbol, day))
                if row is None:
                    s.add(IVDaily(symbol=symbol, day=day, iv30=iv30, source=source, recorded_at=at))
                else:
                    row.iv30, row.source, row.recorded_at = iv30, source, at
                    s.add(row)
            days = sorted({d for _, d, _, _ in rows})
            ctx = {"symbols": len(rows), "days": [d.isoformat() for d in days]}
            s.add(event_row("iv.recorded", actor, context=ctx))
            s.commit()
        return len(rows)

    def series(self, symbol: str, since: date) -> list[tuple[date, float]]:
        """(day, iv30) of `symbol` from `since`, oldest first."""
        with self.store.session() as s:
            q = (
                select(IVDaily.day, IVDaily.iv30)
                .where(IVDaily.symbol == symbol, col(IVDaily.day) >= since)
                .order_by(col(IVDaily.day))
            )
            return [(d, float(v)) for d, v in s.exec(q).all()]
