"""Moving a working stop in the simulator (StopMover): a bracket's and an OCO's stop leg and a
standalone stop, one-cancels-other kept with the target, idempotent new ids (across instances
too), refusals of a stop that is not working or on the wrong side of the market."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlmodel import select

from brokers.base import OrderRejectedError, StopMover
from brokers.sim.broker import SimBroker
from brokers.sim.market import SimMarket
from models.domain import OrderStatus, OrderType, Side, TimeInForce
from models.sim_tables import SimOrder
from models.store import Store
from tests.conftest import Clock
from tests.integration.test_sim_broker import req, setup
from tests.integration.test_sim_protective import bracket, get, held, rows


def count(store: Store, cid: str) -> int:
    with store.session() as s:
        return len(s.exec(select(SimOrder).where(SimOrder.client_order_id == cid)).all())


async def pair(
    broker: SimBroker, market: SimMarket, cid: str, qty: int = 10
) -> tuple[float, float]:
    """A long AAPL position and its OCO pair: target 5 % above the last price, stop 5 % below;
    returns (target, stop)."""
    await broker.submit(req(f"{cid}-long", qty=qty))
    last = (await market.quote("AAPL")).last
    tp, sl = round(last * 1.05, 2), round(last * 0.95, 2)
    gtc = TimeInForce.GTC
    await broker.submit(
        req(cid, side=Side.SELL, qty=qty, oco=True, take_profit=tp, stop_loss=sl, time_in_force=gtc)
    )
    return tp, sl


async def test_a_brackets_stop_moves_and_then_triggers_cancelling_the_target(
    tmp_path: Path, clock: Clock
) -> None:
    store, market, broker = setup(tmp_path, clock)
    assert isinstance(broker, StopMover)
    o = await bracket(broker, market, "b1", qty=10)
    old = o.legs[0]
    assert old.client_order_id == "b1-sl" and old.stop_price is not None
    last = (await market.quote("AAPL")).last
    up = round(last * 0.99, 2)  # trailed up, still below the market
    assert up > old.stop_price

    new = await broker.replace_stop("b1-sl", up, "mv-1")
    assert (new.client_order_id, new.status, new.order_type) == ("mv-1", OrderStatus.NEW, "stop")
    assert (new.stop_price, new.side, new.quantity) == (up, Side.SELL, 10)
    assert new.broker_order_id != old.broker_order_id and new.legs == ()
    gone = await get(broker, "b1-sl")
    assert gone.status is OrderStatus.CANCELED and gone.reason == "replaced by mv-1"
    assert gone.stop_price == old.stop_price and gone.filled_quantity == 0
    assert {x.client_order_id for x in await broker.open_orders()} == {"mv-1", "b1-tp"}
    # in the bracket's group, a stop like the one it replaces
    assert [(r.client_order_id, r.role, r.time_in_force, r.status) for r in rows(store, "b1")] == [
        ("b1-sl", "stop", "gtc", "canceled"),
        ("b1-tp", "target", "gtc", "new"),
        ("mv-1", "stop", "gtc", "new"),
    ]
    assert {x.client_order_id for x in (await get(broker, "b1")).legs} == {
        "b1-sl",
        "b1-tp",
        "mv-1",
    }

    market.shock("AAPL", -2.0)  # through the new stop, not through the old one
    assert (await market.quote("AAPL")).last > old.stop_price
    changed = {c.client_order_id: c for c in await broker.refresh()}
    assert changed["mv-1"].status is OrderStatus.FILLED and changed["mv-1"].filled_quantity == 10
    tp = await get(broker, "b1-tp")
    assert tp.status is OrderStatus.CANCELED and tp.reason == "one-cancels-other: mv-1 filled"
    assert (await get(broker, "b1-sl")).reason == "replaced by mv-1"  # untouched by the fill
    assert await broker.positions() == [] and await broker.open_orders() == []
    with pytest.raises(OrderRejectedError, match="stop mv-1 is filled, not working"):
        await broker.replace_stop("mv-1", up, "mv-1b")
    with pytest.raises(OrderRejectedError, match=r"b1-sl is canceled \(replaced by mv-1\)"):
        await broker.replace_stop("b1-sl", up, "mv-1c")


async def test_an_ocos_target_fills_and_cancels_the_moved_stop(
    tmp_path: Path, clock: Clock
) -> None:
    _, market, broker = setup(tmp_path, clock)
    tp, sl = await pair(broker, market, "p1")
    new = await broker.replace_stop("p1-sl", round(sl * 1.02, 2), "mv-2")
    assert new.stop_price == round(sl * 1.02, 2)
    group = await get(broker, "p1")
    assert group.status is OrderStatus.NEW and group.stop_price == new.stop_price
    assert group.limit_price == tp  # the target stays
    market.shock("AAPL", 6.0)
    await broker.refresh()
    assert (await get(broker, "p1-tp")).status is OrderStatus.FILLED
    moved = await get(broker, "mv-2")
    assert moved.status is OrderStatus.CANCELED and moved.filled_quantity == 0
    assert moved.reason == "one-cancels-other: p1-tp filled"
    group = await get(broker, "p1")
    assert group.status is OrderStatus.FILLED and group.filled_quantity == 10
    assert await held(broker, "AAPL") == 0


async def test_the_same_new_id_twice_moves_once(tmp_path: Path, clock: Clock) -> None:
    store, market, broker = setup(tmp_path, clock)
    _, sl = await pair(broker, market, "p2")
    first = await broker.replace_stop("p2-sl", round(sl * 1.01, 2), "mv-3")
    again = await broker.replace_stop("p2-sl", round(sl * 1.03, 2), "mv-3")  # a retry
    assert again == first and again.stop_price == round(sl * 1.01, 2)
    restarted = SimBroker(Store(store.url), market)
    assert await restarted.replace_stop("p2-sl", 1.0, "mv-3") == first
    assert count(store, "mv-3") == 1 and len(rows(store, "p2")) == 3
    # the moved stop moves again, under another new id
    second = await broker.replace_stop("mv-3", round(sl * 1.02, 2), "mv-4")
    assert (await get(broker, "mv-3")).reason == "replaced by mv-4"
    assert {x.client_order_id for x in await broker.open_orders()} == {"p2-tp", "mv-4"}
    assert second.quantity == 10


def test_concurrent_replaces_of_one_new_id(tmp_path: Path, clock: Clock) -> None:
    store, market, broker = setup(tmp_path, clock)
    _, sl = asyncio.run(pair(broker, market, "p3"))
    brokers = [SimBroker(Store(store.url), market) for _ in range(8)]
    barrier = threading.Barrier(8)
    got: list[str] = []

    def go(b: SimBroker) -> None:
        barrier.wait()
        moved = asyncio.run(b.replace_stop("p3-sl", round(sl * 1.01, 2), "race"))
        got.append(moved.broker_order_id)

    threads = [threading.Thread(target=go, args=(b,)) for b in brokers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and len(set(got)) == 1 and count(store, "race") == 1


async def test_a_stop_that_no_longer_works_is_refused(tmp_path: Path, clock: Clock) -> None:
    _, market, broker = setup(tmp_path, clock)
    _, sl = await pair(broker, market, "p4")
    with pytest.raises(OrderRejectedError, match="no order with client id nope-sl"):
        await broker.replace_stop("nope-sl", sl, "mv-5")
    with pytest.raises(OrderRejectedError, match="OCO pair; move its stop, p4-sl"):
        await broker.replace_stop("p4", sl, "mv-5")
    with pytest.raises(OrderRejectedError, match="is a limit order, not a stop"):
        await broker.replace_stop("p4-tp", sl, "mv-5")
    with pytest.raises(OrderRejectedError, match="client id of its own"):
        await broker.replace_stop("p4-sl", sl, "p4-sl")
    await broker.cancel("p4")
    with pytest.raises(OrderRejectedError) as e:
        await broker.replace_stop("p4-sl", round(sl * 1.01, 2), "mv-5")
    assert str(e.value) == "stop p4-sl is canceled, not working: there is nothing to move"
    assert await broker.order_by_client_id("mv-5") is None


async def test_a_stop_on_the_wrong_side_of_the_market_is_refused(
    tmp_path: Path, clock: Clock
) -> None:
    store, market, broker = setup(tmp_path, clock)
    _, sl = await pair(broker, market, "p5")
    last = (await market.quote("AAPL")).last
    for price in (round(last, 2) + 0.01, round(last * 1.02, 2)):
        with pytest.raises(OrderRejectedError, match=r"a sell stop must be below the last price"):
            await broker.replace_stop("p5-sl", price, "mv-6")
    with pytest.raises(OrderRejectedError, match="positive stop price"):
        await broker.replace_stop("p5-sl", -1.0, "mv-6")
    assert count(store, "mv-6") == 0
    still = await get(broker, "p5-sl")
    assert still.status is OrderStatus.NEW and still.stop_price == sl
    # a short's stop buys back: it must stay above the market
    bid = (await market.quote("TSLA")).bid
    s = await broker.submit(
        req("s1", "TSLA", Side.SELL, 5, stop_loss=round(bid * 1.05, 2), take_profit=bid * 0.9)
    )
    assert s.legs[0].side is Side.BUY
    tlast = (await market.quote("TSLA")).last
    with pytest.raises(OrderRejectedError, match=r"a buy stop must be above the last price"):
        await broker.replace_stop("s1-sl", round(tlast * 0.99, 2), "mv-7")
    down = await broker.replace_stop("s1-sl", round(tlast * 1.02, 2), "mv-7")
    assert down.side is Side.BUY and down.stop_price == round(tlast * 1.02, 2)


async def test_a_standalone_protective_stop_is_placed_and_moved(
    tmp_path: Path, clock: Clock
) -> None:
    store, market, broker = setup(tmp_path, clock)
    await broker.submit(req("long", "NVDA", qty=5))
    last = (await market.quote("NVDA")).last
    stop = await broker.submit(
        req(
            "st-1",
            "NVDA",
            Side.SELL,
            5,
            order_type=OrderType.STOP,
            stop_price=round(last * 0.95, 2),
            time_in_force=TimeInForce.GTC,
        )
    )
    assert (stop.status, stop.order_type, stop.stop_price) == (
        OrderStatus.NEW,
        OrderType.STOP,
        round(last * 0.95, 2),
    )
    moved = await broker.replace_stop("st-1", round(last * 0.99, 2), "st-2")
    assert (moved.status, moved.quantity, moved.side) == (OrderStatus.NEW, 5, Side.SELL)
    with store.session() as s:
        row = s.exec(select(SimOrder).where(SimOrder.client_order_id == "st-2")).one()
        assert (row.time_in_force, row.role, row.parent_client_id) == ("gtc", "main", None)
    assert [x.client_order_id for x in await broker.open_orders()] == ["st-2"]
    market.shock("NVDA", -2.0)
    (filled,) = await broker.refresh()
    assert filled.client_order_id == "st-2" and filled.status is OrderStatus.FILLED
    assert (await get(broker, "st-1")).status is OrderStatus.CANCELED
    assert await broker.positions() == []


async def test_the_same_on_postgresql(pg_url: str, clock: Clock) -> None:
    """A move on PostgreSQL (row locks), seen and repeated by a second process's engine."""
    store, other = Store(pg_url), Store(pg_url)
    store.upgrade()
    market = SimMarket(seed=42, clock=clock)
    broker = SimBroker(store, market)
    try:
        await bracket(broker, market, "g1", "NVDA", qty=10)
        last = (await market.quote("NVDA")).last
        moved = await broker.replace_stop("g1-sl", round(last * 0.99, 2), "g1-mv")
        again = SimBroker(other, market)
        assert await again.replace_stop("g1-sl", round(last * 0.98, 2), "g1-mv") == moved
        assert count(store, "g1-mv") == 1
        market.shock("NVDA", -2.0)
        await again.refresh()
        assert (await get(again, "g1-mv")).status is OrderStatus.FILLED
        assert (await get(again, "g1-tp")).reason == "one-cancels-other: g1-mv filled"
        assert await again.positions() == [] and await again.open_orders() == []
    finally:
        store.dispose()
        other.dispose()
