"""Brackets (OTOCO) and protective pairs (OCO) at Tastytrade: the real tastytrade SDK over HTTP
against the loopback Tastytrade API, which works complex orders as the venue does (children
contingent until the entry fills, one-cancels-other, a stop filling at the gapped price)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from brokers.base import BrokerError, OrderRejectedError
from brokers.tastytrade import RetryPolicy, TastytradeBroker
from models.domain import (
    BrokerOrder,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from tests.fakes.tastytrade import FakeTastytrade

SECRET = "tt-provider-secret-0123456789"
REFRESH = "tt-refresh-token-abcdefghijkl"
DEADLINE = 5.0  # safety net for waits, never asserted
OPG = "Tastytrade has no at-the-open order (tif=opg); use tif=day before the open"


async def no_sleep(_: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTastytrade]:
    async with FakeTastytrade(provider_secret=SECRET, refresh_token=REFRESH) as f:
        yield f


def make(fake: FakeTastytrade) -> TastytradeBroker:
    return TastytradeBroker(
        SECRET,
        REFRESH,
        api_base=fake.base_url,
        policy=RetryPolicy(attempts=4, base_delay=0.5),
        sleep=no_sleep,
        timeout=5.0,
    )


@pytest.fixture
async def broker(fake: FakeTastytrade) -> AsyncIterator[TastytradeBroker]:
    b = make(fake)
    yield b
    await b.close()


def bracket(cid: str = "p-1", **kw: object) -> OrderRequest:
    """Buy 10 AAPL (the fake's price: 190) with a target at 200 and a stop at 180."""
    fields: dict[str, object] = {"symbol": "AAPL", "side": Side.BUY, "quantity": 10}
    fields |= {"take_profit": 200.0, "stop_loss": 180.0, **kw}
    return OrderRequest(client_order_id=cid, **fields)  # type: ignore[arg-type]


def oco(cid: str = "p-2", **kw: object) -> OrderRequest:
    """Protect a long 10 AAPL: sell at 200 (target) or at a stop of 180."""
    fields: dict[str, object] = {"symbol": "AAPL", "side": Side.SELL, "quantity": 10}
    fields |= {"take_profit": 200.0, "stop_loss": 180.0, "oco": True, **kw}
    return OrderRequest(client_order_id=cid, **fields)  # type: ignore[arg-type]


def posts(fake: FakeTastytrade, path: str) -> int:
    return len(fake.calls(path, "POST"))


async def by_id(b: TastytradeBroker, cid: str) -> BrokerOrder:
    found = await b.order_by_client_id(cid)
    assert found is not None, cid
    return found


async def test_a_bracket_is_one_otoco_order_and_its_children_are_visible(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    assert broker.supports_bracket is True
    order = await broker.submit(bracket())
    assert posts(fake, r"/complex-orders$") == 1 and posts(fake, r"/orders$") == 0
    body = fake.calls(r"/complex-orders$", "POST")[0].body
    assert body["type"] == "OTOCO"
    trigger, (tp, sl) = body["trigger-order"], body["orders"]
    assert (trigger["external-identifier"], trigger["order-type"]) == ("p-1", "Market")
    assert (trigger["time-in-force"], trigger["legs"][0]["action"]) == ("Day", "Buy to Open")
    assert (tp["external-identifier"], tp["order-type"], tp["time-in-force"]) == (
        "p-1-tp",
        "Limit",
        "GTC",
    )
    assert (tp["price"], tp["price-effect"], tp["legs"][0]["action"]) == (
        "200.0",
        "Credit",
        "Sell to Close",
    )
    assert (sl["external-identifier"], sl["order-type"], sl["time-in-force"]) == (
        "p-1-sl",
        "Stop",
        "GTC",
    )
    assert (sl["stop-trigger"], sl["legs"][0]["quantity"]) == ("180.0", 10)
    # the entry filled at the fake's 190; its children work, good till cancelled
    assert (order.client_order_id, order.status, order.avg_fill_price) == (
        "p-1",
        OrderStatus.FILLED,
        190.0,
    )
    assert [(x.client_order_id, x.side, x.order_type, x.status) for x in order.legs] == [
        ("p-1-tp", Side.SELL, OrderType.LIMIT, OrderStatus.NEW),
        ("p-1-sl", Side.SELL, OrderType.STOP, OrderStatus.NEW),
    ]
    assert (order.legs[0].limit_price, order.legs[1].stop_price) == (200.0, 180.0)
    stop = await by_id(broker, "p-1-sl")
    assert stop == order.legs[1] and stop.legs == ()
    assert (await by_id(broker, "p-1")).legs == order.legs
    working = await broker.open_orders()
    assert sorted(o.client_order_id for o in working) == ["p-1-sl", "p-1-tp"]
    assert fake.positions["5WT00001"][0]["quantity"] == "10"


async def test_the_stop_fills_at_the_gapped_price_and_the_target_is_cancelled(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    await broker.submit(bracket())
    await broker.refresh()  # remembers what it has seen
    fake.move_price("AAPL", 176.5)  # gaps through the 180 stop
    stop, target = await by_id(broker, "p-1-sl"), await by_id(broker, "p-1-tp")
    assert (stop.status, stop.filled_quantity, stop.avg_fill_price) == (
        OrderStatus.FILLED,
        10,
        176.5,
    )
    assert target.status is OrderStatus.CANCELED and target.filled_quantity == 0
    assert fake.positions["5WT00001"] == []  # the stop closed the position
    assert await broker.open_orders() == []
    parent = await by_id(broker, "p-1")
    assert [x.status for x in parent.legs] == [OrderStatus.CANCELED, OrderStatus.FILLED]
    assert fake.complex.with_member("p-1")[0].get("terminal-at")


async def test_the_target_fills_and_the_stop_is_cancelled(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    await broker.submit(bracket())
    await broker.refresh()
    fake.move_price("AAPL", 195.0)  # nothing reached yet
    assert len(await broker.open_orders()) == 2
    fake.move_price("AAPL", 200.0)
    changed = {o.client_order_id: o for o in await broker.refresh()}
    assert set(changed) == {"p-1-tp", "p-1-sl"}
    assert (changed["p-1-tp"].status, changed["p-1-tp"].avg_fill_price) == (
        OrderStatus.FILLED,
        200.0,
    )
    assert changed["p-1-sl"].status is OrderStatus.CANCELED
    fake.move_price("AAPL", 150.0)  # the cancelled stop no longer works
    assert (await by_id(broker, "p-1-sl")).filled_quantity == 0


async def test_a_short_bracket_buys_back_at_its_stop(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    short = bracket("s-1", symbol="MSFT", side=Side.SELL, quantity=5)
    short = short.model_copy(update={"take_profit": 380.0, "stop_loss": 430.0})
    order = await broker.submit(short)
    body = fake.calls(r"/complex-orders$", "POST")[0].body
    assert body["trigger-order"]["legs"][0]["action"] == "Sell to Open"
    assert [(o["legs"][0]["action"], o.get("price-effect")) for o in body["orders"]] == [
        ("Buy to Close", "Debit"),
        ("Buy to Close", None),
    ]
    assert order.status is OrderStatus.FILLED and order.legs[0].side is Side.BUY
    fake.move_price("MSFT", 436.0)  # gaps up through the 430 stop
    stop = await by_id(broker, "s-1-sl")
    assert (stop.status, stop.avg_fill_price) == (OrderStatus.FILLED, 436.0)
    assert (await by_id(broker, "s-1-tp")).status is OrderStatus.CANCELED
    assert fake.positions["5WT00001"] == []


async def test_children_wait_for_a_limit_entry_and_cancelling_it_takes_them_along(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    order = await broker.submit(bracket(order_type=OrderType.LIMIT, limit_price=185.0))
    assert order.status is OrderStatus.NEW and [x.status for x in order.legs] == [
        OrderStatus.NEW,
        OrderStatus.NEW,
    ]
    assert {o["status"] for o in fake.orders.values() if o["external-identifier"] != "p-1"} == {
        "Contingent"
    }
    fake.move_price("AAPL", 186.0)  # not down to the entry's limit: all still waits
    assert [o.client_order_id for o in await broker.open_orders()] == ["p-1", "p-1-tp", "p-1-sl"]
    canceled = await broker.cancel("p-1")
    assert canceled.status is OrderStatus.CANCELED
    assert [x.status for x in canceled.legs] == [OrderStatus.CANCELED] * 2
    assert len(fake.calls(r"/complex-orders/\d+$", "DELETE")) == 1


async def test_the_limit_entry_fills_then_its_children_go_live(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    await broker.submit(bracket(order_type=OrderType.LIMIT, limit_price=185.0))
    fake.move_price("AAPL", 184.0)
    parent = await by_id(broker, "p-1")
    assert (parent.status, parent.avg_fill_price) == (OrderStatus.FILLED, 184.0)
    assert {o["status"] for o in fake.orders.values() if o["external-identifier"] != "p-1"} == {
        "Live"
    }
    fake.move_price("AAPL", 180.0)
    assert (await by_id(broker, "p-1-sl")).avg_fill_price == 180.0


async def test_an_oco_pair_alone_protects_a_held_position(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    fake.add_position("AAPL", 10, 150.0)
    pair = await broker.submit(oco())
    body = fake.calls(r"/complex-orders$", "POST")[0].body
    assert body["type"] == "OCO" and "trigger-order" not in body
    assert [(o["external-identifier"], o["time-in-force"]) for o in body["orders"]] == [
        ("p-2-tp", "GTC"),
        ("p-2-sl", "GTC"),
    ]
    assert {o["legs"][0]["action"] for o in body["orders"]} == {"Sell to Close"}
    assert pair.client_order_id == "p-2" and pair.broker_order_id.startswith("complex-")
    assert (pair.status, pair.filled_quantity, pair.fills) == (OrderStatus.NEW, 0, ())
    assert (pair.limit_price, pair.stop_price) == (200.0, 180.0)
    assert [x.client_order_id for x in pair.legs] == ["p-2-tp", "p-2-sl"]
    assert sorted(o.client_order_id for o in await broker.open_orders()) == ["p-2-sl", "p-2-tp"]
    fake.move_price("AAPL", 179.0)
    done = await by_id(broker, "p-2")
    assert (done.status, done.filled_quantity, done.avg_fill_price) == (
        OrderStatus.FILLED,
        10,
        179.0,
    )
    assert done.fills == ()  # the fills are the stop child's, booked under its own id
    assert [x.status for x in done.legs] == [OrderStatus.CANCELED, OrderStatus.FILLED]
    assert len((await by_id(broker, "p-2-sl")).fills) == 1


async def test_cancelling_one_child_cancels_the_pair(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    await broker.submit(bracket())
    stop = await broker.cancel("p-1-sl")
    assert (stop.client_order_id, stop.status) == ("p-1-sl", OrderStatus.CANCELED)
    assert len(fake.calls(r"/orders/\d+$", "DELETE")) == 1  # that child, by its own id
    assert (await by_id(broker, "p-1-tp")).status is OrderStatus.CANCELED  # the venue's OCO
    assert (await by_id(broker, "p-1")).status is OrderStatus.FILLED  # the entry stands
    assert await broker.open_orders() == []
    fake.add_position("MSFT", 5, 400.0)
    pair = await broker.submit(
        oco("p-3", symbol="MSFT", quantity=5, take_profit=450.0, stop_loss=390.0)
    )
    canceled = await broker.cancel(pair.client_order_id)
    assert canceled.status is OrderStatus.CANCELED
    assert [x.status for x in canceled.legs] == [OrderStatus.CANCELED] * 2
    assert len(fake.calls(r"/complex-orders/\d+$", "DELETE")) == 1
    assert (await broker.cancel("p-3-tp")).status is OrderStatus.CANCELED  # already: no call
    with pytest.raises(BrokerError, match="no Tastytrade order"):
        await broker.cancel("nope")


async def test_a_repeated_client_id_never_places_a_second_complex_order(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    first = await broker.submit(bracket())
    again = await broker.submit(bracket())
    assert again.broker_order_id == first.broker_order_id and again.legs == first.legs
    other = make(fake)  # a restart: found at the venue by the external identifiers
    try:
        assert (await other.submit(bracket())).broker_order_id == first.broker_order_id
        fake.add_position("MSFT", 5, 400.0)
        pair = oco("p-4", symbol="MSFT", quantity=5, take_profit=450.0, stop_loss=390.0)
        placed = await broker.submit(pair)
        assert (await other.submit(pair)).broker_order_id == placed.broker_order_id
    finally:
        await other.close()
    assert posts(fake, r"/complex-orders$") == 2 and len(fake.complex.orders) == 2


async def test_an_unknown_outcome_is_looked_up_before_anything_is_resent(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    fake.fail_next(r"/complex-orders$", 504, method="POST", create=True)
    order = await broker.submit(bracket("p-5"))
    assert order.status is OrderStatus.FILLED and len(order.legs) == 2
    assert posts(fake, r"/complex-orders$") == 1 and len(fake.complex.with_member("p-5")) == 1
    fake.fail_next(r"/complex-orders$", 503, method="POST")  # not created: sent once more
    await broker.submit(bracket("p-6"))
    assert posts(fake, r"/complex-orders$") == 3 and len(fake.complex.with_member("p-6")) == 1


async def test_children_missing_from_live_orders_are_found_in_complex_orders(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    fake.list_complex_members = False
    await broker.submit(bracket())
    fresh = make(fake)
    try:
        assert (await by_id(fresh, "p-1-sl")).status is OrderStatus.NEW
        assert [x.client_order_id for x in (await by_id(fresh, "p-1")).legs] == [
            "p-1-tp",
            "p-1-sl",
        ]
        working = await fresh.open_orders()
        assert sorted(o.client_order_id for o in working) == ["p-1-sl", "p-1-tp"]
        assert await fresh.submit(bracket()) == await by_id(fresh, "p-1")
    finally:
        await fresh.close()
    assert posts(fake, r"/complex-orders$") == 1


async def test_opg_is_refused_with_nothing_sent(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    for req in (
        OrderRequest(
            client_order_id="o1",
            symbol="AAPL",
            side=Side.BUY,
            quantity=1,
            time_in_force=TimeInForce.OPG,
        ),
        bracket("o2", time_in_force=TimeInForce.OPG),
        oco("o3", time_in_force=TimeInForce.OPG),
    ):
        with pytest.raises(OrderRejectedError) as err:
            await broker.submit(req)
        assert str(err.value) == OPG
        with pytest.raises(OrderRejectedError, match="at-the-open"):
            await broker.dry_run(req)
    assert fake.requests == []  # not even a login


async def test_time_in_force_day_and_gtc_reach_the_venue(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    for cid, tif in (("t1", TimeInForce.DAY), ("t2", TimeInForce.GTC)):
        await broker.submit(
            OrderRequest(
                client_order_id=cid,
                symbol="AAPL",
                side=Side.BUY,
                quantity=1,
                order_type=OrderType.LIMIT,
                limit_price=150.0,
                time_in_force=tif,
            )
        )
    sent = [c.body["time-in-force"] for c in fake.calls(r"/orders$", "POST")]
    assert sent == ["Day", "GTC"]


async def test_a_bracket_dry_run_is_one_complex_dry_run(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    r = await broker.dry_run(bracket())
    assert r.change_in_buying_power == pytest.approx(-1900.0)
    assert fake.orders == {} and fake.complex.orders == {}
    assert fake.calls("/complex-orders/dry-run", "POST")[0].body["type"] == "OTOCO"
    assert fake.calls("/orders/dry-run", "POST") == []


async def test_bad_protective_orders_are_refused_before_sending(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    with pytest.raises(OrderRejectedError, match="take-profit must be beyond"):
        await broker.submit(bracket(take_profit=170.0))
    with pytest.raises(OrderRejectedError, match="between its stop-loss"):
        await broker.submit(bracket(order_type=OrderType.LIMIT, limit_price=205.0))
    with pytest.raises(OrderRejectedError, match="needs both"):
        await broker.submit(bracket(stop_loss=None))
    with pytest.raises(OrderRejectedError, match="nothing in AAPL is held"):
        await broker.submit(oco())
    fake.add_position("AAPL", -10, 190.0)
    with pytest.raises(OrderRejectedError, match="closes one"):
        await broker.submit(bracket(quantity=5))
    assert posts(fake, "complex-orders") == 0 and posts(fake, r"/orders$") == 0
    fake.positions["5WT00001"].clear()
    fake.reject_next_order("Insufficient buying power")
    with pytest.raises(OrderRejectedError, match="Insufficient buying power"):
        await broker.submit(bracket("p-9"))
    assert fake.complex.orders == {} and fake.orders == {}


async def test_the_stream_delivers_each_child_under_its_own_id(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    seen: asyncio.Queue[BrokerOrder] = asyncio.Queue()

    async def on_order(o: BrokerOrder) -> None:
        await seen.put(o)

    stream = broker.order_stream(sleep=no_sleep)
    task = asyncio.create_task(stream.run(on_order))
    try:
        await fake.wait_stream(1)
        async with asyncio.timeout(DEADLINE):
            while not stream.connected:
                await asyncio.sleep(0.01)

        async def until(cid: str, status: OrderStatus) -> BrokerOrder:
            async with asyncio.timeout(DEADLINE):
                while True:
                    o = await seen.get()
                    if (o.client_order_id, o.status) == (cid, status):
                        return o

        await broker.submit(bracket())
        await until("p-1", OrderStatus.FILLED)
        await until("p-1-sl", OrderStatus.NEW)  # contingent, then live
        fake.move_price("AAPL", 177.0)
        stop = await until("p-1-sl", OrderStatus.FILLED)
        assert (stop.avg_fill_price, stop.legs) == (177.0, ())
        await until("p-1-tp", OrderStatus.CANCELED)
        assert not stream.problems  # the ComplexOrder messages are not order updates
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
