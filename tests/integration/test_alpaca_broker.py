"""AlpacaBroker: the real alpaca-py TradingClient against the loopback trading fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from alpaca.trading.models import Order as SdkOrder
from alpaca.trading.models import Position as SdkPosition
from alpaca.trading.models import TradeAccount
from loguru import logger

from brokers.alpaca.broker import AlpacaBroker, OrderOutcomeUnknownError
from brokers.alpaca.transport import RetryPolicy
from brokers.base import Broker, OrderRejectedError
from models.domain import OrderRequest, OrderStatus, OrderType, Side
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading, FillPolicy


class Waits:
    """Records the sleeps the broker asks for instead of sleeping."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    def thread_sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.fixture
async def fake() -> AsyncIterator[FakeAlpacaTrading]:
    server = FakeAlpacaTrading(cash=100_000.0)
    server.set_policy("AAPL", FillPolicy("fill", price=190.0))
    server.set_policy("MSFT", FillPolicy("partial", price=400.0, qty=4))
    server.set_policy("TSLA", FillPolicy("new", price=250.0))
    server.set_policy("BAD", FillPolicy("reject", price=10.0))
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
        retry=RetryPolicy(attempts=4, base_delay=0.01),
        timeout=1.0,
        sleep=waits.sleep,
        thread_sleep=waits.thread_sleep,
    )
    yield b
    b.close()


@pytest.fixture
def logs() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(lines.append, level="DEBUG", format="{message}")
    yield lines
    logger.remove(sink)


def buy(cid: str, symbol: str = "AAPL", qty: int = 10, **kw: object) -> OrderRequest:
    return OrderRequest(client_order_id=cid, symbol=symbol, side=Side.BUY, quantity=qty, **kw)


async def test_protocol_account_and_positions(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    assert isinstance(broker, Broker)
    fake.add_position("MSFT", 5, 380.0)
    acct = await broker.account()
    assert acct.account_id == fake.account_id and acct.cash == 100_000.0
    assert acct.buying_power == 100_000.0
    [pos] = await broker.positions()
    assert (pos.symbol, pos.quantity, pos.avg_price) == ("MSFT", 5, 380.0)
    rec = fake.calls("/v2/positions")[0]
    assert rec.headers["APCA-API-KEY-ID"] == "***"


async def test_fake_speaks_the_sdk_models(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    fake.add_position("MSFT", 5, 380.0)
    await broker.submit(buy("p-models"))
    TradeAccount(**(await broker.reads.call("a", broker._client.get_account)))
    SdkPosition(**fake.positions["MSFT"])
    SdkOrder(**fake.orders_for("p-models")[0])


async def test_market_order_fills(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    order = await broker.submit(buy("p-1"))
    assert order.client_order_id == "p-1" and order.status is OrderStatus.FILLED
    assert order.filled_quantity == 10 and order.avg_fill_price == 190.0
    [fill] = order.fills
    assert (fill.quantity, fill.price, fill.fill_id) == (10, 190.0, f"{order.broker_order_id}-10")
    assert fake.submitted[0]["client_order_id"] == "p-1"
    assert fake.submitted[0]["type"] == "market" and fake.submitted[0]["time_in_force"] == "day"
    assert (await broker.positions())[0].quantity == 10
    assert await broker.refresh() == []  # nothing changed since submit


async def test_limit_and_stop_wire_format(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    lim = await broker.submit(buy("p-l", "TSLA", 2, order_type=OrderType.LIMIT, limit_price=240.5))
    stop = await broker.submit(buy("p-s", "TSLA", 2, order_type=OrderType.STOP, stop_price=260.0))
    assert lim.status is OrderStatus.NEW and lim.limit_price == 240.5
    assert stop.order_type is OrderType.STOP and stop.stop_price == 260.0
    assert fake.submitted[0]["limit_price"] in ("240.5", 240.5)
    assert {o.client_order_id for o in await broker.open_orders()} == {"p-l", "p-s"}
    canceled = await broker.cancel("p-l")
    assert canceled.status is OrderStatus.CANCELED
    assert [o.client_order_id for o in await broker.open_orders()] == ["p-s"]
    with pytest.raises(OrderRejectedError):
        await broker.submit(buy("p-x", "TSLA", 1, order_type=OrderType.LIMIT))
    assert fake.orders_for("p-x") == []


async def test_partial_fill_then_refresh(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    first = await broker.submit(buy("p-2", "MSFT", 10))
    assert first.status is OrderStatus.PARTIALLY_FILLED and first.filled_quantity == 4
    assert await broker.refresh() == []
    fake.fill("p-2", 6, 410.0)
    [changed] = await broker.refresh()
    assert changed.status is OrderStatus.FILLED and changed.filled_quantity == 10
    assert [(f.quantity, f.price) for f in changed.fills] == [(4, 400.0), (6, 410.0)]
    assert len({f.fill_id for f in changed.fills}) == 2
    again = await broker.order_by_client_id("p-2")
    assert again is not None and again.fills == changed.fills  # stable ids
    assert await broker.refresh() == []


async def test_504_on_submit_order_created(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    fake.fail_after_create(504)
    order = await broker.submit(buy("p-3"))
    assert order.client_order_id == "p-3" and order.status is OrderStatus.FILLED
    assert len(fake.orders_for("p-3")) == 1
    assert len(fake.calls("^/v2/orders$", "POST")) == 1  # looked up, not resent
    assert broker.resubmits == 0


async def test_hang_on_submit_order_created(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    fake.fail_after_create(504, hang=30.0)
    order = await broker.submit(buy("p-h"))
    assert order.client_order_id == "p-h"
    assert len(fake.orders_for("p-h")) == 1 and broker.resubmits == 0
    fake.release()


async def test_504_on_submit_order_not_created(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    fake.fail_next("^/v2/orders$", 504, method="POST")
    order = await broker.submit(buy("p-4"))
    assert order.status is OrderStatus.FILLED
    assert len(fake.orders_for("p-4")) == 1
    assert len(fake.calls("^/v2/orders$", "POST")) == 2 and broker.resubmits == 1
    assert len(fake.calls("by_client_order_id")) == 1


async def test_hang_then_nothing_twice_is_unknown(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    fake.hang_submit(seconds=30.0)
    fake.fail_next("^/v2/orders$", 500, method="POST", times=5)
    with pytest.raises(OrderOutcomeUnknownError):
        await broker.submit(buy("p-u"))
    fake.release()
    assert fake.orders_for("p-u") == [] and broker.resubmits == 1  # one resend, no more


async def test_duplicate_returns_original(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    first = await broker.submit(buy("p-5"))
    second = await broker.submit(buy("p-5", qty=99))
    assert second.broker_order_id == first.broker_order_id and second.quantity == 10
    assert len(fake.orders_for("p-5")) == 1
    assert fake.calls("^/v2/orders$", "POST")[1].status == 422


async def test_429_then_success(fake: FakeAlpacaTrading, broker: AlpacaBroker, waits: Waits):
    fake.fail_next("/v2/account", 429, retry_after=7)
    fake.fail_next("/v2/positions", 429, reset_in=3)
    assert (await broker.account()).cash == 100_000.0
    assert await broker.positions() == []
    assert 7.0 in waits.slept and any(2 <= s <= 4 for s in waits.slept if s != 7.0)
    assert len(fake.calls("/v2/account")) == 2


async def test_429_on_submit_sends_once_more(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    fake.fail_next("^/v2/orders$", 429, method="POST", retry_after=2)
    order = await broker.submit(buy("p-r"))
    assert order.status is OrderStatus.FILLED and len(fake.orders_for("p-r")) == 1


async def test_500_on_read_retries(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    fake.fail_next("/v2/account", 500, times=2)
    assert (await broker.account()).equity == 100_000.0
    assert len(fake.calls("/v2/account")) == 3


async def test_rejected_order(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    with pytest.raises(OrderRejectedError, match="rejected"):
        await broker.submit(buy("p-6", "BAD"))
    with pytest.raises(OrderRejectedError, match="insufficient buying power"):
        await broker.submit(buy("p-7", "AAPL", 10_000))
    assert fake.orders_for("p-7") == []
    assert await broker.open_orders() == []


async def test_unknown_symbol_rejected(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    with pytest.raises(OrderRejectedError, match="unknown symbol"):
        await broker.submit(buy("p-8", "zz!"))
    assert fake.orders == {}


async def test_bad_positions_reported(
    fake: FakeAlpacaTrading, broker: AlpacaBroker, logs: list[str]
):
    fake.add_position("AAPL", 3, 150.0)
    good = dict(fake.positions["AAPL"])
    fake.inject_position({**good, "symbol": "NEG", "qty": "-5"})  # side says long
    fake.inject_position(
        {k: v for k, v in good.items() if k != "avg_entry_price"} | {"symbol": "MISS"}
    )
    fake.inject_position({**good, "symbol": "FRAC", "qty": "1.5"})
    fake.inject_position({**good, "symbol": "NAN", "avg_entry_price": "abc"})
    fake.inject_position({**good, "symbol": "BTC/USD", "asset_class": "crypto"})
    fake.inject_position("garbage")  # type: ignore[arg-type]
    positions, problems = await broker.positions_checked()
    assert [(p.symbol, p.quantity) for p in positions] == [("AAPL", 3)]
    assert [p.key for p in problems] == ["NEG", "MISS", "FRAC", "NAN", "BTC/USD", ""]
    assert len(broker.problems) == 6
    assert any("NEG" in line and "disagrees" in line for line in logs)
    short = {**good, "symbol": "SHRT", "qty": "-5", "side": "short"}
    fake.extra_positions[:] = [short]
    assert [p.quantity for p in await broker.positions()] == [3, -5]


async def test_bad_order_data_skipped(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    await broker.submit(buy("p-9", "TSLA", 1))
    await broker.submit(buy("p-10", "TSLA", 1))
    fake.orders_for("p-10")[0]["filled_qty"] = "lots"
    assert [o.client_order_id for o in await broker.open_orders()] == ["p-9"]
    assert broker.problems[-1].what == "order"


async def test_key_never_leaks(fake: FakeAlpacaTrading, logs: list[str], waits: Waits):
    b = AlpacaBroker(
        fake.key_id, "wrong-secret-value-xyz", url_override=fake.base_url, sleep=waits.sleep
    )
    try:
        with pytest.raises(Exception) as info:
            await b.account()
        assert "403" in str(info.value)
        fake.fail_next("^/v2/orders$", 500, method="POST", times=3)
        with pytest.raises(Exception) as sub:
            await b.submit(buy("p-k"))
    finally:
        b.close()
    for secret in (fake.key_id, fake.secret_key, "wrong-secret-value-xyz"):
        assert secret not in str(info.value) and secret not in str(sub.value)
        assert secret not in repr(b) and all(secret not in line for line in logs)
        assert all(secret not in str(r) for r in fake.requests)


async def test_fake_bracket_and_status_filter(fake: FakeAlpacaTrading, broker: AlpacaBroker):
    from alpaca.trading.enums import OrderClass, OrderSide, QueryOrderStatus, TimeInForce
    from alpaca.trading.requests import (
        GetOrdersRequest,
        MarketOrderRequest,
        StopLossRequest,
        TakeProfitRequest,
    )

    client = broker._client
    bracket = MarketOrderRequest(
        symbol="TSLA",
        qty=3,
        side=OrderSide.BUY,
        time_in_force=TimeInForce.GTC,
        order_class=OrderClass.BRACKET,
        client_order_id="br-1",
        take_profit=TakeProfitRequest(limit_price=300.0),
        stop_loss=StopLossRequest(stop_price=220.0),
    )
    raw = await broker.reads.call("b", lambda: client.submit_order(bracket))
    assert raw["order_class"] == "bracket" and fake.submitted[0]["take_profit"]["limit_price"]
    assert fake.submitted[0]["stop_loss"]["stop_price"] in (220.0, "220.0", "220")
    await broker.submit(buy("p-f"))  # filled: closed

    async def orders(status: QueryOrderStatus) -> list[dict]:
        query = GetOrdersRequest(status=status)
        return await broker.reads.call("o", lambda: client.get_orders(query))

    open_ = await orders(QueryOrderStatus.OPEN)
    closed = await orders(QueryOrderStatus.CLOSED)
    every = await orders(QueryOrderStatus.ALL)
    assert [o["client_order_id"] for o in open_] == ["br-1"]
    assert [o["client_order_id"] for o in closed] == ["p-f"]
    assert len(every) == 2
    assert fake.calls("^/v2/orders$")[-1].query["status"] == "all"


async def test_open_orders_are_read_page_by_page(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
) -> None:
    """Alpaca lists at most 500 orders a request: 1,200 working orders take three pages."""
    for i in range(1_200):
        fake.add_open_order("TSLA", f"c{i}")
    got = await broker.open_orders()
    assert len(got) == 1_200 and len({o.client_order_id for o in got}) == 1_200
    pages = fake.calls("^/v2/orders$")
    assert len(pages) == 3 and "until" not in pages[0].query and "until" in pages[1].query
