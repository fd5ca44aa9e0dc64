"""Option orders (1-4 legs) at Tastytrade: TastytradeBroker, the real tastytrade SDK over HTTP,
against the loopback Tastytrade API, which takes option orders as the venue documents them
(padded OCC symbols, per-leg actions, an unsigned price with a Credit/Debit effect) and fills
them against its option quotes (sells at the bid, buys at the ask).

Quotes used throughout (per share): SPY 500 put 2.50/2.60, 495 put 1.30/1.40, 480 put
0.60/0.70. The bull put spread 500/495 thus trades at a 1.10 credit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
from tastytrade import version_str

from brokers.base import OrderRejectedError
from brokers.tastytrade import BrokerDataError, TastytradeBroker
from brokers.tastytrade.option_orders import to_option_order
from models.domain import (
    BrokerOrder,
    OrderLeg,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
)
from tests.fakes.tastytrade import FakeTastytrade
from tests.integration import test_tastytrade_broker as broker_tests
from tests.integration.test_tastytrade_broker import Sleeps, make

fake_base, sleeps = broker_tests.fake, broker_tests.sleeps  # the broker tests' fixtures
DEADLINE = 5.0  # safety net for waits, never asserted
JAN = date(2027, 1, 15)
P500, P495, P480 = "SPY270115P00500000", "SPY270115P00495000", "SPY270115P00480000"
PADDED = {s: s[:3] + "   " + s[3:] for s in (P500, P495, P480)}
ACCOUNT = "5WT00001"


@pytest.fixture
async def fake(fake_base: FakeTastytrade) -> FakeTastytrade:
    fake_base.options.add_chain("SPY", {JAN: [480, 495, 500]}, spot=520.0)
    fake_base.quote_option(P500, 2.50, 2.60)
    fake_base.quote_option(P495, 1.30, 1.40)
    fake_base.quote_option(P480, 0.60, 0.70)
    return fake_base


@pytest.fixture
async def broker(fake: FakeTastytrade, sleeps: Sleeps) -> AsyncIterator[TastytradeBroker]:
    b = make(fake, sleeps)
    yield b
    await b.close()


def spread(cid: str = "sp-1", qty: int = 2, price: float = 1.05, **kw: object) -> OrderRequest:
    """Sell the SPY 500/495 bull put spread for a net credit of `price`."""
    fields: dict[str, object] = {
        "client_order_id": cid,
        "symbol": "SPY",
        "side": Side.SELL,
        "quantity": qty,
        "order_type": OrderType.LIMIT,
        "limit_price": price,
        "legs": (OrderLeg(symbol=P500, side=Side.SELL), OrderLeg(symbol=P495, side=Side.BUY)),
    }
    return OrderRequest(**(fields | kw))  # type: ignore[arg-type]


def close_spread(cid: str = "cl-1", qty: int = 2, price: float = 1.50) -> OrderRequest:
    """Buy the spread back for a net debit of `price`."""
    return spread(
        cid,
        qty,
        price,
        side=Side.BUY,
        legs=(
            OrderLeg(symbol=P500, side=Side.BUY, opens=False),
            OrderLeg(symbol=P495, side=Side.SELL, opens=False),
        ),
    )


def posted(fake: FakeTastytrade) -> list[dict[str, object]]:
    return [r.body for r in fake.calls("/orders$", "POST")]


def leg_rows(order: BrokerOrder) -> list[tuple[object, ...]]:
    return [
        (x.symbol, x.side, x.ratio, x.opens, x.filled_quantity, x.avg_fill_price)
        for x in order.option_legs
    ]


async def test_credit_spread_goes_out_as_tastytrade_documents_it(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    assert to_option_order(spread()).price == Decimal("1.05")  # the SDK's sign: + a credit
    assert to_option_order(spread(price=1.125)).price == Decimal("1.13")  # cents, in our favour
    assert to_option_order(close_spread(price=1.125)).price == Decimal("-1.12")
    assert to_option_order(spread(price=0.1 + 0.2)).price == Decimal("0.30")  # no float noise
    order = await broker.submit(spread())
    assert posted(fake) == [
        {
            "time-in-force": "Day",
            "source": version_str,
            "legs": [
                {
                    "instrument-type": "Equity Option",
                    "symbol": "SPY   270115P00500000",
                    "action": "Sell to Open",
                    "quantity": 2,
                },
                {
                    "instrument-type": "Equity Option",
                    "symbol": "SPY   270115P00495000",
                    "action": "Buy to Open",
                    "quantity": 2,
                },
            ],
            "external-identifier": "sp-1",
            "behavior": "immediate",
            "order-type": "Limit",
            "price": "1.05",
            "price-effect": "Credit",
        }
    ]
    assert (order.symbol, order.side, order.quantity, order.limit_price) == (
        "SPY",
        Side.SELL,
        2,
        1.05,
    )


async def test_fills_are_the_legs_own_and_the_net_price_is_the_credit(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    order = await broker.submit(spread())
    assert (order.status, order.filled_quantity, order.avg_fill_price) == (
        OrderStatus.FILLED,
        2,
        pytest.approx(1.10),
    )
    assert order.fills == ()  # nothing booked twice: every fill is on its leg
    assert leg_rows(order) == [
        (P500, Side.SELL, 1, True, 2, 2.50),
        (P495, Side.BUY, 1, True, 2, 1.40),
    ]
    fills = [f for leg in order.option_legs for f in leg.fills]
    assert [(f.quantity, f.price) for f in fills] == [(2, 2.50), (2, 1.40)]
    assert len({f.fill_id for f in fills}) == 2
    # read back by client id (a fresh broker: the venue's view, not this process's memory)
    other = make(fake, Sleeps())
    again = await other.order_by_client_id("sp-1")
    assert again is not None and again.option_legs == order.option_legs
    await other.close()


async def test_debit_closing_order_has_a_negative_price_and_closes_the_positions(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    await broker.submit(spread())
    assert to_option_order(close_spread()).price == Decimal("-1.50")  # - a debit
    closed = await broker.submit(close_spread())
    body = posted(fake)[1]
    assert [(leg["symbol"], leg["action"]) for leg in body["legs"]] == [  # type: ignore[attr-defined]
        ("SPY   270115P00500000", "Buy to Close"),
        ("SPY   270115P00495000", "Sell to Close"),
    ]
    assert (body["price"], body["price-effect"]) == ("1.50", "Debit")
    # it trades at the natural debit: 2.60 (500 put's ask) - 1.30 (495 put's bid)
    assert (closed.side, closed.status, closed.avg_fill_price) == (
        Side.BUY,
        OrderStatus.FILLED,
        pytest.approx(1.30),
    )
    assert [x.opens for x in closed.option_legs] == [False, False]
    assert await broker.positions() == []


async def test_cash_secured_put_is_one_option_leg(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    csp = spread("csp-1", 1, 0.60, legs=(OrderLeg(symbol=P480, side=Side.SELL),))
    preview = await broker.dry_run(csp)
    # the venue holds the strike less the premium: (480 - 0.60) x 100
    assert preview.change_in_buying_power == pytest.approx(-47_940.0)
    order = await broker.submit(csp)
    legs = posted(fake)[0]["legs"]
    assert legs == [
        {
            "instrument-type": "Equity Option",
            "symbol": "SPY   270115P00480000",
            "action": "Sell to Open",
            "quantity": 1,
        }
    ]
    assert (order.symbol, order.side, order.filled_quantity, order.avg_fill_price) == (
        "SPY",
        Side.SELL,
        1,
        0.60,
    )
    assert leg_rows(order) == [(P480, Side.SELL, 1, True, 1, 0.60)] and order.fills == ()


async def test_dry_run_answers_the_venues_buying_power_effect(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    fake.commission = 1.0
    preview = await broker.dry_run(spread())
    # the spread's most loss: (5.00 width - 1.05 credit) x 100 x 2
    assert preview.change_in_buying_power == pytest.approx(-790.0)
    assert preview.margin_requirement == pytest.approx(-790.0)
    assert (preview.current_buying_power, preview.new_buying_power) == (100_000.0, 99_210.0)
    assert preview.total_fees == pytest.approx(-(1.0 + 0.40 + 0.08))
    assert fake.orders == {} and posted(fake) == []
    body = fake.calls("/orders/dry-run", "POST")[0].body
    assert body["price-effect"] == "Credit" and body["legs"][0]["action"] == "Sell to Open"


async def test_ratio_order_reads_back_its_ratios_and_net_price(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    """Buy 1 500 put, sell 2 480 puts, twice: 2 and 4 contracts; a 1.40 debit."""
    req = spread(
        "r-1",
        2,
        1.45,
        side=Side.BUY,
        legs=(OrderLeg(symbol=P500, side=Side.BUY), OrderLeg(symbol=P480, side=Side.SELL, ratio=2)),
    )
    order = await broker.submit(req)
    assert [leg["quantity"] for leg in posted(fake)[0]["legs"]] == [2, 4]  # type: ignore[index]
    assert leg_rows(order) == [
        (P500, Side.BUY, 1, True, 2, 2.60),
        (P480, Side.SELL, 2, True, 4, 0.60),
    ]
    assert (order.quantity, order.filled_quantity, order.side) == (2, 2, Side.BUY)
    assert order.avg_fill_price == pytest.approx(1.40)  # |-2.60 + 2 x 0.60|


async def test_partial_fill_then_complete(fake: FakeTastytrade, broker: TastytradeBroker) -> None:
    fake.option_fill_units = 1  # one unit per pass
    first = await broker.submit(spread(qty=3))
    assert (first.status, first.filled_quantity, first.quantity) == (
        OrderStatus.PARTIALLY_FILLED,
        1,
        3,
    )
    assert [x.filled_quantity for x in first.option_legs] == [1, 1]
    assert await broker.refresh() == []
    fake.option_fill_units = None
    fake.work(fake.orders[int(first.broker_order_id)])
    [done] = await broker.refresh()
    assert (done.status, done.filled_quantity) == (OrderStatus.FILLED, 3)
    assert [[f.quantity for f in x.fills] for x in done.option_legs] == [[1, 2], [1, 2]]
    assert done.avg_fill_price == pytest.approx(1.10)


async def test_one_leg_filled_alone_is_partial_with_no_whole_unit(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    working = await broker.submit(spread(price=1.50))  # above the 1.10 market: it waits
    assert working.status is OrderStatus.NEW
    venue_id = int(working.broker_order_id)
    fake.fill_leg(venue_id, 0, 1, 2.55)  # the short put alone
    [first] = await broker.refresh()
    assert (first.status, first.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, 0)
    fake.fill_leg(venue_id, 0, 1, 2.55)  # more of it: still no whole unit, yet a change
    [changed] = await broker.refresh()
    assert (changed.status, changed.filled_quantity, changed.avg_fill_price) == (
        OrderStatus.PARTIALLY_FILLED,
        0,
        None,
    )
    assert [x.filled_quantity for x in changed.option_legs] == [2, 0]
    assert [(p.symbol, p.quantity) for p in await broker.positions()] == [(P500, -2)]


async def test_duplicate_client_id_returns_the_first_order(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    first = await broker.submit(spread(price=1.50))
    again = await broker.submit(spread(price=1.00))
    assert again.broker_order_id == first.broker_order_id and again.limit_price == 1.50
    other = make(fake, Sleeps())  # a restart: found at the venue by its external identifier
    assert (await other.submit(spread())).broker_order_id == first.broker_order_id
    await other.close()
    assert len(posted(fake)) == 1 and len(fake.orders_with("sp-1")) == 1


async def test_lost_reply_is_looked_up_not_resent(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    fake.fail_next("/orders$", 504, method="POST", create=True)  # created, reply lost
    order = await broker.submit(spread())
    assert order.status is OrderStatus.FILLED and len(posted(fake)) == 1
    other = make(fake, Sleeps())
    found = await other.order_by_client_id("sp-1")
    await other.close()
    assert found is not None and found.broker_order_id == order.broker_order_id
    assert len(fake.orders_with("sp-1")) == 1
    assert [x.filled_quantity for x in found.option_legs] == [2, 2]


async def test_more_than_four_legs_is_refused_and_nothing_is_sent(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    strikes = (470, 475, 480, 485, 490)
    legs = tuple(OrderLeg(symbol=f"SPY270115P00{k}000", side=Side.SELL) for k in strikes)
    with pytest.raises(OrderRejectedError, match="1 to 4 legs"):
        await broker.submit(spread("five", legs=legs))
    with pytest.raises(OrderRejectedError, match="1 to 4 legs"):
        await broker.dry_run(spread("five", legs=legs))
    assert fake.requests == [] and fake.orders == {}  # not even a login


async def test_wrong_price_sign_is_refused_by_the_venue(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    """The fake checks the sign: a credit spread sent as a debit is refused (422)."""
    with pytest.raises(OrderRejectedError, match="Debit"):
        await broker.submit(spread("neg", side=Side.BUY))
    assert posted(fake)[0]["price-effect"] == "Debit" and fake.orders == {}
    with pytest.raises(OrderRejectedError, match="net debit"):  # every leg sells: a credit
        await broker.submit(
            spread("x", side=Side.BUY, legs=(OrderLeg(symbol=P480, side=Side.SELL),))
        )
    assert len(posted(fake)) == 1  # refused here, nothing sent


async def test_option_positions_read_back_unpadded_and_signed(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    fake.add_position("AAPL", 10, 150.0)
    await broker.submit(spread())
    assert {p["symbol"] for p in fake.positions[ACCOUNT]} >= {PADDED[P500], PADDED[P495]}
    got = [(p.symbol, p.quantity, p.avg_price) for p in await broker.positions()]
    assert got == [("AAPL", 10, 150.0), (P495, 2, 1.40), (P500, -2, 2.50)]


async def test_cancel_of_a_working_spread(fake: FakeTastytrade, broker: TastytradeBroker) -> None:
    working = await broker.submit(spread(price=1.50))
    [listed] = await broker.open_orders()
    assert listed.client_order_id == "sp-1" and [x.symbol for x in listed.option_legs] == [
        P500,
        P495,
    ]
    canceled = await broker.cancel("sp-1")
    assert canceled.status is OrderStatus.CANCELED and canceled.filled_quantity == 0
    assert fake.orders[int(working.broker_order_id)]["status"] == "Cancelled"
    assert len(fake.calls(f"/orders/{working.broker_order_id}$", "DELETE")) == 1
    assert await broker.open_orders() == []


async def test_stream_delivers_the_legs_fills(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    seen: asyncio.Queue[BrokerOrder] = asyncio.Queue()

    async def on_order(order: BrokerOrder) -> None:
        await seen.put(order)

    stream = broker.order_stream(sleep=Sleeps())
    task = asyncio.create_task(stream.run(on_order))
    try:
        await fake.wait_stream(1)
        async with asyncio.timeout(DEADLINE):
            while not stream.connected:
                await asyncio.sleep(0.01)
        working = await broker.submit(spread(price=1.50))
        live = await asyncio.wait_for(seen.get(), DEADLINE)
        assert (live.client_order_id, live.status, live.option_legs[0].symbol) == (
            "sp-1",
            OrderStatus.NEW,
            P500,
        )
        fake.fill_option(int(working.broker_order_id), 2, [2.60, 1.10])
        done = await asyncio.wait_for(seen.get(), DEADLINE)
        assert (done.status, done.filled_quantity, done.avg_fill_price, done.fills) == (
            OrderStatus.FILLED,
            2,
            pytest.approx(1.50),
            (),
        )
        assert [[(f.quantity, f.price) for f in x.fills] for x in done.option_legs] == [
            [(2, 2.60)],
            [(2, 1.10)],
        ]
        assert not stream.problems
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_fill_id_repeated_across_legs_is_not_trusted(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    order = await broker.submit(spread())
    legs = fake.orders[int(order.broker_order_id)]["legs"]
    legs[1]["fills"][0]["fill-id"] = legs[0]["fills"][0]["fill-id"]  # would be booked once
    other = make(fake, Sleeps())
    with pytest.raises(BrokerDataError, match="repeats a fill id"):
        await other.order_by_client_id("sp-1")
    assert other.bad_data()
    await other.close()


async def test_unlisted_contract_and_close_without_position_are_refused(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    unlisted = (OrderLeg(symbol="SPY270115P00470000", side=Side.SELL),)
    with pytest.raises(OrderRejectedError, match="SPY 270115P00470000 not found"):
        await broker.submit(spread("u-1", legs=unlisted))
    with pytest.raises(OrderRejectedError, match="no position"):
        await broker.submit(close_spread())
    assert fake.orders == {} and len(posted(fake)) == 2
