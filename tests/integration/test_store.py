"""The store: migrations build every table, compare-and-set decides once, fills book once.

Every test that touches the store runs on SQLite and on PostgreSQL (the `db_url` fixture)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect
from sqlmodel import SQLModel

import models.sim_tables
import models.tables  # noqa: F401
from models.store import Store
from models.tables import DailyPerformance, Fill, Order, Proposal

NOW = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def store_at(url: str) -> Store:
    s = Store(url)
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


def test_migrations_create_every_table_and_are_idempotent(db_url: str) -> None:
    s = store_at(db_url)
    s.upgrade()  # second run is a no-op
    names = set(inspect(s.engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= names
    assert "alembic_version" in names
    for col in ("status", "expires_at", "decided_by", "rationale_meta", "risk"):
        assert col in {c["name"] for c in inspect(s.engine).get_columns("proposals")}


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    s = store_at(f"sqlite:///{tmp_path / 't.db'}")
    with s.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_compare_and_set_moves_once_and_records_the_actor(db_url: str) -> None:
    s = store_at(db_url)
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


def test_compare_and_set_under_thread_contention(db_url: str) -> None:
    s = store_at(db_url)
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


def plan(fill: Fill) -> Callable[..., Any]:
    """A booking plan for LedgerRepo.book: this one fill, no proposal steps."""
    return lambda row, seen: ([fill], [])


def test_a_fill_is_booked_once(db_url: str) -> None:
    s = store_at(db_url)
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

    booked = s.ledger.book("c1", plan(fill()), "t", order_fields={"status": "filled"})
    again = s.ledger.book("c1", plan(fill()), "t", order_fields={"status": "filled"})
    assert booked is not None and again is not None
    assert booked[0].status == "filled"
    assert [e.type for e in s.events.recent(20)].count("fill") == 1
    pos = s.ledger.position("AAPL")
    assert pos is not None and pos.quantity == 5
    assert len(s.ledger.trades(status="open")) == 1


def test_one_booking_that_goes_flat_reopens_and_flips_the_same_symbol(db_url: str) -> None:
    """Fills of one update applied in turn to the position and round trip the previous one
    left, in one transaction: long 5, flat, long 3, then short 2 (a flip)."""
    s = store_at(db_url)
    order, _ = s.ledger.add_order(new_order("c9"), "t", {})

    def f(i: int, side: str, qty: int, px: float) -> Fill:
        return Fill(
            broker="sim", fill_id=f"f9-{i}", order_id=order.id or 0, client_order_id="c9",
            symbol="AAPL", side=side, quantity=qty, price=px, ts=NOW + timedelta(seconds=i),
        )  # fmt: skip

    fills = [f(0, "buy", 5, 100.0), f(1, "sell", 5, 101.0), f(2, "buy", 3, 102.0),
             f(3, "sell", 5, 103.0)]  # fmt: skip
    assert s.ledger.book("c9", lambda row, seen: (fills, []), "t") is not None
    pos = s.ledger.position("AAPL")
    assert pos is not None and pos.quantity == -2 and pos.avg_price == 103.0
    trades = sorted(s.ledger.trades(), key=lambda t: t.opened_at)
    assert [(t.direction, t.quantity, t.status) for t in trades] == [
        ("long", 5, "closed"), ("long", 3, "closed"), ("short", 2, "open"),
    ]  # fmt: skip
    assert [round(t.realized_pnl, 2) for t in trades] == [5.0, 3.0, 0.0]
    # the same fills again book nothing twice
    assert s.ledger.book("c9", lambda row, seen: (fills, []), "t") is not None
    assert len(s.ledger.trades()) == 3 and s.ledger.position("AAPL").quantity == -2  # type: ignore[union-attr]


def test_a_reading_block_reads_the_positions_and_the_state_once(db_url: str) -> None:
    s = store_at(db_url)
    order, _ = s.ledger.add_order(new_order("c2"), "t", {})
    f = Fill(
        broker="sim", fill_id="f2", order_id=order.id or 0, client_order_id="c2",
        symbol="AAPL", side="buy", quantity=5, price=100.0, ts=NOW,
    )  # fmt: skip
    reads: list[str] = []

    def seen(_c: object, _cur: object, stmt: str, *_: object) -> None:
        if "FROM positions" in stmt or "FROM system_state" in stmt:
            reads.append(stmt)

    event.listen(s.engine, "before_cursor_execute", seen)
    with s.reading():
        assert s.ledger.positions() == [] and s.ledger.positions() == []
        assert s.state.get().paused is False and s.state.get().paused is False
        assert len(reads) == 2  # the block's one answer to each
        s.ledger.book("c2", plan(f), "t", order_fields={"status": "filled"})  # a write apart
        assert s.ledger.positions() == []  # the block keeps the answer it read
    held = s.ledger.positions()  # outside a block: read afresh
    assert [p.symbol for p in held] == ["AAPL"] and held[0].quantity == 5


def test_watchlist_and_system_state(db_url: str) -> None:
    s = store_at(db_url)
    assert s.state.watch("AAPL", "alice") and not s.state.watch("AAPL", "alice")
    assert s.state.watchlist() == ["AAPL"]
    assert s.state.unwatch("AAPL", "alice") and not s.state.unwatch("AAPL", "alice")
    st = s.state.update("alice", "desk.paused", "lunch", paused=True, paused_reason="lunch")
    assert st.paused and st.updated_by == "alice"
    assert s.state.get().paused_reason == "lunch"
    assert s.events.recent(5)[-1].type == "desk.paused"


def at_once(n: int, url: str, work: Callable[[Store, int], Any]) -> list[Any]:
    """Run `work(store, i)` in n threads released together, each with its own Store (its
    own engine and connections, as a second instance would have); their results in order."""
    results: list[Any] = [None] * n
    barrier = threading.Barrier(n)

    def go(i: int) -> None:
        own = Store(url)
        try:
            barrier.wait()
            results[i] = work(own, i)
        except Exception as e:  # surfaces in the caller's assertions
            results[i] = e
        finally:
            own.dispose()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_a_job_is_claimed_once_across_instances(db_url: str) -> None:
    s = store_at(db_url)
    key = "job:morning_scan:2026-11-20"
    won = at_once(16, db_url, lambda st, i: st.frontend.claim(key, NOW, f"instance {i}"))
    assert sorted(map(repr, won)) == ["False"] * 15 + ["True"], won
    row = s.frontend.claimed(key)
    assert row is not None and row.detail == f"instance {won.index(True)}"
    assert row.started_at == NOW  # an aware UTC time comes back as one
    assert not s.frontend.claim(key, NOW)
    assert s.frontend.claim("job:morning_scan:2026-11-21", NOW)  # the store still writes
    s.dispose()


def test_the_kill_nonce_is_claimed_once(db_url: str) -> None:
    """The Discord kill confirmation stores `kill:<nonce>` as a job claim: of the confirm
    clicks (and a cancel) racing from several instances exactly one wins, and after a lost
    claim the same store goes on writing (no aborted transaction left behind)."""
    s = store_at(db_url)
    key = "kill:ab12cd34"

    def click(st: Store, i: int) -> bool:
        return st.frontend.claim(key, NOW, "canceled" if i == 0 else f"user:{i}")

    won = at_once(8, db_url, click)
    assert won.count(True) == 1 and won.count(False) == 7, won
    row = s.frontend.claimed(key)
    assert row is not None
    assert row.detail == ("canceled" if won[0] is True else f"user:{won.index(True)}")
    for _ in range(3):
        assert not s.frontend.claim(key, NOW, "late")
        s.events.add("kill.refused", "user:1", context={"nonce": "ab12cd34"})
    assert s.frontend.claim("kill:zz99yy88", NOW, "user:1")
    assert [e.type for e in s.events.recent(3)] == ["kill.refused"] * 3
    s.dispose()


def test_concurrent_fills_on_one_symbol_are_all_booked(db_url: str) -> None:
    """Fills of different orders in the same symbol, booked at the same moment by different
    instances: the position is the sum of them all (no lost update)."""
    s = store_at(db_url)
    n = 8
    for i in range(n):
        s.ledger.add_order(new_order(f"c{i}"), "t", {})

    def go(st: Store, i: int) -> Any:
        order = st.ledger.order(f"c{i}")
        assert order is not None
        f = Fill(
            broker="sim",
            fill_id=f"f{i}",
            order_id=order.id or 0,
            client_order_id=f"c{i}",
            symbol="AAPL",
            side="buy",
            quantity=1,
            price=100.0,
            ts=NOW,
        )
        return st.ledger.book(f"c{i}", plan(f), "t", order_fields={"status": "filled"})

    results = at_once(n, db_url, go)
    assert not [r for r in results if isinstance(r, Exception)], results
    pos = s.ledger.position("AAPL")
    assert pos is not None and pos.quantity == n
    trades = s.ledger.trades()
    assert len(trades) == 1 and trades[0].quantity == n
    assert [e.type for e in s.events.recent(50)].count("fill") == n
    s.dispose()


def test_racing_watchlist_adds_and_daily_upserts_do_not_fail(db_url: str) -> None:
    s = store_at(db_url)
    added = at_once(8, db_url, lambda st, i: st.state.watch("NVDA", f"user:{i}"))
    assert added.count(True) == 1 and added.count(False) == 7, added
    day = date(2026, 11, 20)

    def upsert(st: Store, i: int) -> None:
        st.state.upsert_daily(
            DailyPerformance(day=day, start_equity=100.0, end_equity=100.0 + i, updated_at=NOW)
        )

    assert at_once(8, db_url, upsert) == [None] * 8
    row = s.state.daily(day)
    assert row is not None and 100.0 <= row.end_equity <= 107.0
    s.dispose()


def test_json_and_datetimes_round_trip(db_url: str) -> None:
    s = store_at(db_url)
    p = proposal()
    p.risk = {"checks": [{"name": "max_position", "ok": True, "value": 0.125}], "size": 5}
    p.facts = {"headline": "Apple ↑ 3% — “record” quarter", "none": None, "nested": {"a": [1, 2.5]}}
    s.proposals.add(p, [], "tester", {"why": ["signal", {"score": 71.5}]})
    back = s.proposals.get(p.id)
    assert back is not None
    assert back.risk == p.risk and back.facts == p.facts
    assert back.created_at == NOW and back.created_at.tzinfo is not None
    assert back.expires_at - back.created_at == timedelta(minutes=15)
    assert s.proposals.expired_pending(NOW + timedelta(minutes=14)) == []
    assert s.proposals.expired_pending(NOW + timedelta(minutes=15)) == [p.id]
    east = NOW.astimezone(datetime.now().astimezone().tzinfo)  # the same instant, another zone
    assert s.proposals.expired_pending(east + timedelta(minutes=15)) == [p.id]
    created = s.events.for_proposal(p.id)[0]
    assert created.context == {"why": ["signal", {"score": 71.5}]}
    assert created.ts.tzinfo is not None
    s.dispose()


def test_a_non_finite_number_in_json_is_stored(db_url: str) -> None:
    """JSON has no NaN: PostgreSQL refuses it where SQLite keeps it; storing never fails, and
    on PostgreSQL it reads back as null."""
    s = store_at(db_url)
    ctx = {"rsi": float("nan"), "ratio": [1.5, float("inf")], "ok": 2.0}
    e = s.events.add("facts", "t", context=ctx)
    back = [x for x in s.events.recent(5) if x.id == e.id]
    assert len(back) == 1 and back[0].context["ok"] == 2.0
    if s.engine.dialect.name == "postgresql":
        assert back[0].context == {"rsi": None, "ratio": [1.5, None], "ok": 2.0}
    s.dispose()
