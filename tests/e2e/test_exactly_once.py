"""Exactly once: concurrent clicks, second instances and restarts produce one order at most,
on SQLite and on PostgreSQL (the `db_url` fixture)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
from sqlmodel import select

from agents.errors import NotPending
from bot.app import App
from brokers.sim.broker import SimBroker
from brokers.sim.market import SimMarket
from models.domain import Actor, OrderRequest, OrderStatus, Side
from models.sim_tables import SimFill, SimOrder
from models.store import Store
from models.tables import Fill, Order
from tests.conftest import Clock


def counts(app: App) -> tuple[int, int, int, int]:
    """(our entry orders, the venue's, our fills, the venue's); the entry's protective stop
    and target (placed by the venue once it filled) are checked to be exactly one pair."""
    with app.store.session() as s:
        ours = s.exec(select(Order)).all()
        venue = s.exec(select(SimOrder)).all()
        for rows in (ours, venue):
            kids = sorted(r.client_order_id for r in rows if r.role != "main")
            mains = [r.client_order_id for r in rows if r.role == "main"]
            assert kids == sorted(f"{m}{x}" for m in mains for x in ("-sl", "-tp")), kids
        return (
            sum(r.role == "main" for r in ours),
            sum(r.role == "main" for r in venue),
            len(s.exec(select(Fill)).all()),
            len(s.exec(select(SimFill)).all()),
        )


async def test_fifty_concurrent_approvals_in_one_process(
    make_app: Callable[..., App], clock: Clock, trader: Actor, db_url: str
) -> None:
    app = make_app(clock, database_url=db_url)
    o = app.orchestrator
    card = await o.propose("AAPL", "buy", 7, trader)
    results = await asyncio.gather(
        *(o.approve(card.id, Actor(id=f"u{i}", name=f"u{i}", can_approve=True)) for i in range(50)),
        return_exceptions=True,
    )
    ok = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, NotPending)]
    assert len(ok) == 1 and len(refused) == 49
    assert counts(app) == (1, 1, 1, 1)
    assert o.proposal(card.id).status == "filled"
    pos = (await o.positions()).positions
    assert [(p.symbol, p.quantity) for p in pos] == [("AAPL", 7)]


def test_fifty_instances_approving_at_once(
    make_app: Callable[..., App], clock: Clock, trader: Actor, db_url: str
) -> None:
    """50 independent co-trader instances (own engine, broker, orchestrator) on one database
    click Approve on the same proposal at the same moment, from 50 threads."""
    first = make_app(clock, database_url=db_url)
    card = asyncio.run(first.orchestrator.propose("MSFT", "buy", 4, trader))
    apps = [make_app(clock, database_url=db_url) for _ in range(50)]
    barrier = threading.Barrier(50)
    outcomes: list[str] = []
    lock = threading.Lock()

    def click(a: App, i: int) -> None:
        barrier.wait()
        who = Actor(id=f"t{i}", name=f"t{i}", can_approve=True)
        try:
            res = asyncio.run(a.orchestrator.approve(card.id, who))
            out = res.status
        except NotPending:
            out = "refused"
        except Exception as e:  # surfaces in the assertion below
            out = f"error:{type(e).__name__}:{e}"
        with lock:
            outcomes.append(out)

    threads = [threading.Thread(target=click, args=(a, i)) for i, a in enumerate(apps)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(set(outcomes)) == ["filled", "refused"], outcomes
    assert outcomes.count("filled") == 1
    assert counts(first) == (1, 1, 1, 1)


async def test_restart_between_proposal_and_approval(
    make_app: Callable[..., App], clock: Clock, trader: Actor, db_url: str
) -> None:
    before = make_app(clock, database_url=db_url)
    card = await before.orchestrator.propose("NVDA", "sell", 3, trader)
    before.close()
    after = make_app(clock, database_url=db_url)  # a new process sees exactly this database
    done = await after.orchestrator.approve(card.id, trader)
    assert done.status == "filled"
    again = make_app(clock, database_url=db_url)
    try:
        await again.orchestrator.approve(card.id, trader)
        raise AssertionError("second approval went through")
    except NotPending as e:
        assert "already approved" in str(e)
    assert counts(again) == (1, 1, 1, 1)
    pos = (await again.orchestrator.positions()).positions
    assert [(p.symbol, p.quantity) for p in pos] == [("NVDA", -3)]


async def test_simulated_account_survives_restart(
    make_app: Callable[..., App], clock: Clock, trader: Actor, db_url: str
) -> None:
    a = make_app(clock, database_url=db_url)
    card = await a.orchestrator.propose("AAPL", "buy", 10, trader)
    await a.orchestrator.approve(card.id, trader)
    cash = (await a.orchestrator.positions()).cash
    a.close()
    b = make_app(clock, database_url=db_url)
    view = await b.orchestrator.positions()
    assert view.cash == cash and view.cash < 100_000
    assert [(p.symbol, p.quantity) for p in view.positions] == [("AAPL", 10)]


def test_instances_working_one_order_fill_it_once(clock: Clock, db_url: str) -> None:
    """The simulator's books on a shared database: eight instances tick the same working
    order at once; every share fills once, the cash and position follow the fills."""
    store = Store(db_url)
    store.upgrade()
    market = SimMarket(seed=42, clock=clock)
    first = SimBroker(store, market, starting_cash=10_000_000)
    req = OrderRequest(client_order_id="big", symbol="INTC", side=Side.BUY, quantity=40_000)
    o = asyncio.run(first.submit(req))
    assert o.status is OrderStatus.PARTIALLY_FILLED
    brokers = [SimBroker(Store(db_url), market) for _ in range(8)]
    errors: list[BaseException] = []

    def tick(b: SimBroker, barrier: threading.Barrier) -> None:
        barrier.wait()
        try:
            asyncio.run(b.refresh())
        except BaseException as e:
            errors.append(e)

    for _ in range(3):
        clock.advance(seconds=60)
        barrier = threading.Barrier(len(brokers))
        threads = [threading.Thread(target=tick, args=(b, barrier)) for b in brokers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert errors == []
    after = asyncio.run(first.order_by_client_id("big"))
    assert after is not None
    assert sum(f.quantity for f in after.fills) == after.filled_quantity <= 40_000
    assert len({f.fill_id for f in after.fills}) == len(after.fills)
    spent = sum(f.quantity * f.price + f.commission for f in after.fills)
    assert asyncio.run(first.account()).cash == pytest.approx(10_000_000 - spent, abs=0.05)
    assert [(p.symbol, p.quantity) for p in asyncio.run(first.positions())] == [
        ("INTC", after.filled_quantity)
    ]
    for b in brokers:
        b._store.dispose()
    store.dispose()
