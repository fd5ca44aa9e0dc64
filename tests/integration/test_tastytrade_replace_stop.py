"""Moving a working stop at Tastytrade (StopMover), the real tastytrade SDK against the loopback
API: a standalone stop is replaced in place (PUT /orders/{id}); a protective pair's stop (OCO,
OTOCO) is moved by a dry run, a cancel of the complex order and a new OCO (the SDK and the API
have no complex-order replace: brokers/tastytrade/replace.py). One-cancels-other holds with the
target, a repeated new id sends nothing, refusals carry the venue's words and no secret."""

from __future__ import annotations

import pytest

from brokers.base import BrokerError, OrderRejectedError, StopMover
from brokers.tastytrade import TastytradeBroker
from models.domain import OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from tests.fakes.tastytrade import FakeTastytrade
from tests.integration.test_tastytrade_protective import (
    REFRESH,
    SECRET,
    bracket,
    broker,
    by_id,
    fake,
    make,
    no_sleep,
    oco,
    posts,
)

__all__ = ["broker", "fake"]  # the fixtures, shared with the protective orders' tests

N = "5WT00001"
ONE = r"/orders/\d+$"


def stop(cid: str = "st-1", price: float = 180.0, quantity: int = 10) -> OrderRequest:
    """A standalone protective stop for a long AAPL position (the fake's price: 190)."""
    return OrderRequest(
        client_order_id=cid,
        symbol="AAPL",
        side=Side.SELL,
        quantity=quantity,
        order_type=OrderType.STOP,
        stop_price=price,
        time_in_force=TimeInForce.GTC,
    )


def sent(fake: FakeTastytrade) -> tuple[int, int, int]:
    """(PUTs of an order, DELETEs of a complex order, POSTs of a complex order) so far."""
    return (
        len(fake.calls(ONE, "PUT")),
        len(fake.calls(r"/complex-orders/\d+$", "DELETE")),
        posts(fake, r"/complex-orders$"),
    )


async def test_a_standalone_stop_is_replaced_in_place(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    assert isinstance(broker, StopMover)
    fake.add_position("AAPL", 10, 150.0)
    old = await broker.submit(stop())
    assert (old.status, old.order_type, old.stop_price) == (OrderStatus.NEW, OrderType.STOP, 180)
    body = fake.calls(r"/orders$", "POST")[0].body
    assert (body["order-type"], body["stop-trigger"], body["time-in-force"]) == (
        "Stop",
        "180.0",
        "GTC",
    )
    assert body["legs"][0]["action"] == "Sell to Close"

    new = await broker.replace_stop("st-1", 185.0, "st-2")
    assert (new.client_order_id, new.status, new.order_type) == (
        "st-2",
        OrderStatus.NEW,
        OrderType.STOP,
    )
    assert (new.stop_price, new.side, new.quantity) == (185.0, Side.SELL, 10)
    [put] = fake.calls(ONE, "PUT")
    assert put.path == f"/accounts/{N}/orders/{old.broker_order_id}"
    assert "legs" not in put.body and put.body["external-identifier"] == "st-2"
    assert (put.body["order-type"], put.body["stop-trigger"], put.body["time-in-force"]) == (
        "Stop",
        "185.0",
        "GTC",
    )
    [venue_new] = fake.orders_with("st-2")
    assert venue_new["id"] == int(new.broker_order_id) != int(old.broker_order_id)
    assert venue_new["replaces-order-id"] == int(old.broker_order_id)
    venue_old = fake.orders[int(old.broker_order_id)]
    assert (venue_old["status"], venue_old["replacing-order-id"]) == ("Cancelled", venue_new["id"])
    assert (await by_id(broker, "st-1")).status is OrderStatus.CANCELED
    assert [o.client_order_id for o in await broker.open_orders()] == ["st-2"]

    again = await broker.replace_stop("st-1", 186.0, "st-2")  # a retry: nothing is sent
    assert again == await by_id(broker, "st-2") and again.stop_price == 185
    assert sent(fake) == (1, 0, 0)
    fake.move_price("AAPL", 184.0)  # through the moved stop
    filled = await by_id(broker, "st-2")
    assert (filled.status, filled.avg_fill_price) == (OrderStatus.FILLED, 184.0)
    assert fake.positions[N] == []


async def test_a_brackets_stop_moves_as_a_new_oco_and_the_target_still_cancels_it(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    await broker.submit(bracket())  # p-1: filled at 190, target 200, stop 180
    moved = await broker.replace_stop("p-1-sl", 185.0, "mv-1")
    assert (moved.client_order_id, moved.status, moved.order_type) == (
        "mv-1",
        OrderStatus.NEW,
        OrderType.STOP,
    )
    assert (moved.stop_price, moved.side, moved.quantity) == (185.0, Side.SELL, 10)
    # a dry run of the new pair, the old complex order cancelled, the new pair placed
    assert len(fake.calls(r"/complex-orders/dry-run$", "POST")) == 1
    assert sent(fake) == (0, 1, 2)
    body = fake.calls(r"/complex-orders$", "POST")[1].body
    assert body["type"] == "OCO" and "trigger-order" not in body
    tp, sl = body["orders"]
    assert (tp["external-identifier"], tp["order-type"], tp["price"], tp["time-in-force"]) == (
        "mv-1-tp",
        "Limit",
        "200.0",
        "GTC",
    )
    assert (sl["external-identifier"], sl["order-type"], sl["stop-trigger"]) == (
        "mv-1",
        "Stop",
        "185.0",
    )
    assert {o["legs"][0]["action"] for o in (tp, sl)} == {"Sell to Close"}
    assert {o["legs"][0]["quantity"] for o in (tp, sl)} == {10}
    [old_sl] = fake.orders_with("p-1-sl")
    assert old_sl["status"] == "Cancelled"
    assert (await by_id(broker, "p-1-sl")).status is OrderStatus.CANCELED
    assert (await by_id(broker, "p-1-tp")).status is OrderStatus.CANCELED
    assert sorted(o.client_order_id for o in await broker.open_orders()) == ["mv-1", "mv-1-tp"]

    fake.move_price("AAPL", 201.0)  # the target fills: the moved stop goes with it
    target, gone = await by_id(broker, "mv-1-tp"), await by_id(broker, "mv-1")
    assert (target.status, target.filled_quantity) == (OrderStatus.FILLED, 10)
    assert (gone.status, gone.filled_quantity) == (OrderStatus.CANCELED, 0)
    assert fake.positions[N] == [] and await broker.open_orders() == []


async def test_an_ocos_moved_stop_triggers_and_cancels_the_target(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    fake.add_position("AAPL", 10, 150.0)
    await broker.submit(oco())  # p-2: target 200, stop 180
    await broker.refresh()
    await broker.replace_stop("p-2-sl", 186.0, "mv-2")
    fake.move_price("AAPL", 184.0)  # through the moved stop, above the old one
    changed = {o.client_order_id: o.status for o in await broker.refresh()}
    assert changed == {
        "p-2-sl": OrderStatus.CANCELED,
        "p-2-tp": OrderStatus.CANCELED,
        "mv-2": OrderStatus.FILLED,
        "mv-2-tp": OrderStatus.CANCELED,
    }
    assert (await by_id(broker, "mv-2")).avg_fill_price == 184.0
    assert fake.positions[N] == []


async def test_the_same_new_id_twice_moves_once(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    await broker.submit(bracket())
    first = await broker.replace_stop("p-1-sl", 185.0, "mv-3")
    assert (await broker.replace_stop("p-1-sl", 187.0, "mv-3")) == first
    other = make(fake)  # a restart: found at the venue by its external identifier
    try:
        assert (await other.replace_stop("p-1-sl", 187.0, "mv-3")).broker_order_id == (
            first.broker_order_id
        )
    finally:
        await other.close()
    assert sent(fake) == (0, 1, 2) and len(fake.orders_with("mv-3")) == 1
    again = await broker.replace_stop("mv-3", 186.0, "mv-4")  # the moved stop moves again
    assert again.stop_price == 186.0 and sent(fake) == (0, 2, 3)
    assert sorted(o.client_order_id for o in await broker.open_orders()) == ["mv-4", "mv-4-tp"]


async def test_an_unanswered_replace_is_looked_up_before_it_is_sent_again(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    fake.add_position("AAPL", 20, 150.0)
    await broker.submit(stop("st-a"))
    await broker.submit(stop("st-b"))
    fake.fail_next(ONE, 504, method="PUT", create=True)  # replaced, then the reply is lost
    assert (await broker.replace_stop("st-a", 185.0, "mv-a")).stop_price == 185
    assert len(fake.calls(ONE, "PUT")) == 1 and len(fake.orders_with("mv-a")) == 1
    fake.fail_next(ONE, 503, method="PUT")  # not replaced: sent once more
    assert (await broker.replace_stop("st-b", 185.0, "mv-b")).stop_price == 185
    assert len(fake.calls(ONE, "PUT")) == 3 and len(fake.orders_with("mv-b")) == 1


async def test_a_stop_that_no_longer_works_is_refused(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    await broker.submit(bracket())
    fake.move_price("AAPL", 179.0)  # the stop fills
    with pytest.raises(OrderRejectedError) as e:
        await broker.replace_stop("p-1-sl", 175.0, "mv-5")
    assert str(e.value) == "stop p-1-sl is filled, not working: there is nothing to move"
    with pytest.raises(OrderRejectedError, match="no order with client id nope"):
        await broker.replace_stop("nope", 175.0, "mv-5")
    fake.move_price("AAPL", 190.0)
    await broker.submit(bracket("p-w", order_type=OrderType.LIMIT, limit_price=185.0))
    with pytest.raises(OrderRejectedError, match="waits for its entry to fill"):
        await broker.replace_stop("p-w-sl", 182.0, "mv-5")
    with pytest.raises(OrderRejectedError, match="is a limit order, not a stop"):
        await broker.replace_stop("p-w-tp", 182.0, "mv-5")
    fake.add_position("AAPL", 10, 150.0)
    await broker.submit(oco("p-o"))
    with pytest.raises(OrderRejectedError, match="an OCO pair; move its stop, p-o-sl"):
        await broker.replace_stop("p-o", 182.0, "mv-5")
    assert sent(fake) == (0, 0, 3) and fake.orders_with("mv-5") == []
    # our view says working, the venue is cancelling it: its 422, in its words
    await broker.submit(stop("st-c"))
    fake.orders_with("st-c")[0]["status"] = "Cancel Requested"
    with pytest.raises(OrderRejectedError) as e:
        await broker.replace_stop("st-c", 185.0, "mv-5")
    assert str(e.value) == (
        "Tastytrade refused to move stop st-c to 185.00: HTTP 422 order is Cancel Requested"
    )
    assert fake.orders_with("mv-5") == []


async def test_a_stop_on_the_wrong_side_is_refused_and_nothing_is_cancelled(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    await broker.submit(bracket())  # AAPL at 190
    for price in (190.0, 195.0):
        with pytest.raises(OrderRejectedError) as e:
            await broker.replace_stop("p-1-sl", price, "mv-6")
        assert str(e.value) == (
            f"Tastytrade refused to move stop p-1-sl to {price:.2f}: HTTP 422 One or more "
            f"preflight checks failed: Stop trigger {price:g} must be below the current price "
            "190 for a sell stop"
        )
    assert sent(fake) == (0, 0, 1)  # dry runs only: the pair still works
    assert sorted(o.client_order_id for o in await broker.open_orders()) == ["p-1-sl", "p-1-tp"]
    fake.add_position("AAPL", 10, 150.0)
    await broker.submit(stop("st-d"))
    with pytest.raises(OrderRejectedError, match="Stop trigger 191 must be below"):
        await broker.replace_stop("st-d", 191.0, "mv-6")
    with pytest.raises(OrderRejectedError, match="positive stop price"):
        await broker.replace_stop("st-d", -5.0, "mv-6")
    assert (await by_id(broker, "st-d")).status is OrderStatus.NEW
    assert fake.orders_with("mv-6") == []


async def test_a_pair_refused_after_the_cancel_says_the_position_is_bare(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    await broker.submit(bracket())
    fake.reject_next_order("Insufficient buying power")  # the new pair's POST fails
    with pytest.raises(BrokerError) as e:
        await broker.replace_stop("p-1-sl", 185.0, "mv-7")
    assert not isinstance(e.value, OrderRejectedError)
    assert "was cancelled with its target, but the new pair was refused" in str(e.value)
    assert "Insufficient buying power" in str(e.value)
    assert "AAPL has no stop at Tastytrade now" in str(e.value)


async def test_no_secret_in_any_error(fake: FakeTastytrade, broker: TastytradeBroker) -> None:
    errors: list[BrokerError] = []
    fake.add_position("AAPL", 10, 150.0)
    await broker.submit(stop("st-s"))
    for price in (195.0, -1.0):
        with pytest.raises(OrderRejectedError) as e:
            await broker.replace_stop("st-s", price, "mv-s")
        errors.append(e.value)
    fake.fail_next(ONE, 500, method="PUT", times=10)
    with pytest.raises(BrokerError) as e:
        await broker.replace_stop("st-s", 185.0, "mv-s")
    errors.append(e.value)
    locked_out = TastytradeBroker(
        SECRET, REFRESH + "-wrong", api_base=fake.base_url, sleep=no_sleep, timeout=5.0
    )
    try:
        with pytest.raises(BrokerError) as e:
            await locked_out.replace_stop("st-s", 185.0, "mv-s")
        errors.append(e.value)
    finally:
        await locked_out.close()
    assert "login failed" in str(errors[-1])
    for secret in (SECRET, REFRESH, *fake.tokens_issued):
        assert all(secret not in str(x) and secret not in repr(x) for x in errors)
