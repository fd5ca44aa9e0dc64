"""TastytradeBroker against the loopback Tastytrade API: the real tastytrade SDK, real HTTP.

Waits between retries go to a recorder instead of sleeping, so the retry policy is asserted by
the delays it asked for, never by elapsed time.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from dataclasses import asdict

import pytest
from loguru import logger

from brokers.base import Broker, BrokerError, OrderRejectedError, UnknownSymbolError
from brokers.tastytrade import BrokerDataError, RetryPolicy, TastytradeBroker
from models.domain import OrderRequest, OrderStatus, OrderType, Side
from tests.fakes.tastytrade import REDACTED, FakeTastytrade

SECRET = "tt-provider-secret-0123456789"
REFRESH = "tt-refresh-token-abcdefghijkl"


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTastytrade]:
    async with FakeTastytrade(provider_secret=SECRET, refresh_token=REFRESH) as f:
        yield f


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def make(fake: FakeTastytrade, sleeps: Sleeps, **kw: object) -> TastytradeBroker:
    kw.setdefault("timeout", 5.0)
    return TastytradeBroker(
        SECRET,
        kw.pop("refresh", REFRESH),  # type: ignore[arg-type]
        api_base=fake.base_url,
        policy=RetryPolicy(attempts=4, base_delay=0.5),
        sleep=sleeps,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
async def broker(fake: FakeTastytrade, sleeps: Sleeps) -> AsyncIterator[TastytradeBroker]:
    b = make(fake, sleeps)
    yield b
    await b.close()


def buy(cid: str = "prop-1", qty: int = 10, **kw: object) -> OrderRequest:
    return OrderRequest(client_order_id=cid, symbol="AAPL", side=Side.BUY, quantity=qty, **kw)


async def test_is_a_broker_and_reads_account_after_oauth(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    assert isinstance(broker, Broker)
    acct = await broker.account()
    assert (acct.account_id, acct.cash, acct.equity, acct.buying_power) == (
        "5WT00001",
        50_000.0,
        50_000.0,
        100_000.0,
    )
    token_calls = fake.calls("/oauth/token", "POST")
    assert len(token_calls) == 1
    assert token_calls[0].body == {
        "grant_type": "refresh_token",
        "client_secret": REDACTED,
        "refresh_token": REDACTED,
    }
    assert all(r.headers.get("Authorization") == REDACTED for r in fake.calls("/accounts/"))


async def test_second_refresh_after_expiry_and_after_401(sleeps: Sleeps) -> None:
    async with FakeTastytrade(
        provider_secret=SECRET, refresh_token=REFRESH, token_lifetimes=(30, 900)
    ) as fake:
        b = make(fake, sleeps)
        await b.account()  # token 1 lives 30 s: inside the SDK's 60 s margin
        await b.positions()
        assert len(fake.tokens_issued) == 2
        fake.expire_tokens()  # the venue revokes it early: 401, one forced refresh, retry
        assert (await b.account()).cash == 50_000.0
        assert len(fake.tokens_issued) == 3
        await b.close()


async def test_bad_login_is_a_clean_error_without_secrets(
    fake: FakeTastytrade, sleeps: Sleeps
) -> None:
    b = make(fake, sleeps, refresh="wrong-refresh-token-zzzz")
    with pytest.raises(BrokerError) as err:
        await b.account()
    assert "login failed" in str(err.value)
    assert "wrong-refresh-token-zzzz" not in str(err.value) and SECRET not in str(err.value)
    assert len(fake.calls("/oauth/token", "POST")) == 1  # a bad grant is not retried
    await b.close()


async def test_positions_signed_by_direction(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    fake.add_position("AAPL", 10, 150.0)
    fake.add_position("MSFT", -5, 400.0)
    got = [(p.symbol, p.quantity, p.avg_price) for p in await broker.positions()]
    assert got == [("AAPL", 10, 150.0), ("MSFT", -5, 400.0)]


@pytest.mark.parametrize("field,value", [("quantity", "-3"), ("quantity", "2.5"), ("symbol", None)])
async def test_bad_position_data_is_reported_not_trusted(
    fake: FakeTastytrade, broker: TastytradeBroker, field: str, value: str | None
) -> None:
    fake.add_position("AAPL", 10, 150.0)
    fake.add_position("MSFT", 5, 400.0)
    if value is None:
        del fake.positions["5WT00001"][1][field]
    else:
        fake.positions["5WT00001"][1][field] = value
    with pytest.raises(BrokerDataError) as err:
        await broker.positions()
    assert "positions not trusted" in str(err.value)
    assert broker.issues and "positions" in broker.issues[-1]
    with pytest.raises(BrokerDataError):  # and no order is built on top of it
        await broker.submit(buy())
    assert fake.orders == {}


async def test_dry_run_numbers_place_nothing(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    fake.commission = 1.0
    r = await broker.dry_run(buy(qty=10))
    assert r.change_in_buying_power == pytest.approx(-1900.0)
    assert (r.current_buying_power, r.new_buying_power) == (100_000.0, 98_100.0)
    assert r.margin_requirement == pytest.approx(-950.0)
    assert (r.commission, r.clearing_fees, r.regulatory_fees) == (-1.0, -0.08, -0.02)
    assert r.total_fees == pytest.approx(-1.10)
    assert fake.orders == {}
    body = fake.calls("/orders/dry-run", "POST")[0].body
    assert body["external-identifier"] == "prop-1" and body["legs"][0]["action"] == "Buy to Open"


async def test_market_order_fills_and_repeat_returns_the_same_order(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    order = await broker.submit(buy())
    assert order.status is OrderStatus.FILLED
    assert (order.filled_quantity, order.avg_fill_price, order.client_order_id) == (
        10,
        190.0,
        "prop-1",
    )
    assert [(f.quantity, f.price) for f in order.fills] == [(10, 190.0)]
    again = await broker.submit(buy())
    assert again.broker_order_id == order.broker_order_id
    assert len(fake.calls("/orders$", "POST")) == 1
    # a fresh broker (a restart) finds it at the venue by its external identifier
    other = make(fake, Sleeps())
    assert (await other.submit(buy())).broker_order_id == order.broker_order_id
    assert len(fake.orders_with("prop-1")) == 1
    await other.close()


async def test_504_on_submit_with_order_created_returns_it_once(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    fake.fail_next("/orders$", 504, method="POST", create=True)
    order = await broker.submit(buy())
    assert order.status is OrderStatus.FILLED
    assert len(fake.calls("/orders$", "POST")) == 1
    assert len(fake.orders_with("prop-1")) == 1


async def test_504_on_submit_without_order_resubmits_once(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    fake.fail_next("/orders$", 504, method="POST", create=False)
    order = await broker.submit(buy())
    assert order.status is OrderStatus.FILLED
    assert len(fake.calls("/orders$", "POST")) == 2
    assert len(fake.orders_with("prop-1")) == 1


async def test_repeated_5xx_on_submit_gives_up_after_one_resend(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    fake.fail_next("/orders$", 500, method="POST", times=5)
    with pytest.raises(BrokerError, match="could not be placed"):
        await broker.submit(buy())
    assert len(fake.calls("/orders$", "POST")) == 2


async def test_hang_on_submit_looks_up_instead_of_resending(
    fake: FakeTastytrade, sleeps: Sleeps
) -> None:
    b = make(fake, sleeps, timeout=0.5)
    fake.hang_next("/orders$", method="POST", create=True)
    order = await b.submit(buy())
    assert order.filled_quantity == 10
    assert len(fake.calls("/orders$", "POST")) == 1 and len(fake.orders_with("prop-1")) == 1
    await b.close()


async def test_rejected_order_raises_and_nothing_is_open(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    fake.reject_next_order("Insufficient buying power")
    with pytest.raises(OrderRejectedError, match="Insufficient buying power"):
        await broker.submit(buy())
    assert fake.orders == {}
    with pytest.raises(UnknownSymbolError):
        await broker.submit(
            OrderRequest(client_order_id="x", symbol="ZZZZ", side=Side.BUY, quantity=1)
        )


async def test_429_honours_retry_after_and_5xx_backs_off(
    fake: FakeTastytrade, broker: TastytradeBroker, sleeps: Sleeps
) -> None:
    fake.fail_next("/balances/", 429, retry_after=7)
    fake.fail_next("/balances/", 500, times=2)
    assert (await broker.account()).cash == 50_000.0
    assert sleeps.waits[0] == 7.0
    assert len(sleeps.waits) == 3 and 0.5 <= sleeps.waits[1] < sleeps.waits[2] <= 2.5
    fake.fail_next("/positions", 503, times=9)
    with pytest.raises(BrokerError, match="HTTP 503"):
        await broker.positions()


async def test_limit_order_works_then_cancels_and_refresh_reports_fills(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    working = await broker.submit(buy("lim-1", order_type=OrderType.LIMIT, limit_price=180.0))
    assert working.status is OrderStatus.NEW and working.limit_price == 180.0
    body = fake.calls("/orders$", "POST")[0].body
    assert (body["price"], body["price-effect"]) == ("180.0", "Debit")
    assert [o.client_order_id for o in await broker.open_orders()] == ["lim-1"]
    fake.fill(int(working.broker_order_id), 4, 179.5)
    changed = await broker.refresh()
    assert [(o.status, o.filled_quantity) for o in changed] == [(OrderStatus.PARTIALLY_FILLED, 4)]
    canceled = await broker.cancel("lim-1")
    assert canceled.status is OrderStatus.CANCELED and canceled.filled_quantity == 4
    assert await broker.open_orders() == []


async def test_sell_closes_long_and_refuses_to_cross_zero(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    fake.add_position("AAPL", 10, 150.0)
    sell = OrderRequest(client_order_id="s1", symbol="AAPL", side=Side.SELL, quantity=10)
    assert (await broker.submit(sell)).status is OrderStatus.FILLED
    assert fake.calls("/orders$", "POST")[0].body["legs"][0]["action"] == "Sell to Close"
    assert fake.positions["5WT00001"] == []  # the fill closed the position at the venue
    fake.add_position("AAPL", 10, 150.0)
    with pytest.raises(OrderRejectedError, match="cross zero"):
        await broker.submit(sell.model_copy(update={"client_order_id": "s2", "quantity": 11}))


async def test_secrets_never_in_errors_records_or_logs(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    sink = io.StringIO()
    handler = logger.add(sink, level="DEBUG")
    try:
        fake.fail_next("/balances/", 500, times=9)
        with pytest.raises(BrokerError) as err:
            await broker.account()
        await broker.submit(buy())
    finally:
        logger.remove(handler)
    secrets = [SECRET, REFRESH, *fake.tokens_issued]
    recorded = json.dumps([asdict(r) for r in fake.requests])
    for s in secrets:
        assert s not in str(err.value) and s not in recorded and s not in sink.getvalue()
        assert s not in repr(broker)
