"""The paper broker: idempotent ids, order types, partial fills, buying power, restarts,
and its books agreeing with ours after the same fills."""

from __future__ import annotations

import asyncio
import math
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.execution import ExecutionAgent
from brokers.base import OrderRejectedError
from brokers.sim.broker import SimBroker, SimCosts
from brokers.sim.market import SimMarket
from models.domain import OrderRequest, OrderStatus, OrderType, Side
from models.store import Store
from tests.conftest import Clock


def setup(tmp_path: Path, clock: Clock, **kw: object) -> tuple[Store, SimMarket, SimBroker]:
    store = Store(f"sqlite:///{tmp_path / 'b.db'}")
    store.upgrade()
    market = SimMarket(seed=42, clock=clock)
    return store, market, SimBroker(store, market, **kw)  # type: ignore[arg-type]


def req(
    cid: str, symbol: str = "AAPL", side: Side = Side.BUY, qty: int = 10, **kw: object
) -> OrderRequest:
    return OrderRequest(client_order_id=cid, symbol=symbol, side=side, quantity=qty, **kw)


async def test_market_order_fills_at_the_ask_plus_slippage(tmp_path: Path, clock: Clock) -> None:
    _, market, broker = setup(tmp_path, clock)
    q = await market.quote("AAPL")
    o = await broker.submit(req("a1"))
    assert o.status is OrderStatus.FILLED and o.filled_quantity == 10
    assert o.avg_fill_price == pytest.approx(round(q.ask * 1.0002, 2))
    acct = await broker.account()
    assert acct.cash == pytest.approx(100_000 - 10 * o.avg_fill_price, abs=0.01)


async def test_repeated_client_id_returns_the_first_order(tmp_path: Path, clock: Clock) -> None:
    _, _, broker = setup(tmp_path, clock)
    first = await broker.submit(req("same"))
    second = await broker.submit(req("same", qty=999))
    assert second.broker_order_id == first.broker_order_id and len(second.fills) == 1
    assert [(p.symbol, p.quantity) for p in await broker.positions()] == [("AAPL", 10)]


def test_concurrent_submits_of_one_client_id(tmp_path: Path, clock: Clock) -> None:
    store, market, _ = setup(tmp_path, clock)
    brokers = [SimBroker(Store(store.url), market) for _ in range(16)]
    barrier = threading.Barrier(16)
    ids: list[str] = []

    def go(b: SimBroker) -> None:
        barrier.wait()
        ids.append(asyncio.run(b.submit(req("race"))).broker_order_id)

    ts = [threading.Thread(target=go, args=(b,)) for b in brokers]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len(set(ids)) == 1
    assert [(p.symbol, p.quantity) for p in asyncio.run(brokers[0].positions())] == [("AAPL", 10)]


async def test_limit_order_waits_until_marketable(tmp_path: Path, clock: Clock) -> None:
    _, market, broker = setup(tmp_path, clock)
    ask = (await market.quote("MSFT")).ask
    o = await broker.submit(
        req("lim", "MSFT", limit_price=round(ask * 0.97, 2), order_type=OrderType.LIMIT)
    )
    assert o.status is OrderStatus.NEW and o.filled_quantity == 0
    assert [x.client_order_id for x in await broker.open_orders()] == ["lim"]
    market.shock("MSFT", -4.0)
    changed = await broker.refresh()
    assert [c.status for c in changed] == [OrderStatus.FILLED]
    assert changed[0].avg_fill_price is not None
    assert changed[0].avg_fill_price <= round(ask * 0.97, 2)


async def test_stop_order_triggers_on_the_cross(tmp_path: Path, clock: Clock) -> None:
    _, market, broker = setup(tmp_path, clock)
    await broker.submit(req("long", "NVDA", qty=5))
    last = (await market.quote("NVDA")).last
    stop = await broker.submit(
        req(
            "stop",
            "NVDA",
            Side.SELL,
            5,
            order_type=OrderType.STOP,
            stop_price=round(last * 0.98, 2),
        )
    )
    assert stop.status is OrderStatus.NEW
    market.shock("NVDA", -3.0)
    (filled,) = await broker.refresh()
    assert filled.status is OrderStatus.FILLED
    assert await broker.positions() == []


async def test_large_order_fills_partially_per_tick(tmp_path: Path, clock: Clock) -> None:
    _, market, broker = setup(tmp_path, clock, starting_cash=10_000_000)
    q = await market.quote("INTC")
    o = await broker.submit(req("big", "INTC", qty=40_000))
    assert o.status is OrderStatus.PARTIALLY_FILLED
    assert o.filled_quantity == min(40_000, max(100, q.ask_size * 10))
    while o.status is not OrderStatus.FILLED:
        clock.advance(seconds=60)
        (o,) = await broker.refresh()
    assert sum(f.quantity for f in o.fills) == 40_000 and len(o.fills) >= 2


async def test_rejections(tmp_path: Path, clock: Clock) -> None:
    _, _, broker = setup(tmp_path, clock, starting_cash=1_000)
    with pytest.raises(OrderRejectedError, match="buying power"):
        await broker.submit(req("bp", "SPY", qty=100))
    with pytest.raises(OrderRejectedError, match="unknown symbol"):
        await broker.submit(req("sym", "ZZZZ"))
    with pytest.raises(OrderRejectedError, match="limit price"):
        await broker.submit(req("lp", order_type=OrderType.LIMIT))
    assert await broker.open_orders() == [] and await broker.positions() == []
    assert (await broker.account()).cash == 1_000


async def test_commission_and_state_survive_restart(tmp_path: Path, clock: Clock) -> None:
    store, market, broker = setup(
        tmp_path, clock, costs=SimCosts(commission_per_share=0.01, min_commission=1.0)
    )
    o = await broker.submit(req("c", qty=10))
    assert o.fills[0].commission == 1.0
    cash = (await broker.account()).cash
    again = SimBroker(Store(store.url), market, starting_cash=5.0)  # existing account kept
    assert (await again.account()).cash == cash
    assert (await again.order_by_client_id("c")) == o


async def _book_both(home: Path, symbol: str, orders: list[tuple[Side, int]]) -> None:
    """Send `orders` one after another to the simulator through the execution agent (which
    books every fill in our ledger), each worked to the end over ticks; then compare."""
    clock = Clock()
    store = Store(f"sqlite:///{home / 'b.db'}")
    store.upgrade()
    start = 1_000_000_000.0
    costs = SimCosts(commission_per_share=0.005, min_commission=1.0, depth_multiple=1)
    broker = SimBroker(store, SimMarket(seed=7, clock=clock), starting_cash=start, costs=costs)
    agent = ExecutionAgent(store, broker)
    try:
        for i, (side, qty) in enumerate(orders):
            await agent.send(req(f"o{i}", symbol, side, qty), "test", clock())
            while await broker.open_orders():
                clock.advance(seconds=60)
                await agent.sync("test")
            clock.advance(seconds=60)
        theirs = [(p.symbol, p.quantity, p.avg_price) for p in await broker.positions()]
        ours = store.ledger.positions()
        assert theirs == [(p.symbol, p.quantity, p.avg_price) for p in ours]
        assert sum(p.quantity for p in ours) == sum(side.sign * qty for side, qty in orders)
        # the cash the simulator moved = what our round trips realised (net of commission)
        # less the cost of what is still open
        realised = sum(t.realized_pnl for t in store.ledger.trades())
        open_cost = sum(p.quantity * p.avg_price for p in ours)
        cash = (await broker.account()).cash - start
        assert math.isclose(cash, realised - open_cost, abs_tol=0.02)
    finally:
        store.dispose()


@settings(max_examples=15, deadline=None)
@given(
    symbol=st.sampled_from(["AAPL", "INTC"]),
    orders=st.lists(
        st.tuples(st.sampled_from([Side.BUY, Side.SELL]), st.integers(1, 2_500)),
        min_size=1,
        max_size=5,
    ),
)
def test_the_simulator_and_our_books_agree_after_the_same_fills(
    symbol: str, orders: list[tuple[Side, int]]
) -> None:
    """Opens, adds, partial closes, flips and partial fills over ticks: the simulator's
    position and ours (the same domain arithmetic) are equal, quantity and average price."""
    with tempfile.TemporaryDirectory() as d:
        asyncio.run(_book_both(Path(d), symbol, orders))


def test_a_position_the_transaction_read_opens_closes_and_reopens(
    tmp_path: Path, clock: Clock
) -> None:
    """The positions a transaction read are its own from then on: a position it opens and
    closes before writing is never written, and one opened again is written once."""
    from datetime import UTC, datetime

    from sqlmodel import select

    from brokers.sim.books import move_position, read_positions
    from models.booking import Execution
    from models.sim_tables import SimPosition

    store, _, broker = setup(tmp_path, clock)  # its account exists
    acct, now = broker.account_id, datetime(2026, 11, 20, 15, tzinfo=UTC)
    with store.session(write=True) as s:
        assert read_positions(s, acct) == []
        for side, qty, px in ((Side.BUY, 5, 10.0), (Side.SELL, 5, 11.0), (Side.BUY, 2, 12.0)):
            move_position(s, acct, "AAPL", Execution(side, qty, px, 0.0, now))
        move_position(s, acct, "MSFT", Execution(Side.BUY, 1, 50.0, 0.0, now))
        s.commit()
    with store.session(write=True) as s:
        held = {p.symbol: (p.quantity, p.avg_price) for p in read_positions(s, acct)}
        assert held == {"AAPL": (2, 12.0), "MSFT": (1, 50.0)}
        move_position(s, acct, "MSFT", Execution(Side.SELL, 1, 51.0, 0.0, now))
        s.commit()
    with store.session() as s:
        rows = s.exec(select(SimPosition)).all()
        assert [(r.symbol, r.quantity) for r in rows] == [("AAPL", 2)]
