"""Reading our books: orders, positions, fills and round trips (plain values or rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import col, select

from models.domain import BOOK_OPEN_STATUSES, UNSETTLED_ORDER_STATUSES
from models.tables import Fill, Order, Position, Proposal, Trade

if TYPE_CHECKING:
    from models.store import Store

OPEN_ORDER_STATUSES = tuple(sorted(BOOK_OPEN_STATUSES))

_POSITIONS = Position.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class BookedPosition:
    """One open position of our books, as read (signed quantity: negative is short)."""

    symbol: str
    asset_class: str
    quantity: int
    avg_price: float
    opened_at: datetime
    updated_at: datetime
    strategy: str
    stop_price: float | None
    target_price: float | None


_POSITION_COLS = [_POSITIONS.c[f] for f in BookedPosition.__slots__]


class LedgerReads:
    def __init__(self, store: Store) -> None:
        self._store = store

    def order(self, client_order_id: str) -> Order | None:
        with self._store.session() as s:
            return s.exec(select(Order).where(Order.client_order_id == client_order_id)).first()

    def fill_ids(self, client_order_id: str) -> set[str]:
        """The ids of the fills booked for one order."""
        with self._store.session() as s:
            q = select(Fill.fill_id).where(Fill.client_order_id == client_order_id)
            return set(s.exec(q).all())

    def orders(self, open_only: bool = False, limit: int | None = 50) -> list[Order]:
        """Newest first; limit=None for all of them."""
        with self._store.session() as s:
            q = select(Order).order_by(col(Order.id).desc()).limit(limit)
            if open_only:
                q = q.where(col(Order.status).in_(OPEN_ORDER_STATUSES))
            return list(s.exec(q).all())

    def protective(self, symbol: str) -> list[Order]:
        """The protective orders (an entry's stop and target) working for `symbol`."""
        with self._store.session() as s:
            q = select(Order).where(
                Order.symbol == symbol,
                Order.role != "main",
                col(Order.status).in_(OPEN_ORDER_STATUSES),
            )
            return list(s.exec(q.order_by(col(Order.id))).all())

    def unsettled(self, due_by: datetime | None = None) -> list[Order]:
        """Orders being sent or with an unknown outcome (oldest first); with `due_by`, only
        those whose next look-up is due by then."""
        with self._store.session() as s:
            q = select(Order).where(col(Order.status).in_(sorted(UNSETTLED_ORDER_STATUSES)))
            if due_by is not None:
                q = q.where(
                    col(Order.next_check_at).is_(None) | (col(Order.next_check_at) <= due_by)
                )
            return list(s.exec(q.order_by(col(Order.id))).all())

    def unacknowledged(self, since: datetime) -> list[Order]:
        """Orders submitted since `since` that the venue never acknowledged (no venue id) and
        that our books hold as not working: a venue that has them after all gets them booked."""
        with self._store.session() as s:
            q = select(Order).where(
                col(Order.broker_order_id).is_(None),
                col(Order.status).in_(("failed", "unknown", "canceled")),
                col(Order.submitted_at) >= since,
            )
            return list(s.exec(q.order_by(col(Order.id))).all())

    # -- fills, positions and trades

    def count_open_orders(self) -> int:
        with self._store.session() as s:
            return int(
                s.exec(
                    select(func.count())
                    .select_from(Order)
                    .where(  # type: ignore[arg-type]
                        col(Order.status).in_(OPEN_ORDER_STATUSES)
                    )
                ).one()
            )

    def entries_since(self, since: datetime) -> int:
        """Orders of entry proposals submitted since `since` and not rejected or failed
        (the risk engine's daily trade count)."""
        with self._store.session() as s:
            q = (
                select(func.count())
                .select_from(Order)
                .join(Proposal, col(Order.proposal_id) == col(Proposal.id))
                .where(
                    col(Order.submitted_at) >= since,
                    Proposal.kind == "entry",
                    Order.role == "main",  # not an entry's protective stop and target
                    col(Order.status).not_in(("rejected", "failed")),
                )
            )
            return int(s.exec(q).one())  # type: ignore[call-overload]

    def positions(self) -> list[BookedPosition]:
        """Our open positions by symbol (plain values: read on every risk check; once per
        `Store.reading()` block)."""
        return list(self._store.memo("ledger.positions", self._positions))

    def _positions(self) -> tuple[BookedPosition, ...]:
        with self._store.session() as s:
            rows = s.connection().execute(select(*_POSITION_COLS).order_by(_POSITIONS.c.symbol))
            return tuple(BookedPosition(*r) for r in rows)

    def position(self, symbol: str) -> BookedPosition | None:
        with self._store.session() as s:
            q = select(*_POSITION_COLS).where(_POSITIONS.c.symbol == symbol)
            row = s.connection().execute(q).first()
            return BookedPosition(*row) if row else None

    def realized_since(self, since: datetime | None) -> tuple[float, float]:
        """(P&L realised by fills since `since`, their commissions): every partial close
        counts at once (average cost), not only round trips that went flat."""
        with self._store.session() as s:
            q = select(
                func.coalesce(func.sum(Fill.realized_pnl), 0.0),
                func.coalesce(func.sum(Fill.commission), 0.0),
            )
            if since is not None:
                q = q.where(col(Fill.ts) >= since)
            realized, fees = s.exec(q).one()  # type: ignore[call-overload]
            return float(realized), float(fees)

    def open_trade_origins(self) -> dict[str, str | None]:
        """The card that opened each open round trip, by symbol (None: not a card's)."""
        with self._store.session() as s:
            rows = s.exec(select(Trade.symbol, Trade.proposal_id).where(Trade.status == "open"))
            return dict(rows.all())

    def open_trade_realized(self) -> dict[str, float]:
        """What each open round trip has realised so far (partial closes), by symbol."""
        with self._store.session() as s:
            rows = s.exec(select(Trade.symbol, Trade.realized_pnl).where(Trade.status == "open"))
            return {sym: float(r) for sym, r in rows.all()}

    def trades(
        self, closed_since: datetime | None = None, status: str | None = None
    ) -> list[Trade]:
        with self._store.session() as s:
            q = select(Trade).order_by(col(Trade.id))
            if status:
                q = q.where(Trade.status == status)
            if closed_since is not None:
                q = q.where(col(Trade.closed_at) >= closed_since)
            return list(s.exec(q).all())
