"""The store: one engine, short sessions, and a repository per concern."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.audit import emit, event_row, to_event
from models.bar_cache import BarCacheRepo
from models.broker_repo import BrokerRepo
from models.db import make_engine, schema_is_current, upgrade_schema
from models.domain import Event
from models.frontend_repo import FrontendRepo
from models.iv_repo import IVRepo
from models.learning_repo import LearningRepo
from models.ledger_repo import LedgerRepo
from models.llm_repo import LLMRepo
from models.monitor_repo import MonitorRepo
from models.news_repo import NewsRepo
from models.proposal_repo import ProposalRepo
from models.report_reads import ReportReads
from models.tables import (
    AccountSnapshot,
    DailyPerformance,
    EventRow,
    SystemState,
    WatchlistItem,
    utcnow,
)

T = TypeVar("T")
# the read session shared by a `Store.reading()` block: (store, thread, session)
_SHARED: ContextVar[tuple[Store, int, Session] | None] = ContextVar("cotrader_read", default=None)


class Store:
    """Owns the engine. Repositories share it; every write is one short transaction."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self._writer = self.engine.execution_options(begin="IMMEDIATE")
        self.events = EventRepo(self)
        self.proposals = ProposalRepo(self)
        self.ledger = LedgerRepo(self)
        self.state = StateRepo(self)
        self.frontend = FrontendRepo(self)
        self.bars = BarCacheRepo(self)
        self.llm = LLMRepo(self)
        self.brokers = BrokerRepo(self)
        self.monitor = MonitorRepo(self)
        self.iv = IVRepo(self)
        self.news = NewsRepo(self)
        self.learning = LearningRepo(self)
        self.report_reads = ReportReads(self)

    def upgrade(self) -> None:
        """Apply pending migrations (cheap when already current)."""
        if not schema_is_current(self.engine):
            upgrade_schema(self.url, self.engine)

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """A short session. `write=True` for read-modify-write work: it holds the database's
        write lock from its first statement (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory
        lock of the transaction), so writers of every instance take turns. Inside
        `reading()`, a read session is that block's shared one."""
        shared = _SHARED.get()
        if not write and shared is not None and shared[:2] == (self, threading.get_ident()):
            yield shared[2]
            return
        with Session(self._writer if write else self.engine, expire_on_commit=False) as s:
            yield s

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Every read session opened in this block (on this thread) is one session: one
        transaction and one snapshot instead of a connection and a BEGIN per read. Writes
        must use `session(write=True)`, which stays separate (and is not seen by the block's
        reads)."""
        if _SHARED.get() is not None:
            yield
            return
        with Session(self.engine, expire_on_commit=False) as s:
            token = _SHARED.set((self, threading.get_ident(), s))
            try:
                yield
            finally:
                _SHARED.reset(token)

    def memo(self, key: str, read: Callable[[], T]) -> T:
        """Inside a `reading()` block (on its thread): the block's one answer to `key`, read
        once (the block is one read transaction; its reads do not see its writes anyway);
        elsewhere `read()` every time."""
        shared = _SHARED.get()
        if shared is None or shared[:2] != (self, threading.get_ident()):
            return read()
        cache: dict[str, Any] = shared[2].info.setdefault("cotrader_memo", {})
        if key not in cache:
            cache[key] = read()
        return cast(T, cache[key])

    def dispose(self) -> None:
        self.engine.dispose()


class EventRepo:
    """The audit trail: append-only."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(
        self,
        type_: str,
        actor: str,
        *,
        proposal_id: str | None = None,
        order_id: str | None = None,
        context: dict[str, Any] | None = None,
    ) -> Event:
        row = event_row(type_, actor, proposal_id=proposal_id, order_id=order_id, context=context)
        with self._store.session() as s:
            s.add(row)
            s.commit()
            s.refresh(row)
        return to_event(row)

    def for_proposal(self, proposal_id: str) -> list[Event]:
        with self._store.session() as s:
            rows = s.exec(
                select(EventRow)
                .where(EventRow.proposal_id == proposal_id)
                .order_by(col(EventRow.id))
            ).all()
        return [to_event(r) for r in rows]

    def unanswered(self, opened: str, answered: str) -> list[Event]:
        """Events of type `opened` whose proposal has no `answered` event yet (oldest first),
        e.g. protection lifted for an exit and not put back."""
        with self._store.session() as s:
            done = select(EventRow.proposal_id).where(
                EventRow.type == answered, col(EventRow.proposal_id).is_not(None)
            )
            rows = s.exec(
                select(EventRow)
                .where(EventRow.type == opened, col(EventRow.proposal_id).not_in(done))
                .order_by(col(EventRow.id))
            ).all()
        return [to_event(r) for r in rows]

    def recent(self, limit: int = 50, type_prefix: str | None = None) -> list[Event]:
        with self._store.session() as s:
            q = select(EventRow).order_by(col(EventRow.id).desc()).limit(limit)
            if type_prefix:
                q = q.where(col(EventRow.type).startswith(type_prefix))
            rows = s.exec(q).all()
        return [to_event(r) for r in reversed(rows)]


class StateRepo:
    """System state (paused/halted), watchlist, account snapshots and daily performance."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self) -> SystemState:
        """The desk's state (read once per `Store.reading()` block)."""
        return self._store.memo("state", self._get)

    def _get(self) -> SystemState:
        with self._store.session() as s:
            row = s.get(SystemState, 1)
            return row or SystemState(id=1, updated_at=utcnow())

    def update(self, actor: str, event_type: str, reason: str, **fields: Any) -> SystemState:
        """Change the system state and record who did it, in one transaction."""
        with self._store.session(write=True) as s:
            row = s.get(SystemState, 1) or SystemState(id=1, updated_at=utcnow())
            for k, v in fields.items():
                setattr(row, k, v)
            row.updated_at = utcnow()
            row.updated_by = actor
            s.add(row)
            emit(s, event_type, actor, context={"reason": reason, **fields})
            s.commit()
            s.refresh(row)
            return row

    # -- watchlist
    def watchlist(self) -> list[str]:
        with self._store.session() as s:
            return list(s.exec(select(WatchlistItem.symbol).order_by(WatchlistItem.symbol)).all())

    def watch(self, symbol: str, actor: str) -> bool:
        with self._store.session(write=True) as s:
            if s.get(WatchlistItem, symbol):
                return False
            s.add(WatchlistItem(symbol=symbol, added_at=utcnow(), added_by=actor))
            emit(s, "watchlist.added", actor, context={"symbol": symbol})
            s.commit()
            return True

    def unwatch(self, symbol: str, actor: str) -> bool:
        with self._store.session() as s:
            n = s.exec(delete(WatchlistItem).where(col(WatchlistItem.symbol) == symbol))  # type: ignore[call-overload]
            if not n.rowcount:
                s.rollback()
                return False
            emit(s, "watchlist.removed", actor, context={"symbol": symbol})
            s.commit()
            return True

    # -- account snapshots and daily performance
    def snapshot(self, row: AccountSnapshot) -> None:
        with self._store.session(write=True) as s:
            s.add(row)
            s.commit()

    def first_snapshot_since(self, since: datetime) -> AccountSnapshot | None:
        with self._store.session() as s:
            return s.exec(
                select(AccountSnapshot)
                .where(AccountSnapshot.ts >= since)
                .order_by(col(AccountSnapshot.ts))
                .limit(1)
            ).first()

    def peak_equity(self, since: datetime | None = None) -> float | None:
        """The highest snapshot equity (of snapshots at or after `since`); None with none."""
        with self._store.session() as s:
            q = select(func.max(AccountSnapshot.equity))
            if since is not None:
                q = q.where(col(AccountSnapshot.ts) >= since)
            v = s.exec(q).one()  # type: ignore[call-overload]
        return float(v) if v is not None else None

    def first_snapshot(self) -> AccountSnapshot | None:
        with self._store.session() as s:
            return s.exec(
                select(AccountSnapshot).order_by(col(AccountSnapshot.ts)).limit(1)
            ).first()

    def daily(self, day: date) -> DailyPerformance | None:
        with self._store.session() as s:
            return s.get(DailyPerformance, day)

    def upsert_daily(self, row: DailyPerformance) -> None:
        with self._store.session(write=True) as s:
            s.merge(row)
            s.commit()
