"""Orders, fills, positions and round-trip trades: the co-trader's own books.

A fill is applied to the position exactly once: the fill row (unique per broker fill id),
the position change and the trade change commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from models.audit import event_row
from models.domain import BookUpdate
from models.tables import Fill, Order, Position, Trade, utcnow

if TYPE_CHECKING:
    from models.store import Store

OPEN_ORDER_STATUSES = ("pending_submit", "new", "partially_filled")

# (current quantity, current avg price) -> the position after the fill
BookFn = Callable[[int, float], BookUpdate]


class LedgerRepo:
    def __init__(self, store: Store) -> None:
        self._store = store

    # -- orders
    def add_order(self, order: Order, actor: str, context: dict[str, Any]) -> tuple[Order, bool]:
        """Insert an order keyed by its client id; a repeat returns the first (created=False)."""
        with self._store.session() as s:
            s.add(order)
            s.add(
                event_row(
                    "order.submitted",
                    actor,
                    proposal_id=order.proposal_id,
                    order_id=order.client_order_id,
                    context=context,
                )
            )
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                existing = self.order(order.client_order_id)
                if existing is None:
                    raise
                return existing, False
            s.refresh(order)
            return order, True

    def order(self, client_order_id: str) -> Order | None:
        with self._store.session() as s:
            return s.exec(select(Order).where(Order.client_order_id == client_order_id)).first()

    def update_order(
        self, client_order_id: str, actor: str, event_type: str | None = None, **fields: Any
    ) -> Order | None:
        with self._store.session() as s:
            row = s.exec(select(Order).where(Order.client_order_id == client_order_id)).first()
            if row is None:
                return None
            changed = {k: v for k, v in fields.items() if getattr(row, k) != v}
            if not changed:
                return row
            for k, v in changed.items():
                setattr(row, k, v)
            row.updated_at = utcnow()
            s.add(row)
            if event_type:
                s.add(
                    event_row(
                        event_type,
                        actor,
                        proposal_id=row.proposal_id,
                        order_id=client_order_id,
                        context={k: v for k, v in changed.items() if k != "updated_at"},
                    )
                )
            s.commit()
            s.refresh(row)
            return row

    def orders(self, open_only: bool = False, limit: int = 50) -> list[Order]:
        with self._store.session() as s:
            q = select(Order).order_by(col(Order.id).desc()).limit(limit)
            if open_only:
                q = q.where(col(Order.status).in_(OPEN_ORDER_STATUSES))
            return list(s.exec(q).all())

    # -- fills, positions and trades
    def record_fill(self, fill: Fill, book: BookFn, actor: str, strategy: str = "") -> bool:
        """Apply one broker fill to the books. Returns False if this fill was already booked."""
        with self._store.session() as s:
            dup = s.exec(
                select(Fill.id).where(Fill.broker == fill.broker, Fill.fill_id == fill.fill_id)
            ).first()
            if dup is not None:
                return False
            order = s.get(Order, fill.order_id)
            pos = s.get(Position, fill.symbol)
            upd = book(pos.quantity if pos else 0, pos.avg_price if pos else 0.0)
            s.add(fill)
            self._apply_position(s, pos, fill, upd, strategy)
            self._apply_trade(s, fill, upd, strategy, order.proposal_id if order else None)
            s.add(
                event_row(
                    "fill",
                    actor,
                    proposal_id=order.proposal_id if order else None,
                    order_id=fill.client_order_id,
                    context={
                        "fill_id": fill.fill_id,
                        "symbol": fill.symbol,
                        "side": fill.side,
                        "quantity": fill.quantity,
                        "price": fill.price,
                        "commission": fill.commission,
                        "realized_pnl": round(upd.realized_pnl, 4),
                        "position_after": upd.quantity,
                    },
                )
            )
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                return False
            return True

    @staticmethod
    def _apply_position(
        s: Any, pos: Position | None, fill: Fill, upd: BookUpdate, strategy: str
    ) -> None:
        if upd.quantity == 0:
            if pos is not None:
                s.delete(pos)
            return
        if pos is None or (upd.opened_quantity and upd.closed_quantity):
            if pos is not None:
                s.delete(pos)
                s.flush()
            s.add(
                Position(
                    symbol=fill.symbol,
                    quantity=upd.quantity,
                    avg_price=upd.avg_price,
                    opened_at=fill.ts,
                    updated_at=fill.ts,
                    strategy=strategy,
                )
            )
            return
        pos.quantity = upd.quantity
        pos.avg_price = upd.avg_price
        pos.updated_at = fill.ts
        s.add(pos)

    @staticmethod
    def _apply_trade(
        s: Any, fill: Fill, upd: BookUpdate, strategy: str, proposal_id: str | None
    ) -> None:
        """Reduce/close the open round trip, then open or add to one; commission is netted."""
        trade = s.exec(
            select(Trade).where(Trade.symbol == fill.symbol, Trade.status == "open")
        ).first()
        per_share_fee = fill.commission / fill.quantity
        if trade is not None and upd.closed_quantity:
            done = trade.closed_quantity
            trade.exit_price = (
                (trade.exit_price or 0.0) * done + fill.price * upd.closed_quantity
            ) / (done + upd.closed_quantity)
            trade.closed_quantity = done + upd.closed_quantity
            fee = per_share_fee * upd.closed_quantity
            trade.realized_pnl += upd.realized_pnl - fee
            trade.commission += fee
            if upd.quantity == 0 or upd.opened_quantity:
                trade.status = "closed"
                trade.closed_at = fill.ts
            s.add(trade)
        if upd.opened_quantity:
            fee = per_share_fee * upd.opened_quantity
            if trade is None or trade.status == "closed":
                trade = Trade(
                    symbol=fill.symbol,
                    direction="long" if upd.quantity > 0 else "short",
                    quantity=0,
                    entry_price=upd.avg_price,
                    opened_at=fill.ts,
                    strategy=strategy,
                    proposal_id=proposal_id,
                )
            trade.quantity += upd.opened_quantity
            trade.entry_price = upd.avg_price
            trade.commission += fee
            trade.realized_pnl -= fee
            s.add(trade)

    def positions(self) -> list[Position]:
        with self._store.session() as s:
            return list(s.exec(select(Position).order_by(Position.symbol)).all())

    def position(self, symbol: str) -> Position | None:
        with self._store.session() as s:
            return s.get(Position, symbol)

    def fills_for(self, client_order_id: str) -> list[Fill]:
        with self._store.session() as s:
            return list(
                s.exec(
                    select(Fill)
                    .where(Fill.client_order_id == client_order_id)
                    .order_by(col(Fill.id))
                ).all()
            )

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

    def fills_since(self, since: datetime) -> list[Fill]:
        with self._store.session() as s:
            return list(s.exec(select(Fill).where(col(Fill.ts) >= since)).all())
