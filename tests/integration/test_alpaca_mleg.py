"""Alpaca option orders (multi-leg ``mleg`` and single-leg) through the real AlpacaBroker and
alpaca-py against the loopback trading fake: the wire bodies, fills booked per leg, partial
fills, idempotency, refusals, positions, cancels and the trade_updates stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime

import pytest
from alpaca.trading.models import Order as SdkOrder
from alpaca.trading.models import Position as SdkPosition

from brokers.alpaca.broker import AlpacaBroker
from brokers.alpaca.option_orders import option_order
from brokers.alpaca.trading_convert import BrokerDataError, FillBook
from brokers.alpaca.transport import RetryPolicy
from brokers.base import OrderRejectedError
from models.domain import (
    BrokerOrder,
    BrokerPosition,
    OrderLeg,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from tests.fakes.alpaca.option_orders import OptionFill
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading
from tests.integration.test_alpaca_broker import Waits

FILLED = OrderStatus.FILLED
EXPIRY = date(2026, 12, 18)
P180, P170 = "AAPL261218P00180000", "AAPL261218P00170000"  # mids 2.00 and 1.00
C200, C210 = "AAPL261218C00200000", "AAPL261218C00210000"  # mids 3.00 and 1.00
P160, C220 = "AAPL261218P00160000", "AAPL261218C00220000"  # mids 0.50 and 0.40
QUOTES = {P180: 2.0, P170: 1.0, C200: 3.0, C210: 1.0, P160: 0.5, C220: 0.4}
ORDERS = "^/v2/orders$"
STO, BTO = "sell_to_open", "buy_to_open"


@pytest.fixture
async def fake() -> AsyncIterator[FakeAlpacaTrading]:
    server = FakeAlpacaTrading(cash=100_000.0)
    for symbol, mid in QUOTES.items():
        kind = "put" if symbol[10] == "P" else "call"
        strike = int(symbol[-8:]) / 1000
        server.options.add_contract(
            "AAPL", EXPIRY, kind, strike, bid=round(mid - 0.05, 2), ask=round(mid + 0.05, 2)
        )
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def broker(fake: FakeAlpacaTrading, waits: Waits) -> Iterator[AlpacaBroker]:
    b = AlpacaBroker(
        fake.key_id,
        fake.secret_key,
        url_override=fake.base_url,
        retry=RetryPolicy(attempts=3, base_delay=0.01),
        timeout=2.0,
        sleep=waits.sleep,
        thread_sleep=waits.thread_sleep,
    )
    yield b
    b.close()


def spread(cid: str, side: Side, price: float, *legs: OrderLeg, qty: int = 2) -> OrderRequest:
    return OrderRequest(
        client_order_id=cid,
        symbol="AAPL",
        side=side,
        quantity=qty,
        order_type=OrderType.LIMIT,
        limit_price=price,
        legs=legs,
    )


def put_spread(cid: str, credit: float = 0.90, qty: int = 2) -> OrderRequest:
    """Sell the 180 put, buy the 170 put, for a net credit."""
    legs = (OrderLeg(symbol=P180, side=Side.SELL), OrderLeg(symbol=P170, side=Side.BUY))
    return spread(cid, Side.SELL, credit, *legs, qty=qty)


def leg_ids(fake: FakeAlpacaTrading, cid: str) -> list[str]:
    [order] = fake.orders_for(cid)
    return [leg["id"] for leg in fake.members(order)]


def fills(order: BrokerOrder) -> list[list[tuple[str, int, float]]]:
    return [[(f.fill_id, f.quantity, f.price) for f in leg.fills] for leg in order.option_legs]


async def test_credit_put_spread_goes_as_mleg_with_a_negative_limit_and_fills_per_leg(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    order = await broker.submit(put_spread("p-cs"))
    assert fake.submitted == [
        {
            "qty": 2.0,
            "type": "limit",
            "time_in_force": "day",
            "order_class": "mleg",
            "client_order_id": "p-cs",
            "legs": [
                {"symbol": P180, "ratio_qty": 1.0, "side": "sell", "position_intent": STO},
                {"symbol": P170, "ratio_qty": 1.0, "side": "buy", "position_intent": BTO},
            ],
            "limit_price": -0.9,
        }
    ]
    assert (order.symbol, order.side, order.quantity) == ("AAPL", Side.SELL, 2)
    assert (order.status, order.filled_quantity, order.avg_fill_price) == (FILLED, 2, 1.0)
    assert order.limit_price == 0.9 and order.fills == ()
    short, long_ = order.option_legs
    assert (short.symbol, short.side, short.ratio, short.opens) == (P180, Side.SELL, 1, True)
    assert (long_.symbol, long_.side, long_.filled_quantity, long_.avg_fill_price) == (
        P170,
        Side.BUY,
        2,
        1.0,
    )
    ids = leg_ids(fake, "p-cs")
    assert fills(order) == [[(f"{ids[0]}-2", 2, 2.0)], [(f"{ids[1]}-2", 2, 1.0)]]
    assert fake.cash == pytest.approx(100_000.0 + 2 * 100 * (2.0 - 1.0))
    wire = fake.wire(fake.orders_for("p-cs")[0], nested=True)
    assert "symbol" not in wire and "side" not in wire and float(wire["filled_avg_price"]) == -1.0
    SdkOrder(**wire)  # the fake's mleg order is what alpaca-py reads
    again = await broker.order_by_client_id("p-cs")
    assert again == order and await broker.refresh() == []


async def test_debit_call_spread_goes_with_a_positive_limit(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    legs = (OrderLeg(symbol=C200, side=Side.BUY), OrderLeg(symbol=C210, side=Side.SELL))
    order = await broker.submit(spread("p-ds", Side.BUY, 2.10, *legs, qty=1))
    body = fake.submitted[0]
    assert body["limit_price"] == 2.1 and body["order_class"] == "mleg"
    assert [leg["position_intent"] for leg in body["legs"]] == ["buy_to_open", "sell_to_open"]
    assert (order.side, order.status, order.avg_fill_price) == (Side.BUY, OrderStatus.FILLED, 2.0)
    assert [(leg.side, leg.avg_fill_price) for leg in order.option_legs] == [
        (Side.BUY, 3.0),
        (Side.SELL, 1.0),
    ]


async def test_a_credit_beyond_the_market_works_and_a_working_mleg_is_cancelled(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    # 1.20 asked, the legs' mid credit is 1.00: the negative limit keeps it working (sent
    # as +1.20 it would be a debit Alpaca fills at once)
    order = await broker.submit(put_spread("p-w", credit=1.20))
    assert fake.submitted[0]["limit_price"] == -1.2
    assert (order.status, order.side, order.filled_quantity) == (OrderStatus.NEW, Side.SELL, 0)
    assert [leg.fills for leg in order.option_legs] == [(), ()]
    [working] = await broker.open_orders()
    assert working.client_order_id == "p-w" and len(working.option_legs) == 2
    canceled = await broker.cancel("p-w")
    assert canceled.status is OrderStatus.CANCELED and canceled.reason == "canceled"
    assert [leg["status"] for leg in fake.members(fake.orders_for("p-w")[0])] == ["canceled"] * 2
    assert fake.calls("^/v2/orders/", method="DELETE")
    assert await broker.open_orders() == []
    assert fake.set_option_quote(P180, 2.5, 2.6) == []  # marketable now, but cancelled
    assert await broker.positions() == []


async def test_one_leg_is_a_simple_option_order_a_cash_secured_put_and_its_close(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    csp = spread("p-csp", Side.SELL, 1.95, OrderLeg(symbol=P180, side=Side.SELL), qty=3)
    order = await broker.submit(csp)
    assert fake.submitted[0] == {
        "symbol": P180,
        "qty": 3.0,
        "side": "sell",
        "type": "limit",
        "time_in_force": "day",
        "client_order_id": "p-csp",
        "position_intent": "sell_to_open",
        "limit_price": 1.95,
    }
    assert (order.symbol, order.side, order.status, order.avg_fill_price) == (
        "AAPL",
        Side.SELL,
        OrderStatus.FILLED,
        2.0,
    )
    [leg] = order.option_legs
    assert (leg.symbol, leg.ratio, leg.opens, leg.filled_quantity) == (P180, 1, True, 3)
    assert fills(order) == [[(f"{order.broker_order_id}-3", 3, 2.0)]] and order.fills == ()
    close = OrderLeg(symbol=P180, side=Side.BUY, opens=False)
    closed = await broker.submit(spread("p-btc", Side.BUY, 2.10, close, qty=1))
    assert fake.submitted[1]["position_intent"] == "buy_to_close"
    assert closed.option_legs[0].opens is False and closed.side is Side.BUY
    assert await broker.positions() == [BrokerPosition(symbol=P180, quantity=-2, avg_price=2.0)]


async def test_a_partial_fill_then_the_rest_at_other_prices(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    fake.option_fill = OptionFill("partial", units=1)
    first = await broker.submit(put_spread("p-pf", qty=3))
    assert (first.status, first.filled_quantity, first.avg_fill_price) == (
        OrderStatus.PARTIALLY_FILLED,
        1,
        1.0,
    )
    ids = leg_ids(fake, "p-pf")
    assert fills(first) == [[(f"{ids[0]}-1", 1, 2.0)], [(f"{ids[1]}-1", 1, 1.0)]]
    assert await broker.refresh() == []
    fake.fill_option("p-pf", 1, {P180: 2.10, P170: 1.05})
    [more] = await broker.refresh()
    assert (more.status, more.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, 2)
    assert fills(more) == [
        [(f"{ids[0]}-1", 1, 2.0), (f"{ids[0]}-2", 1, 2.1)],
        [(f"{ids[1]}-1", 1, 1.0), (f"{ids[1]}-2", 1, 1.05)],
    ]
    assert more.avg_fill_price == pytest.approx(2.05 - 1.025)
    fake.fill_option("p-pf")
    [done] = await broker.refresh()
    assert (done.status, done.filled_quantity) == (OrderStatus.FILLED, 3)
    assert [len(leg.fills) for leg in done.option_legs] == [3, 3]
    assert fills(done)[0][:2] == fills(more)[0]  # the same fills, the same ids
    positions = await broker.positions()
    assert [(p.symbol, p.quantity) for p in positions] == [(P170, 3), (P180, -3)]


def test_legs_filled_apart_are_a_partially_filled_order() -> None:
    def leg(n: int, symbol: str, side: str, filled: str, avg: str | None) -> dict:
        return {
            "id": f"leg-{n}",
            "symbol": symbol,
            "side": side,
            "ratio_qty": str(n),
            "position_intent": f"{side}_to_open",
            "qty": str(4 * n),
            "filled_qty": filled,
            "filled_avg_price": avg,
            "status": "partially_filled",
        }

    raw = {
        "id": "parent",
        "client_order_id": "p-apart",
        "order_class": "mleg",
        "type": "limit",
        "qty": "4",
        "filled_qty": "1",
        "limit_price": "-0.5",
        "status": "partially_filled",
        "submitted_at": "2026-11-20T15:00:00Z",
        "updated_at": "2026-11-20T15:00:02Z",
        "legs": [leg(1, P180, "sell", "3", "2"), leg(2, P170, "buy", "2", "0.8")],
    }
    order = option_order(raw, FillBook())
    assert (order.status, order.filled_quantity, order.side) == (
        OrderStatus.PARTIALLY_FILLED,
        1,  # 3 of the 1x leg, 2 of the 2x leg: one whole unit
        Side.SELL,
    )
    assert order.avg_fill_price == pytest.approx(2.0 - 2 * 0.8)
    assert [leg.fills[0].fill_id for leg in order.option_legs] == ["leg-1-3", "leg-2-2"]
    assert order.submitted_at == datetime(2026, 11, 20, 15, tzinfo=UTC)
    for bad in ({"position_intent": "buy_to_open"}, {"symbol": "AAPL"}, {"filled_qty": "9"}):
        broken = {**raw, "legs": [raw["legs"][0] | bad, raw["legs"][1]]}
        with pytest.raises(BrokerDataError):
            option_order(broken, FillBook())
    with pytest.raises(BrokerDataError, match="without its legs"):
        option_order({**raw, "legs": None}, FillBook())


async def test_a_duplicate_client_id_returns_the_first_order(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    first = await broker.submit(put_spread("p-dup", credit=1.20))
    again = await broker.submit(put_spread("p-dup", credit=0.50))
    assert again.broker_order_id == first.broker_order_id and again.limit_price == 1.2
    assert len(fake.orders_for("p-dup")) == 1 and len(fake.calls(ORDERS, method="POST")) == 2
    assert [c.status for c in fake.calls(ORDERS, method="POST")] == [200, 422]


@pytest.mark.parametrize("nest", [True, False])
async def test_a_lost_reply_is_found_by_client_id_once(
    fake: FakeAlpacaTrading, broker: AlpacaBroker, nest: bool
):
    fake.nest_on_client_lookup = nest  # False: the adapter asks by id with nested=true
    fake.fail_after_create(504)
    order = await broker.submit(put_spread("p-lost"))
    assert len(fake.orders_for("p-lost")) == 1 and broker.resubmits == 0
    assert len(fake.calls(ORDERS, method="POST")) == 1
    assert fake.calls("^/v2/orders:by_client_order_id$")
    assert order.status is OrderStatus.FILLED and len(order.option_legs) == 2
    assert fills(order)[0] == [(f"{leg_ids(fake, 'p-lost')[0]}-2", 2, 2.0)]
    by_id = fake.calls("^/v2/orders/[0-9a-f-]+$")
    assert bool(by_id) is not nest and all(c.query["nested"].lower() == "true" for c in by_id)


def five_legs() -> tuple[OrderLeg, ...]:
    return tuple(OrderLeg(symbol=s, side=Side.BUY) for s in (P180, P170, C200, C210, P160))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"legs": five_legs()}, "at most 4 legs in a multi-leg order; this one has 5"),
        ({"legs": (OrderLeg(symbol=P180, side=Side.SELL),) * 2}, "each contract once"),
        ({"legs": (OrderLeg(symbol="AAPL", side=Side.SELL),)}, "not an OCC option"),
        ({"legs": (OrderLeg(symbol=P180, side=Side.SELL, ratio=2),)}, "ratio 1"),
        (
            {
                "legs": (
                    OrderLeg(symbol=P180, side=Side.SELL, ratio=2),
                    OrderLeg(symbol=P170, side=Side.BUY, ratio=4),
                )
            },
            "common factor",
        ),
        ({"time_in_force": TimeInForce.OPG}, "not at the open"),
        ({"limit_price": 0.905}, "whole cents"),
        ({"order_type": OrderType.STOP, "stop_price": 1.0}, "not a stop"),
    ],
)
async def test_what_alpaca_would_refuse_is_refused_with_nothing_sent(
    fake: FakeAlpacaTrading, broker: AlpacaBroker, change: dict, message: str
):
    with pytest.raises(OrderRejectedError, match=message):
        await broker.submit(put_spread("p-no").model_copy(update=change))
    assert fake.calls(ORDERS, method="POST") == [] and fake.orders == {}


async def test_an_iron_condor_and_a_ratio_spread_and_option_positions_read_back(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    condor = (
        OrderLeg(symbol=P160, side=Side.BUY),
        OrderLeg(symbol=P170, side=Side.SELL),
        OrderLeg(symbol=C210, side=Side.SELL),
        OrderLeg(symbol=C220, side=Side.BUY),
    )
    ic = await broker.submit(spread("p-ic", Side.SELL, 1.05, *condor, qty=1))
    assert len(fake.submitted[0]["legs"]) == 4 and fake.submitted[0]["limit_price"] == -1.05
    assert (ic.status, ic.side, ic.avg_fill_price) == (OrderStatus.FILLED, Side.SELL, 1.1)
    ratio = (
        OrderLeg(symbol=C200, side=Side.BUY, ratio=1),
        OrderLeg(symbol=C210, side=Side.SELL, ratio=2, opens=False),
    )
    rs = await broker.submit(spread("p-rs", Side.BUY, 1.0, *ratio, qty=2))
    assert [(leg["ratio_qty"], leg["position_intent"]) for leg in fake.submitted[1]["legs"]] == [
        (1.0, "buy_to_open"),
        (2.0, "sell_to_close"),
    ]
    assert [(leg.ratio, leg.filled_quantity) for leg in rs.option_legs] == [(1, 2), (2, 4)]
    assert (rs.filled_quantity, rs.avg_fill_price, rs.side) == (2, 1.0, Side.BUY)
    fake.add_position("MSFT", 5, 380.0)
    fake.inject_position({**fake.positions[P160], "symbol": "AAPL261218X00160000"})
    good, bad = await broker.positions_checked()
    assert good == [  # by symbol
        BrokerPosition(symbol=C200, quantity=2, avg_price=3.0),
        BrokerPosition(symbol=C210, quantity=-5, avg_price=1.0),
        BrokerPosition(symbol=C220, quantity=1, avg_price=0.4),
        BrokerPosition(symbol=P160, quantity=1, avg_price=0.5),
        BrokerPosition(symbol=P170, quantity=-1, avg_price=1.0),
        BrokerPosition(symbol="MSFT", quantity=5, avg_price=380.0),
    ]
    assert [p.key for p in bad] == ["AAPL261218X00160000"]
    SdkPosition(**fake.positions[C210])
    assert fake.positions[C210]["asset_class"] == "us_option"


async def test_the_trade_stream_delivers_option_orders_with_leg_fills(
    fake: FakeAlpacaTrading, broker: AlpacaBroker, waits: Waits
):
    fake.option_fill = OptionFill("new")
    stream = broker.order_stream(sleep=waits.sleep)
    seen: asyncio.Queue[BrokerOrder] = asyncio.Queue()
    task = asyncio.create_task(stream.run(seen.put))
    try:
        for _ in range(500):
            if stream.connected:
                break
            await asyncio.sleep(0.01)
        await broker.submit(put_spread("p-st"))
        new = await asyncio.wait_for(seen.get(), 5)
        assert (new.client_order_id, new.status, new.side) == ("p-st", OrderStatus.NEW, Side.SELL)
        fake.fill_option("p-st", 1)
        part = await asyncio.wait_for(seen.get(), 5)
        assert (part.status, part.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, 1)
        fake.fill_option("p-st", 1, {P180: 2.2, P170: 1.1})
        done = await asyncio.wait_for(seen.get(), 5)
        assert (done.status, done.filled_quantity) == (OrderStatus.FILLED, 2)
        assert [[(f.quantity, f.price) for f in leg.fills] for leg in done.option_legs] == [
            [(1, 2.0), (1, 2.2)],
            [(1, 1.0), (1, 1.1)],
        ]
        assert list(stream.problems) == []
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
