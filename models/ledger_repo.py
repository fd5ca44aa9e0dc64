"""Orders, fills, positions and round-trip trades: the co-trader's own books.

A fill is applied to the position exactly once: the fill row (unique per broker fill id),
the position change and the trade change commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.audit import emit
from models.booking import BookUpdate, Execution, PositionState, TradeState, book_trade
from models.domain import Side
from models.ledger_reads import LedgerReads
from models.options import OPTION_MULTIPLIER, is_occ
from models.proposal_repo import PROPOSALS, Step, cas
from models.tables import Fill, Order, Position, Proposal, Trade, utcnow

if TYPE_CHECKING:
    pass

# (our order row, ids of its fills booked so far) -> (fills to book, proposal status steps)
BookPlan = Callable[[Order, set[str]], tuple[Sequence[Fill], Sequence[Step]]]


class LedgerRepo(LedgerReads):
    """Our books' writes: orders, fills, positions and round trips (reads: LedgerReads)."""

    # -- orders
    def add_order(
        self,
        order: Order,
        actor: str,
        context: dict[str, Any],
        prior_events: Sequence[tuple[str, str, dict[str, Any]]] = (),
        lease_owner: str | None = None,
    ) -> tuple[Order | None, bool]:
        """Insert an order keyed by its client id (with the events that led to it, e.g. the
        re-check); a repeat returns the first order (created=False) and writes nothing.

        With `lease_owner`, the order's proposal must still be approved and leased to that
        owner, checked in the same transaction: (None, False) when it is not (another desk
        took the approval over, or the kill switch closed it)."""
        with self._store.session(write=True) as s:
            if lease_owner is not None and order.proposal_id is not None:
                held = s.connection().execute(
                    update(PROPOSALS)
                    .where(
                        PROPOSALS.c.id == order.proposal_id,
                        PROPOSALS.c.status == "approved",
                        PROPOSALS.c.lease_owner == lease_owner,
                    )
                    .values(version=PROPOSALS.c.version + 1)
                )
                if held.rowcount != 1:
                    s.rollback()
                    return self.order(order.client_order_id), False
            s.add(order)
            for type_, who, ctx in prior_events:
                emit(
                    s,
                    type_,
                    who,
                    proposal_id=order.proposal_id,
                    order_id=order.client_order_id,
                    context=ctx,
                )
            emit(
                s,
                "order.submitted",
                actor,
                proposal_id=order.proposal_id,
                order_id=order.client_order_id,
                context=context,
            )
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                existing = self.order(order.client_order_id)
                if existing is None:
                    raise
                return existing, False
            return order, True  # its id was set by the insert; nothing else is generated

    def update_order(
        self,
        client_order_id: str,
        actor: str,
        event_type: str | None = None,
        *,
        only_if: Collection[str] | None = None,
        **fields: Any,
    ) -> Order | None:
        """Change an order row's fields (with an event naming what changed). With `only_if`,
        only while its status is one of those (else it is returned unchanged)."""
        with self._store.session(write=True) as s:
            row = s.exec(select(Order).where(Order.client_order_id == client_order_id)).first()
            if row is None:
                return None
            if only_if is not None and row.status not in only_if:
                return row
            changed = {k: v for k, v in fields.items() if getattr(row, k) != v}
            if not changed:
                return row
            for k, v in changed.items():
                setattr(row, k, v)
            row.updated_at = utcnow()
            s.add(row)
            if event_type:
                emit(
                    s,
                    event_type,
                    actor,
                    proposal_id=row.proposal_id,
                    order_id=client_order_id,
                    context={
                        k: v.isoformat() if isinstance(v, datetime) else v
                        for k, v in changed.items()
                        if k != "updated_at"
                    },
                )
            s.commit()
            s.refresh(row)
            return row

    def set_stop(self, symbol: str, stop: float | None) -> None:
        """A position's stop level after an approved stop move (its order is at the venue)."""
        with self._store.session(write=True) as s:
            pos = s.get(Position, symbol)
            if pos is not None:
                pos.stop_price = stop
                s.add(pos)
                s.commit()

    def add_protective(
        self, rows: Sequence[Order], actor: str
    ) -> tuple[dict[str, Order], set[str]]:
        """Insert the protective orders (an entry's stop and target) not in our books yet, in
        one transaction: every one of them by client id, and the ids inserted now."""
        ids = [r.client_order_id for r in rows]
        with self._store.session(write=True) as s:
            have = {
                o.client_order_id: o
                for o in s.exec(select(Order).where(col(Order.client_order_id).in_(ids))).all()
            }
            added: set[str] = set()
            for r in rows:
                if r.client_order_id in have:
                    continue
                added.add(r.client_order_id)
                s.add(r)
                emit(
                    s,
                    "order.protective",
                    actor,
                    proposal_id=r.proposal_id,
                    order_id=r.client_order_id,
                    context={
                        "role": r.role,
                        "status": r.status,
                        "quantity": r.quantity,
                        "stop_price": r.stop_price,
                        "limit_price": r.limit_price,
                    },
                )
                have[r.client_order_id] = r
            try:
                s.commit()
            except IntegrityError:  # another instance added them first
                s.rollback()
                again = {o.client_order_id: o for o in map(self.order, ids) if o is not None}
                return again, set()
            for o in have.values():
                s.refresh(o)
                s.expunge(o)
            return have, added

    def book(
        self,
        client_order_id: str,
        plan: BookPlan,
        actor: str,
        *,
        order_fields: dict[str, Any] | None = None,
    ) -> tuple[Order, Proposal | None] | None:
        """One broker update in one transaction: the new fills (each booked once), the
        order's status, and the proposal's status steps (compare-and-set each). `plan` gets
        our order row and the ids of its fills booked so far, read in this transaction, and
        says which fills to book and which status steps to take; each fill is applied to the
        position and its round trip by the domain's own arithmetic (models.booking). A
        position opened by a
        proposal's order keeps that proposal's strategy, stop and target, by whatever path
        the fill arrives (the reply, the stream, a poll, a restart)."""
        for attempt in range(3):
            with self._store.session(write=True) as s:
                row = s.exec(select(Order).where(Order.client_order_id == client_order_id)).first()
                if row is None:
                    return None
                prop = s.get(Proposal, row.proposal_id) if row.proposal_id else None
                strategy, levels = _origin(prop)
                seen = set(
                    s.exec(
                        select(Fill.fill_id).where(Fill.client_order_id == client_order_id)
                    ).all()
                )
                fills, steps = plan(row, seen)
                new = [f for f in fills if f.fill_id not in seen]
                books = _Books.read(s, {f.symbol for f in new})
                for fill in new:
                    fill.order_id = row.id or 0
                    self._book_fill(s, books, fill, actor, strategy, row.proposal_id, levels)
                changed = {k: v for k, v in (order_fields or {}).items() if getattr(row, k) != v}
                if changed:
                    for k, v in changed.items():
                        setattr(row, k, v)
                    row.updated_at = utcnow()
                    s.add(row)
                    if "status" in changed:
                        emit(
                            s,
                            f"order.{row.status}",
                            actor,
                            proposal_id=row.proposal_id,
                            order_id=client_order_id,
                            context=changed,
                        )
                if prop is not None:
                    s.expunge(prop)  # a value from here on: the steps below write its status
                    for st in steps:
                        if cas(
                            s,
                            prop.id,
                            st.expected,
                            st.to,
                            actor,
                            st.event_type,
                            st.context,
                            st.fields,
                        ):
                            prop.status, prop.version = st.to, prop.version + 1
                            for k, v in (st.fields or {}).items():
                                setattr(prop, k, v)
                try:
                    s.commit()
                except IntegrityError:  # another instance booked a fill first: re-read
                    s.rollback()
                    if attempt == 2:
                        raise
                    continue
                return row, prop
        return None

    def _book_fill(
        self,
        s: Session,
        books: _Books,
        fill: Fill,
        actor: str,
        strategy: str,
        proposal_id: str | None,
        levels: tuple[float | None, float | None] = (None, None),
    ) -> None:
        pos = books.positions.get(fill.symbol)
        mult = OPTION_MULTIPLIER if is_occ(fill.symbol) else 1
        ex = Execution(Side(fill.side), fill.quantity, fill.price, fill.commission, fill.ts, mult)
        upd = (PositionState(pos.quantity, pos.avg_price) if pos else PositionState()).apply(ex)
        fill.realized_pnl = round(upd.realized_pnl, 4)
        s.add(fill)
        books.positions[fill.symbol] = self._apply_position(s, pos, fill, upd, strategy, levels)
        books.trades[fill.symbol] = self._apply_trade(
            s, books.trades.get(fill.symbol), fill, ex, upd, strategy, proposal_id
        )
        emit(
            s,
            "fill",
            actor,
            proposal_id=proposal_id,
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

    @staticmethod
    def _apply_position(
        s: Any,
        pos: Position | None,
        fill: Fill,
        upd: BookUpdate,
        strategy: str,
        levels: tuple[float | None, float | None] = (None, None),
    ) -> Position | None:
        """Apply the fill to the position; returns the position after it (None: flat)."""
        if upd.quantity == 0:
            if pos is not None:
                _drop(s, pos)
            return None
        if pos is None or upd.flipped:
            if pos is not None:
                _drop(s, pos)
                s.flush()
            new = Position(
                symbol=fill.symbol,
                asset_class="option" if is_occ(fill.symbol) else "equity",
                quantity=upd.quantity,
                avg_price=upd.avg_price,
                opened_at=fill.ts,
                updated_at=fill.ts,
                strategy=strategy,
                stop_price=levels[0],
                target_price=levels[1],
            )
            s.add(new)
            return new
        if upd.opened_quantity and levels != (None, None):
            pos.stop_price, pos.target_price = levels
        pos.quantity = upd.quantity
        pos.avg_price = upd.avg_price
        pos.updated_at = fill.ts
        s.add(pos)
        return pos

    @staticmethod
    def _apply_trade(
        s: Any,
        row: Trade | None,
        fill: Fill,
        ex: Execution,
        upd: BookUpdate,
        strategy: str,
        proposal_id: str | None,
    ) -> Trade | None:
        """Store what the fill does to the open round trip `row` and the one it opens;
        returns the symbol's open round trip after it (None: none)."""
        after, opened = book_trade(_trade_state(row) if row is not None else None, upd, ex)
        if row is not None and after is not None:
            _store_trade(s, row, after)
        if opened is not None:
            new = Trade(symbol=fill.symbol, strategy=strategy, proposal_id=proposal_id)
            _store_trade(s, new, opened)
            return new
        if row is not None and after is not None and not after.closed:
            return row
        return None


def _drop(s: Session, pos: Position) -> None:
    """Remove a position: one this booking made (not written yet) is forgotten, a stored
    one deleted."""
    if pos in s.new:
        s.expunge(pos)
    else:
        s.delete(pos)


@dataclass(slots=True)
class _Books:
    """The positions and open round trips of the symbols one booking touches, read once
    (two queries, whatever the number of fills) and kept as the fills change them."""

    positions: dict[str, Position | None]
    trades: dict[str, Trade | None]

    @classmethod
    def read(cls, s: Session, symbols: set[str]) -> _Books:
        if not symbols:
            return cls({}, {})
        held = {
            p.symbol: p for p in s.exec(select(Position).where(col(Position.symbol).in_(symbols)))
        }
        open_ = {
            t.symbol: t
            for t in s.exec(
                select(Trade).where(col(Trade.symbol).in_(symbols), Trade.status == "open")
            )
        }
        return cls(
            {sym: held.get(sym) for sym in symbols}, {sym: open_.get(sym) for sym in symbols}
        )


def _origin(p: Proposal | None) -> tuple[str, tuple[float | None, float | None]]:
    """The strategy, and the stop and target an entry's fills give the position."""
    if p is None:
        return "", (None, None)
    if p.kind == "entry":
        return p.strategy, (p.stop_price, p.target_price)
    return p.strategy, (None, None)


# a round trip's fields stored as they are (its status and closing time are written apart)
_TRADE_FIELDS = tuple(f.name for f in fields(TradeState) if f.name not in ("closed", "closed_at"))


def _trade_state(row: Trade) -> TradeState:
    """An open trade row as the domain's round trip."""
    return TradeState(**{k: getattr(row, k) for k in _TRADE_FIELDS})


def _store_trade(s: Any, row: Trade, t: TradeState) -> None:
    """Write a round trip's state onto its row."""
    for k in _TRADE_FIELDS:
        setattr(row, k, getattr(t, k))
    if t.closed:
        row.status, row.closed_at = "closed", t.closed_at
    s.add(row)
