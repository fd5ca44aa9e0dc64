"""Exactly once: concurrent clicks, second instances and restarts produce one order at most."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from sqlmodel import select

from agents.errors import NotPending
from bot.app import App
from models.domain import Actor
from models.sim_tables import SimFill, SimOrder
from models.tables import Fill, Order
from tests.conftest import Clock


def counts(app: App) -> tuple[int, int, int, int]:
    with app.store.session() as s:
        return (
            len(s.exec(select(Order)).all()),
            len(s.exec(select(SimOrder)).all()),
            len(s.exec(select(Fill)).all()),
            len(s.exec(select(SimFill)).all()),
        )


async def test_fifty_concurrent_approvals_in_one_process(app: App, trader: Actor) -> None:
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
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    """50 independent co-trader instances (own engine, broker, orchestrator) on one database
    click Approve on the same proposal at the same moment, from 50 threads."""
    first = make_app(clock)
    card = asyncio.run(first.orchestrator.propose("MSFT", "buy", 4, trader))
    apps = [make_app(clock) for _ in range(50)]
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
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    before = make_app(clock)
    card = await before.orchestrator.propose("NVDA", "sell", 3, trader)
    before.close()
    after = make_app(clock)  # a new process would see exactly this database
    done = await after.orchestrator.approve(card.id, trader)
    assert done.status == "filled"
    again = make_app(clock)
    try:
        await again.orchestrator.approve(card.id, trader)
        raise AssertionError("second approval went through")
    except NotPending as e:
        assert "already approved" in str(e)
    assert counts(again) == (1, 1, 1, 1)
    pos = (await again.orchestrator.positions()).positions
    assert [(p.symbol, p.quantity) for p in pos] == [("NVDA", -3)]


async def test_simulated_account_survives_restart(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    a = make_app(clock)
    card = await a.orchestrator.propose("AAPL", "buy", 10, trader)
    await a.orchestrator.approve(card.id, trader)
    cash = (await a.orchestrator.positions()).cash
    a.close()
    b = make_app(clock)
    view = await b.orchestrator.positions()
    assert view.cash == cash and view.cash < 100_000
    assert [(p.symbol, p.quantity) for p in view.positions] == [("AAPL", 10)]
