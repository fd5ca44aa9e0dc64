"""Alpaca brackets and OCO pairs as our books see them: legs under the parent's client id
plus "-sl" / "-tp" (REST look-ups, open orders, the trade stream, after a restart), stops
that trigger, one-cancels-other, cancels of a leg, time in force. The real alpaca-py SDK
talks to the loopback trading fake."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from brokers.alpaca.broker import AlpacaBroker
from brokers.alpaca.order_requests import BRACKET_AT_OPEN
from brokers.alpaca.stream import AlpacaTradeStream, Backoff
from brokers.alpaca.transport import RetryPolicy
from brokers.base import OrderRejectedError
from models.domain import BrokerOrder, OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading, FillPolicy


class Inbox:
    """The on_order callback: every delivered order, in order."""

    def __init__(self) -> None:
        self.seen: list[BrokerOrder] = []
        self._queue: asyncio.Queue[BrokerOrder] = asyncio.Queue()

    async def __call__(self, order: BrokerOrder) -> None:
        self.seen.append(order)
        await self._queue.put(order)

    async def take(self, n: int) -> list[BrokerOrder]:
        return [await asyncio.wait_for(self._queue.get(), 5.0) for _ in range(n)]


async def until(pred: Callable[[], bool], what: str) -> None:
    for _ in range(500):
        if pred():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"gave up waiting for {what}")


async def no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture
async def fake() -> AsyncIterator[FakeAlpacaTrading]:
    server = FakeAlpacaTrading(cash=100_000.0)
    server.set_policy("AAPL", FillPolicy("fill", price=190.0))
    server.set_policy("MSFT", FillPolicy("partial", price=400.0, qty=4))
    server.set_policy("TSLA", FillPolicy("new", price=250.0))
    await server.start()
    yield server
    await server.stop()


def make_broker(fake: FakeAlpacaTrading) -> AlpacaBroker:
    return AlpacaBroker(
        fake.key_id,
        fake.secret_key,
        url_override=fake.base_url,
        retry=RetryPolicy(attempts=2, base_delay=0.01),
        timeout=2.0,
        sleep=no_sleep,
        thread_sleep=lambda s: None,
    )


@pytest.fixture
def broker(fake: FakeAlpacaTrading) -> Iterator[AlpacaBroker]:
    b = make_broker(fake)
    yield b
    b.close()


@contextlib.asynccontextmanager
async def streaming(broker: AlpacaBroker) -> AsyncIterator[Inbox]:
    """The broker's own trade stream, subscribed; cancelled on exit."""
    stream: AlpacaTradeStream = broker.order_stream(backoff=Backoff(0.1, 0.5), sleep=no_sleep)
    inbox = Inbox()
    task = asyncio.create_task(stream.run(inbox))
    await until(lambda: stream.connected or task.done(), "the stream to subscribe")
    try:
        yield inbox
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert list(stream.problems) == []


def bracket(cid: str, symbol: str = "AAPL", qty: int = 10, **kw: Any) -> OrderRequest:
    kw.setdefault("take_profit", 210.0)
    kw.setdefault("stop_loss", 180.0)
    return OrderRequest(client_order_id=cid, symbol=symbol, side=Side.BUY, quantity=qty, **kw)


def oco(cid: str, qty: int = 10, **kw: Any) -> OrderRequest:
    return OrderRequest(
        client_order_id=cid,
        symbol="AAPL",
        side=Side.SELL,
        quantity=qty,
        take_profit=210.0,
        stop_loss=180.0,
        oco=True,
        **kw,
    )


def ids(orders: list[BrokerOrder]) -> set[str]:
    return {o.client_order_id for o in orders}


def state(o: BrokerOrder | None) -> tuple[str, OrderStatus, int]:
    assert o is not None
    return (o.client_order_id, o.status, o.filled_quantity)


async def test_a_filled_brackets_legs_are_ours(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    entry = await broker.submit(bracket("p-1", time_in_force=TimeInForce.GTC))
    assert state(entry) == ("p-1", OrderStatus.FILLED, 10)
    sl, tp = entry.legs
    assert (sl.client_order_id, sl.order_type, sl.stop_price) == ("p-1-sl", OrderType.STOP, 180)
    assert (tp.client_order_id, tp.order_type, tp.limit_price) == ("p-1-tp", OrderType.LIMIT, 210)
    assert sl.side is tp.side is Side.SELL and sl.quantity == tp.quantity == 10
    body = fake.submitted[0]
    assert (body["order_class"], body["time_in_force"]) == ("bracket", "gtc")
    for cid, role in (("p-1-sl", "stop"), ("p-1-tp", "target")):
        leg = await broker.order_by_client_id(cid)
        assert state(leg) == (cid, OrderStatus.NEW, 0)
        assert leg is not None and leg.broker_order_id == fake.leg("p-1", role)["id"]
    assert ids(await broker.open_orders()) == {"p-1-sl", "p-1-tp"}  # the entry is done
    assert await broker.order_by_client_id("p-2-sl") is None
    assert fake.calls("by_client_order_id")[-1].query["nested"] == "True"


async def test_held_legs_wait_for_the_entry(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    req = bracket("p-h", "TSLA", 5, order_type=OrderType.LIMIT, limit_price=240.0)
    req = req.model_copy(update={"take_profit": 260.0, "stop_loss": 230.0})
    entry = await broker.submit(req)
    assert state(entry) == ("p-h", OrderStatus.NEW, 0)
    assert [(leg.client_order_id, leg.reason) for leg in entry.legs] == [
        ("p-h-sl", "held"),
        ("p-h-tp", "held"),
    ]
    assert ids(await broker.open_orders()) == {"p-h"}  # held legs wait inside their parent
    assert [o["client_order_id"] for o in fake.listing("open", nested=False)] == ["p-h"]
    lookups = len(fake.calls("by_client_order_id"))
    assert await broker.refresh() == []  # the held legs came with their parent
    assert len(fake.calls("by_client_order_id")) == lookups
    fake.set_price("TSLA", 239.0)  # the entry fills at its limit; the legs go to work
    assert state((await broker.refresh())[0]) == ("p-h", OrderStatus.FILLED, 5)
    assert ids(await broker.open_orders()) == {"p-h-sl", "p-h-tp"}
    done = await broker.order_by_client_id("p-h")
    assert state(done) == ("p-h", OrderStatus.FILLED, 5) and done is not None
    assert [leg.reason for leg in done.legs] == ["", ""]


async def test_a_stop_triggers_at_the_gap_and_cancels_the_target(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    async with streaming(broker) as inbox:
        await broker.submit(bracket("p-s"))
        got = await inbox.take(4)  # the entry new and filled, its two legs at work
        assert [state(o) for o in got[:2]] == [
            ("p-s", OrderStatus.NEW, 0),
            ("p-s", OrderStatus.FILLED, 10),
        ]
        assert {state(o) for o in got[2:]} == {
            ("p-s-sl", OrderStatus.NEW, 0),
            ("p-s-tp", OrderStatus.NEW, 0),
        }
        assert ids(got[1].legs) == {"p-s-sl", "p-s-tp"}
        fake.set_price("AAPL", 175.0)  # gaps through the 180 stop
        stop, target = await inbox.take(2)
    assert state(stop) == ("p-s-sl", OrderStatus.FILLED, 10)
    assert [(f.quantity, f.price) for f in stop.fills] == [(10, 175.0)]
    assert state(target) == ("p-s-tp", OrderStatus.CANCELED, 0)
    assert await broker.positions() == []
    assert state(await broker.order_by_client_id("p-s-sl")) == ("p-s-sl", OrderStatus.FILLED, 10)
    assert await broker.open_orders() == []
    assert all(
        not u["data"]["order"]["client_order_id"].startswith("p-s-") for u in fake.stream.updates
    )


async def test_a_target_fills_and_cancels_the_stop(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    await broker.submit(bracket("p-t"))
    fake.set_price("AAPL", 212.0)
    target = await broker.order_by_client_id("p-t-tp")
    assert state(target) == ("p-t-tp", OrderStatus.FILLED, 10)
    assert target is not None and target.avg_fill_price == 210.0  # at its limit
    assert state(await broker.order_by_client_id("p-t-sl")) == ("p-t-sl", OrderStatus.CANCELED, 0)
    changed = await broker.refresh()
    assert {(o.client_order_id, o.status) for o in changed} >= {
        ("p-t-tp", OrderStatus.FILLED),
        ("p-t-sl", OrderStatus.CANCELED),
    }


async def test_an_entry_cancelled_after_a_partial_fill_protects_what_filled(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    req = bracket("p-m", "MSFT", 10, take_profit=420.0, stop_loss=390.0)
    entry = await broker.submit(req)
    assert state(entry) == ("p-m", OrderStatus.PARTIALLY_FILLED, 4)
    assert ids(await broker.open_orders()) == {"p-m"}
    done = await broker.cancel("p-m")
    assert state(done) == ("p-m", OrderStatus.CANCELED, 4)
    legs = await broker.open_orders()
    assert {(o.client_order_id, o.quantity) for o in legs} == {("p-m-sl", 4), ("p-m-tp", 4)}


async def test_an_oco_pair_one_leg_partly_then_the_other(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    fake.add_position("AAPL", 10, 190.0)
    async with streaming(broker) as inbox:
        pair = await broker.submit(oco("x-oco", time_in_force=TimeInForce.GTC))
        assert state(pair) == ("x-oco", OrderStatus.NEW, 0) and pair.fills == ()
        assert [(leg.client_order_id, leg.status) for leg in pair.legs] == [
            ("x-oco-sl", OrderStatus.NEW),
            ("x-oco-tp", OrderStatus.NEW),
        ]
        body = fake.submitted[0]
        assert (body["order_class"], body["type"], body["time_in_force"]) == ("oco", "limit", "gtc")
        assert "limit_price" not in body and float(body["take_profit"]["limit_price"]) == 210
        assert ids(await inbox.take(2)) == {"x-oco-tp", "x-oco-sl"}  # both work at once
        assert ids(await broker.open_orders()) == {"x-oco-sl", "x-oco-tp"}  # not the pair
        fake.fill_leg("x-oco", "target", 4, 210.0)
        [part] = await inbox.take(1)
        assert state(part) == ("x-oco-tp", OrderStatus.PARTIALLY_FILLED, 4)
        box = await broker.order_by_client_id("x-oco")
        assert state(box) == ("x-oco", OrderStatus.PARTIALLY_FILLED, 4) and box is not None
        assert box.fills == () and box.avg_fill_price == 210.0  # the fills are the legs'
        stop = await broker.order_by_client_id("x-oco-sl")
        assert stop is not None and stop.quantity == 6  # a fill of one shrinks the other
        fake.set_price("AAPL", 179.0)
        stop_fill, target_end = await inbox.take(2)
    assert state(stop_fill) == ("x-oco-sl", OrderStatus.FILLED, 6)
    assert stop_fill.fills[0].price == 179.0
    assert state(target_end) == ("x-oco-tp", OrderStatus.CANCELED, 4)
    box = await broker.order_by_client_id("x-oco")
    assert state(box) == ("x-oco", OrderStatus.FILLED, 10) and box is not None
    assert box.avg_fill_price == pytest.approx((4 * 210 + 6 * 179) / 10)
    assert await broker.positions() == []


async def test_cancelling_a_leg_cancels_both(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    await broker.submit(bracket("p-c"))
    gone = await broker.cancel("p-c-tp")
    assert state(gone) == ("p-c-tp", OrderStatus.CANCELED, 0)
    assert fake.leg("p-c", "stop")["status"] == "canceled"  # Alpaca took the sibling along
    again = await broker.cancel("p-c-sl")  # already gone: said so, nothing sent
    assert state(again) == ("p-c-sl", OrderStatus.CANCELED, 0)
    assert len(fake.calls("^/v2/orders/", "DELETE")) == 1
    fake.add_position("AAPL", 10, 190.0)
    await broker.submit(oco("x-c"))
    assert state(await broker.cancel("x-c-sl")) == ("x-c-sl", OrderStatus.CANCELED, 0)
    assert state(await broker.order_by_client_id("x-c")) == ("x-c", OrderStatus.CANCELED, 0)
    assert fake.leg("x-c", "target")["status"] == "canceled"
    assert await broker.open_orders() == []


async def test_a_new_instance_still_knows_the_legs(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    await broker.submit(bracket("p-r"))
    fake.add_position("AAPL", 10, 190.0)
    await broker.submit(oco("x-r", qty=5))
    fresh = make_broker(fake)
    try:
        assert state(await fresh.order_by_client_id("p-r-tp")) == ("p-r-tp", OrderStatus.NEW, 0)
        assert state(await fresh.order_by_client_id("x-r-tp")) == ("x-r-tp", OrderStatus.NEW, 0)
    finally:
        fresh.close()
    # a venue that lists a filled parent's legs on their own: the parents are looked up
    fake.unnest_filled_parents = True
    fresh = make_broker(fake)
    try:
        assert ids(await fresh.open_orders()) == {"p-r-sl", "p-r-tp", "x-r-sl", "x-r-tp"}
        scans = [c for c in fake.calls("^/v2/orders$") if c.query.get("status") == "all"]
        assert len(scans) == 1 and scans[0].query["nested"] == "True"
    finally:
        fresh.close()
    fresh = make_broker(fake)  # its stream meets a leg before anything was read
    try:
        async with streaming(fresh) as inbox:
            fake.set_price("AAPL", 178.0)
            got = await inbox.take(4)
        assert {state(o) for o in got} == {
            ("p-r-sl", OrderStatus.FILLED, 10),
            ("p-r-tp", OrderStatus.CANCELED, 0),
            ("x-r-sl", OrderStatus.FILLED, 5),
            ("x-r-tp", OrderStatus.CANCELED, 0),
        }
    finally:
        fresh.close()


async def test_a_bracket_at_the_open_is_refused_and_nothing_sent(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    with pytest.raises(OrderRejectedError) as e:
        await broker.submit(bracket("p-o", time_in_force=TimeInForce.OPG))
    assert str(e.value) == BRACKET_AT_OPEN
    with pytest.raises(OrderRejectedError, match="opg"):
        await broker.submit(oco("x-o", time_in_force=TimeInForce.OPG))
    assert fake.calls("^/v2/orders$", "POST") == [] and fake.orders == {}
    plain = await broker.submit(
        OrderRequest(
            client_order_id="p-open",
            symbol="TSLA",
            side=Side.BUY,
            quantity=1,
            time_in_force=TimeInForce.OPG,
        )
    )
    assert plain.status is OrderStatus.NEW and fake.submitted[0]["time_in_force"] == "opg"


async def test_legs_on_the_wrong_side_of_the_market_are_refused_by_the_venue(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    with pytest.raises(OrderRejectedError, match=r"take_profit.limit_price must be >= base_price"):
        await broker.submit(bracket("p-w", take_profit=185.0, stop_loss=170.0))  # market 190
    assert fake.calls("^/v2/orders$", "POST")[0].status == 422 and fake.orders == {}
    with pytest.raises(OrderRejectedError, match=r"stop_loss.stop_price must be <= base_price"):
        await broker.submit(bracket("p-w2", take_profit=200.0, stop_loss=195.0))
    assert fake.orders == {}


async def test_legs_are_read_by_id_where_a_client_id_lookup_does_not_nest(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    await broker.submit(bracket("p-n"))
    fake.nest_on_client_lookup = False
    fresh = make_broker(fake)
    try:
        assert state(await fresh.order_by_client_id("p-n-sl")) == ("p-n-sl", OrderStatus.NEW, 0)
        entry = await fresh.order_by_client_id("p-n")
        assert entry is not None and ids(list(entry.legs)) == {"p-n-sl", "p-n-tp"}
        by_id = fake.calls(r"^/v2/orders/[0-9a-f-]+$")
        assert by_id and all(c.query.get("nested") == "True" for c in by_id)
    finally:
        fresh.close()


async def test_an_oco_pair_keeps_its_size_when_the_stop_fills_first(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    fake.add_position("AAPL", 10, 190.0)
    await broker.submit(oco("x-s"))
    fake.fill_leg("x-s", "stop", 3, 179.0)
    target = await broker.order_by_client_id("x-s-tp")
    assert target is not None and target.quantity == 7
    fake.set_price("AAPL", 211.0)
    box = await broker.order_by_client_id("x-s")
    assert state(box) == ("x-s", OrderStatus.FILLED, 10) and box is not None
    assert box.quantity == 10 and [leg.filled_quantity for leg in box.legs] == [3, 7]
