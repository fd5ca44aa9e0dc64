"""What a performance report reads from the books for one window [start, end): a few bulk
queries (a monthly report over thousands of trades stays well under a second)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, col, select

from models.learning_tables import TradeReview
from models.llm_tables import LLMCall
from models.tables import (
    AccountSnapshot,
    DailyPerformance,
    EventRow,
    Fill,
    Order,
    Proposal,
    Trade,
)

if TYPE_CHECKING:
    from models.store import Store

# what a report lists as risk events: state changes, pauses, kills, refusals at the click
RISK_EVENT_PREFIXES = ("risk.", "desk.", "kill.")
RISK_EVENT_TYPES = ("proposal.refused",)
NOT_RISK_EVENTS = ("risk.decision",)


@dataclass(frozen=True, slots=True)
class TradeFacts:
    """One round trip with the cards and the order around it (for its line and review)."""

    trade: Trade
    entry: Proposal | None  # the card that opened it
    exit_order: Order | None  # the order whose fill closed it
    exit_card: Proposal | None  # that order's card, if it had one
    tags: tuple[str, ...] = ()


class ReportReads:
    def __init__(self, store: Store) -> None:
        self.store = store

    def closed_trades(self, start: datetime, end: datetime) -> list[TradeFacts]:
        """Round trips closed in the window, oldest first, with their cards and tags."""
        with self.store.reading(), self.store.session() as s:
            trades = list(
                s.exec(
                    select(Trade)
                    .where(
                        Trade.status == "closed", Trade.closed_at >= start, Trade.closed_at < end
                    )
                    .order_by(col(Trade.closed_at), col(Trade.id))
                ).all()
            )
            return self._facts(s, trades)

    def trades_facts(self, trades: Sequence[Trade]) -> list[TradeFacts]:
        with self.store.reading(), self.store.session() as s:
            return self._facts(s, list(trades))

    def _facts(self, sess: Session, trades: list[Trade]) -> list[TradeFacts]:
        if not trades:
            return []
        closing = {(t.symbol, t.closed_at) for t in trades if t.closed_at is not None}
        times = [t.closed_at for t in trades if t.closed_at is not None]
        orders: dict[tuple[str, datetime], Order] = {}
        if times:
            keys = sess.exec(
                select(Fill.symbol, Fill.ts, Fill.order_id).where(
                    Fill.ts >= min(times), Fill.ts <= max(times)
                )
            ).all()
            wanted = {(sym, ts): oid for sym, ts, oid in keys if (sym, ts) in closing}
            by_id = {
                o.id: o
                for o in sess.exec(
                    select(Order).where(col(Order.id).in_(sorted(set(wanted.values()))))
                ).all()
            }
            orders = {k: by_id[oid] for k, oid in wanted.items() if oid in by_id}
        ids = {t.proposal_id for t in trades if t.proposal_id}
        ids |= {o.proposal_id for o in orders.values() if o.proposal_id}
        cards = _by_id(sess, ids)
        tags = dict(
            sess.exec(
                select(TradeReview.trade_id, TradeReview.tags).where(
                    col(TradeReview.trade_id).in_([t.id for t in trades])
                )
            ).all()
        )
        out = []
        for t in trades:
            o = orders.get((t.symbol, t.closed_at)) if t.closed_at is not None else None
            out.append(
                TradeFacts(
                    trade=t,
                    entry=cards.get(t.proposal_id) if t.proposal_id else None,
                    exit_order=o,
                    exit_card=cards.get(o.proposal_id) if o and o.proposal_id else None,
                    tags=tuple(tags.get(t.id, ())),
                )
            )
        return out

    def open_at(self, end: datetime) -> list[Trade]:
        """Round trips open at `end` (opened before it, not closed before it)."""
        with self.store.session() as s:
            q = select(Trade).where(
                Trade.opened_at < end,
                or_(col(Trade.closed_at).is_(None), col(Trade.closed_at) >= end),
            )
            return list(s.exec(q.order_by(col(Trade.opened_at))).all())

    def opened_count(self, start: datetime, end: datetime) -> int:
        with self.store.session() as s:
            q = (
                select(func.count())
                .select_from(Trade)
                .where(  # type: ignore[arg-type]
                    Trade.opened_at >= start, Trade.opened_at < end
                )
            )
            return int(s.exec(q).one())  # type: ignore[call-overload]

    def realised(self, start: datetime, end: datetime) -> tuple[float, float]:
        """(P&L realised by fills in the window, their commissions): as /pnl counts it."""
        with self.store.session() as s:
            q = select(
                func.coalesce(func.sum(Fill.realized_pnl), 0.0),
                func.coalesce(func.sum(Fill.commission), 0.0),
            ).where(Fill.ts >= start, Fill.ts < end)
            realised, fees = s.exec(q).one()  # type: ignore[call-overload]
            return float(realised), float(fees)

    def proposal_counts(self, start: datetime, end: datetime) -> dict[str, int]:
        """Cards created in the window, by status now."""
        with self.store.session() as s:
            q = (
                select(Proposal.status, func.count())
                .where(Proposal.created_at >= start, Proposal.created_at < end)
                .group_by(Proposal.status)
            )
            return {str(getattr(st, "value", st)): int(n) for st, n in s.exec(q).all()}

    def risk_events(self, start: datetime, end: datetime, limit: int = 10_000) -> list[EventRow]:
        with self.store.session() as s:
            kinds = or_(
                *(col(EventRow.type).startswith(p) for p in RISK_EVENT_PREFIXES),
                col(EventRow.type).in_(RISK_EVENT_TYPES),
            )
            q = (
                select(EventRow)
                .where(
                    EventRow.ts >= start,
                    EventRow.ts < end,
                    and_(kinds, col(EventRow.type).not_in(NOT_RISK_EVENTS)),
                )
                .order_by(col(EventRow.ts), col(EventRow.id))
                .limit(limit)
            )
            return list(s.exec(q).all())

    def llm_usage(self, start: datetime, end: datetime) -> tuple[int, int, int, int, int, float]:
        """(calls, cached, failed, input tokens, output tokens, cost) in the window."""
        with self.store.session() as s:
            q = select(
                func.count(),
                func.coalesce(func.sum(case((col(LLMCall.cached), 1), else_=0)), 0),
                func.coalesce(func.sum(case((col(LLMCall.ok), 0), else_=1)), 0),
                func.coalesce(func.sum(LLMCall.input_tokens), 0),
                func.coalesce(func.sum(LLMCall.output_tokens), 0),
                func.coalesce(func.sum(LLMCall.cost_usd), 0.0),
            ).where(LLMCall.ts >= start, LLMCall.ts < end)
            n, cached, failed, tin, tout, cost = s.exec(q).one()  # type: ignore[call-overload]
            return int(n), int(cached), int(failed), int(tin), int(tout), float(cost)

    def daily(self, first: date, last: date) -> list[DailyPerformance]:
        with self.store.session() as s:
            q = select(DailyPerformance).where(
                DailyPerformance.day >= first, DailyPerformance.day <= last
            )
            return list(s.exec(q.order_by(col(DailyPerformance.day))).all())

    def snapshots(self, start: datetime, end: datetime) -> list[AccountSnapshot]:
        with self.store.session() as s:
            q = select(AccountSnapshot).where(AccountSnapshot.ts >= start, AccountSnapshot.ts < end)
            return list(s.exec(q.order_by(col(AccountSnapshot.ts))).all())

    def last_snapshot_before(self, at: datetime) -> AccountSnapshot | None:
        with self.store.session() as s:
            q = select(AccountSnapshot).where(AccountSnapshot.ts < at)
            return s.exec(q.order_by(col(AccountSnapshot.ts).desc()).limit(1)).first()


def _by_id(s: Session, ids: set[str]) -> dict[str, Proposal]:
    if not ids:
        return {}
    rows = s.exec(select(Proposal).where(col(Proposal.id).in_(sorted(ids)))).all()
    return {p.id: p for p in rows}
