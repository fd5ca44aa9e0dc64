"""The store: migrations build every table, compare-and-set decides once, fills book once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import inspect
from sqlmodel import SQLModel

import models.sim_tables
import models.tables  # noqa: F401
from models.domain import BookUpdate
from models.store import Store
from models.tables import Fill, Order, Proposal

NOW = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def store_at(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 't.db'}")
    s.upgrade()
    return s


def proposal(pid: str = "p-aaaaaaaa") -> Proposal:
    return Proposal(
        id=pid,
        symbol="AAPL",
        side="buy",
        quantity=5,
        entry_price=100.0,
        quote_bid=99.9,
        quote_ask=100.0,
        quote_ts=NOW,
        mode="sim",
        broker="sim",
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=15),
    )


def test_migrations_create_every_table_and_are_idempotent(tmp_path: Path) -> None:
    s = store_at(tmp_path)
    s.upgrade()  # second run is a no-op
    names = set(inspect(s.engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= names
    assert "alembic_version" in names
    for col in ("status", "expires_at", "decided_by", "rationale_meta", "risk"):
        assert col in {c["name"] for c in inspect(s.engine).get_columns("proposals")}


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    s = store_at(tmp_path)
    with s.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_compare_and_set_moves_once_and_records_the_actor(tmp_path: Path) -> None:
    s = store_at(tmp_path)
    s.proposals.add(proposal(), [], "tester", {})
    won = s.proposals.transition(
        "p-aaaaaaaa",
        "pending",
        "approved",
        actor="alice",
        event_type="proposal.approved",
        fields={"decided_by": "alice"},
    )
    assert won is not None and won.status == "approved" and won.version == 1
    lost = s.proposals.transition(
        "p-aaaaaaaa", "pending", "approved", actor="bob", event_type="proposal.approved"
    )
    assert lost is None
    events = s.events.for_proposal("p-aaaaaaaa")
    assert [e.type for e in events] == ["proposal.created", "proposal.approved"]
    assert events[-1].actor == "alice"
    assert (
        s.proposals.transition("p-missing0", "pending", "approved", actor="x", event_type="e")
        is None
    )


def test_compare_and_set_under_thread_contention(tmp_path: Path) -> None:
    s = store_at(tmp_path)
    s.proposals.add(proposal(), [], "tester", {})
    wins: list[str] = []
    barrier = threading.Barrier(32)

    def go(i: int) -> None:
        other = Store(s.url)  # its own engine, as a second instance would have
        barrier.wait()
        if other.proposals.transition(
            "p-aaaaaaaa", "pending", "approved", actor=f"u{i}", event_type="proposal.approved"
        ):
            wins.append(f"u{i}")
        other.dispose()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    approvals = [e for e in s.events.for_proposal("p-aaaaaaaa") if e.type == "proposal.approved"]
    assert [e.actor for e in approvals] == wins


def new_order(cid: str) -> Order:
    return Order(
        client_order_id=cid,
        broker="sim",
        symbol="AAPL",
        side="buy",
        quantity=5,
        order_type="market",
        status="new",
        submitted_at=NOW,
        updated_at=NOW,
    )


def test_a_fill_is_booked_once(tmp_path: Path) -> None:
    s = store_at(tmp_path)
    order, created = s.ledger.add_order(
        new_order("c1"),
        "t",
        {},
    )
    assert created
    again, created2 = s.ledger.add_order(
        new_order("c1"),
        "t",
        {},
    )
    assert not created2 and again.id == order.id

    def fill() -> Fill:
        return Fill(
            broker="sim",
            fill_id="f1",
            order_id=order.id or 0,
            client_order_id="c1",
            symbol="AAPL",
            side="buy",
            quantity=5,
            price=100.0,
            ts=NOW,
        )

    def book(q: int, avg: float) -> BookUpdate:
        return BookUpdate(
            quantity=q + 5, avg_price=100.0, realized_pnl=0.0, closed_quantity=0, opened_quantity=5
        )

    booked = s.ledger.book("c1", [(fill(), book)], "t", order_fields={"status": "filled"})
    again = s.ledger.book("c1", [(fill(), book)], "t", order_fields={"status": "filled"})
    assert booked is not None and again is not None
    assert booked[0].status == "filled"
    assert [e.type for e in s.events.recent(20)].count("fill") == 1
    pos = s.ledger.position("AAPL")
    assert pos is not None and pos.quantity == 5
    assert len(s.ledger.trades(status="open")) == 1


def test_watchlist_and_system_state(tmp_path: Path) -> None:
    s = store_at(tmp_path)
    assert s.state.watch("AAPL", "alice") and not s.state.watch("AAPL", "alice")
    assert s.state.watchlist() == ["AAPL"]
    assert s.state.unwatch("AAPL", "alice") and not s.state.unwatch("AAPL", "alice")
    st = s.state.update("alice", "desk.paused", "lunch", paused=True, paused_reason="lunch")
    assert st.paused and st.updated_by == "alice"
    assert s.state.get().paused_reason == "lunch"
    assert s.events.recent(5)[-1].type == "desk.paused"
