"""Moving a working stop at Alpaca (StopMover): the real alpaca-py TradingClient sends PATCH
/v2/orders/{id} to the loopback trading fake, which replaces the order as Alpaca does (a new
order naming the one it replaces, the old one ``replaced``, a leg's successor still a leg of
its parent). Brackets, OCO pairs and standalone stops; one-cancels-other kept; one PATCH per
new id; refusals with the venue's words and never a key in them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loguru import logger

from brokers.alpaca.broker import AlpacaBroker
from brokers.base import BrokerError, OrderRejectedError, StopMover
from models.domain import OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading
from tests.integration.test_alpaca_protective import (
    bracket,
    broker,
    fake,
    ids,
    make_broker,
    oco,
    state,
    streaming,
)

__all__ = ["broker", "fake"]  # the fixtures, shared with the protective orders' tests

PATCH = r"^/v2/orders/[0-9a-f-]+$"


def patches(fake: FakeAlpacaTrading) -> int:
    return len(fake.calls(PATCH, "PATCH"))


@pytest.fixture
def logs() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(lines.append, level="DEBUG", format="{message}")
    yield lines
    logger.remove(sink)


async def test_a_brackets_stop_moves_in_place_and_triggers_cancelling_the_target(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    assert isinstance(broker, StopMover)
    entry = await broker.submit(bracket("p-1", time_in_force=TimeInForce.GTC))
    old = entry.legs[0]
    assert (old.client_order_id, old.stop_price) == ("p-1-sl", 180.0)

    new = await broker.replace_stop("p-1-sl", 185.0, "mv-1")
    assert (new.client_order_id, new.order_type, new.stop_price) == ("mv-1", OrderType.STOP, 185)
    assert (new.status, new.side, new.quantity) == (OrderStatus.NEW, Side.SELL, 10)
    # one PATCH of the old leg's Alpaca id, with the new price and client id
    [call] = fake.calls(PATCH, "PATCH")
    assert call.path == f"/v2/orders/{old.broker_order_id}"
    assert fake.replaced == [{"stop_price": 185.0, "client_order_id": "mv-1"}]
    at_venue = fake.orders[new.broker_order_id]
    assert (at_venue["stop_price"], at_venue["replaces"], at_venue["client_order_id"]) == (
        "185",
        old.broker_order_id,
        "mv-1",
    )
    assert (at_venue["time_in_force"], at_venue["qty"], at_venue["order_class"]) == (
        "gtc",
        "10",
        "bracket",
    )
    assert fake.orders[old.broker_order_id]["status"] == "replaced"
    gone = await broker.order_by_client_id("p-1-sl")
    assert state(gone) == ("p-1-sl", OrderStatus.CANCELED, 0) and gone is not None
    assert gone.reason == "replaced" and gone.stop_price == 180
    assert state(await broker.order_by_client_id("mv-1")) == ("mv-1", OrderStatus.NEW, 0)
    assert ids(await broker.open_orders()) == {"mv-1", "p-1-tp"}
    parent = await broker.order_by_client_id("p-1")
    assert parent is not None and ids(list(parent.legs)) == {"p-1-sl", "p-1-tp", "mv-1"}

    fake.set_price("AAPL", 183.0)  # through the moved stop, not through the old one
    assert state(await broker.order_by_client_id("mv-1")) == ("mv-1", OrderStatus.FILLED, 10)
    target = await broker.order_by_client_id("p-1-tp")
    assert state(target) == ("p-1-tp", OrderStatus.CANCELED, 0)
    assert await broker.positions() == [] and await broker.open_orders() == []
    changed = {o.client_order_id: o.status for o in await broker.refresh()}
    assert changed["mv-1"] is OrderStatus.FILLED and changed["p-1-sl"] is OrderStatus.CANCELED


async def test_an_ocos_target_fills_and_cancels_the_moved_stop(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    fake.add_position("AAPL", 10, 190.0)
    async with streaming(broker) as inbox:
        await broker.submit(oco("x-1", time_in_force=TimeInForce.GTC))
        assert ids(await inbox.take(2)) == {"x-1-sl", "x-1-tp"}
        moved = await broker.replace_stop("x-1-sl", 186.0, "mv-2")
        replaced, placed = await inbox.take(2)  # each under our own id
        assert state(replaced) == ("x-1-sl", OrderStatus.CANCELED, 0)
        assert state(placed) == ("mv-2", OrderStatus.NEW, 0) and placed.stop_price == 186
        box = await broker.order_by_client_id("x-1")
        assert state(box) == ("x-1", OrderStatus.NEW, 0) and box is not None
        assert box.stop_price == 186 and box.limit_price == 210  # the pair's working prices
        assert ids(list(box.legs)) == {"x-1-sl", "x-1-tp", "mv-2"}
        assert ids(await broker.open_orders()) == {"mv-2", "x-1-tp"}
        fake.set_price("AAPL", 211.0)
        target, stop = await inbox.take(2)
    assert moved.broker_order_id == stop.broker_order_id
    assert state(target) == ("x-1-tp", OrderStatus.FILLED, 10)
    assert state(stop) == ("mv-2", OrderStatus.CANCELED, 0)
    assert fake.orders[moved.broker_order_id]["status"] == "canceled"
    box = await broker.order_by_client_id("x-1")
    assert state(box) == ("x-1", OrderStatus.FILLED, 10)
    assert await broker.positions() == []


async def test_the_same_new_id_twice_sends_one_patch(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    await broker.submit(bracket("p-2"))
    first = await broker.replace_stop("p-2-sl", 184.0, "mv-3")
    again = await broker.replace_stop("p-2-sl", 186.0, "mv-3")  # a retry of the same move
    assert again.broker_order_id == first.broker_order_id and again.stop_price == 184
    fresh = make_broker(fake)  # after a restart
    try:
        restarted = await fresh.replace_stop("p-2-sl", 186.0, "mv-3")
        assert restarted.broker_order_id == first.broker_order_id
    finally:
        fresh.close()
    assert patches(fake) == 1 and len(fake.orders_for("mv-3")) == 1
    second = await broker.replace_stop("mv-3", 187.0, "mv-4")  # moved again
    assert second.stop_price == 187 and patches(fake) == 2
    assert ids(await broker.open_orders()) == {"mv-4", "p-2-tp"}


async def test_an_unanswered_patch_is_looked_up_then_sent_once_more(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    await broker.submit(bracket("p-3"))
    fake.fail_next(PATCH, 504, method="PATCH")  # the gateway gives up before the venue acts
    moved = await broker.replace_stop("p-3-sl", 185.0, "mv-5")
    assert state(moved) == ("mv-5", OrderStatus.NEW, 0)
    assert [c.status for c in fake.calls(PATCH, "PATCH")] == [504, 200]
    lookups = [c.query["client_order_id"] for c in fake.calls("by_client_order_id")]
    assert lookups.count("mv-5") >= 2  # before the first PATCH and after its failure
    assert len(fake.orders_for("mv-5")) == 1 and len(fake.replaced) == 1


async def test_a_stop_that_no_longer_works_is_refused(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    await broker.submit(bracket("p-4"))
    fake.set_price("AAPL", 175.0)  # the stop fills
    with pytest.raises(OrderRejectedError) as e:
        await broker.replace_stop("p-4-sl", 170.0, "mv-6")
    assert str(e.value) == "stop p-4-sl is filled, not working: there is nothing to move"
    with pytest.raises(OrderRejectedError, match="no order with client id nope"):
        await broker.replace_stop("nope", 170.0, "mv-6")
    fake.set_price("AAPL", 190.0)  # back where it was
    await broker.submit(bracket("p-5"))
    with pytest.raises(OrderRejectedError, match="is a limit order, not a stop"):
        await broker.replace_stop("p-5-tp", 185.0, "mv-6")
    with pytest.raises(OrderRejectedError, match="move its stop, p-5-sl"):
        await broker.replace_stop("p-5", 185.0, "mv-6")
    assert patches(fake) == 0
    # our view says working, the venue has it on its way out: its 422, in its words
    fake.leg("p-5", "stop")["status"] = "pending_cancel"
    with pytest.raises(OrderRejectedError) as e:
        await broker.replace_stop("p-5-sl", 185.0, "mv-6")
    assert str(e.value) == (
        "Alpaca refused to move stop p-5-sl to 185.00: "
        'order is not replaceable: it is "pending_cancel"'
    )
    assert patches(fake) == 1 and fake.orders_for("mv-6") == []


async def test_a_held_stop_waits_for_its_entry(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    req = bracket("p-h", "TSLA", 5, order_type=OrderType.LIMIT, limit_price=240.0)
    await broker.submit(req.model_copy(update={"take_profit": 260.0, "stop_loss": 230.0}))
    with pytest.raises(OrderRejectedError, match=r"waits for its entry to fill \(held\)"):
        await broker.replace_stop("p-h-sl", 232.0, "mv-7")
    assert patches(fake) == 0


async def test_a_stop_on_the_wrong_side_is_refused_by_the_venue(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    await broker.submit(bracket("p-6"))  # AAPL at 190
    for price in (190.0, 195.0):
        with pytest.raises(OrderRejectedError) as e:
            await broker.replace_stop("p-6-sl", price, "mv-8")
        assert str(e.value) == (
            f"Alpaca refused to move stop p-6-sl to {price:.2f}: "
            "stop_price must be <= base_price - 0.01"
        )
    with pytest.raises(OrderRejectedError, match="positive stop price"):
        await broker.replace_stop("p-6-sl", 0.0, "mv-8")
    assert [c.status for c in fake.calls(PATCH, "PATCH")] == [422, 422]
    assert fake.replaced == [] and fake.orders_for("mv-8") == []
    assert state(await broker.order_by_client_id("p-6-sl")) == ("p-6-sl", OrderStatus.NEW, 0)


async def test_a_standalone_protective_stop_is_placed_and_moved(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    fake.add_position("TSLA", 10, 250.0)  # TSLA orders stay working at the fake
    stop = await broker.submit(
        OrderRequest(
            client_order_id="st-1",
            symbol="TSLA",
            side=Side.SELL,
            quantity=10,
            order_type=OrderType.STOP,
            stop_price=240.0,
            time_in_force=TimeInForce.GTC,
        )
    )
    assert (stop.status, stop.order_type, stop.stop_price) == (OrderStatus.NEW, "stop", 240)
    body = fake.submitted[0]
    assert (body["type"], float(body["stop_price"]), body["time_in_force"]) == ("stop", 240, "gtc")
    moved = await broker.replace_stop("st-1", 245.0, "st-2")
    assert (moved.client_order_id, moved.stop_price, moved.quantity) == ("st-2", 245, 10)
    assert fake.orders[moved.broker_order_id]["order_class"] == "simple"
    assert state(await broker.order_by_client_id("st-1")) == ("st-1", OrderStatus.CANCELED, 0)
    assert ids(await broker.open_orders()) == {"st-2"}
    fake.set_price("TSLA", 244.0)
    assert state(await broker.order_by_client_id("st-2")) == ("st-2", OrderStatus.FILLED, 10)
    assert await broker.positions() == []


async def test_no_key_in_any_error(logs: list[str]):
    """A careless venue echoes the keys it was sent: the errors still carry none."""
    fake = FakeAlpacaTrading(cash=100_000.0, echo_keys=True)
    await fake.start()
    good = make_broker(fake)
    bad = AlpacaBroker(
        fake.key_id, "wrong-secret-value-xyz", url_override=fake.base_url, timeout=2.0
    )
    errors: list[BrokerError] = []
    try:
        fake.add_position("TSLA", 10, 250.0)
        await good.submit(
            OrderRequest(
                client_order_id="st-k",
                symbol="TSLA",
                side=Side.SELL,
                quantity=10,
                order_type=OrderType.STOP,
                stop_price=240.0,
            )
        )
        with pytest.raises(BrokerError) as e:
            await bad.replace_stop("st-k", 245.0, "mv-k")
        assert "403" in str(e.value)
        errors.append(e.value)
        with pytest.raises(OrderRejectedError) as e:
            await good.replace_stop("st-k", 255.0, "mv-k")
        errors.append(e.value)
        for call in (  # every other call of the bad keys: the transport scrubs them all
            bad.order_by_client_id("st-k"),
            bad.open_orders(),
            bad.account(),
            bad.cancel("st-k"),
            bad.submit(
                OrderRequest(client_order_id="x-1", symbol="TSLA", side=Side.BUY, quantity=1)
            ),
        ):
            with pytest.raises(BrokerError) as e:
                await call
            errors.append(e.value)
    finally:
        good.close()
        bad.close()
        await fake.stop()
    for secret in (fake.key_id, fake.secret_key, "wrong-secret-value-xyz"):
        assert all(secret not in str(x) and secret not in repr(x) for x in errors)
        assert all(secret not in line for line in logs)
