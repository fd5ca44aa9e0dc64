"""TastytradeOrderStream against the loopback Tastytrade account streamer, with a real
TastytradeBroker (the SDK over HTTP) placing, filling and cancelling the orders it reports.

Backoff waits go to a recorder instead of sleeping; every wait for a pushed update has a
generous deadline only as a safety net, nothing asserts how long anything took.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict

import pytest
from loguru import logger
from tastytrade import API_URL, CERT_URL
from tastytrade.streamer import CERT_STREAMER_URL, STREAMER_URL

from brokers.base import BrokerError, OrderStream
from brokers.tastytrade import RetryPolicy, TastytradeBroker
from brokers.tastytrade.stream import TastytradeOrderStream, stream_url
from models.domain import BrokerOrder, OrderRequest, OrderStatus, OrderType, Side
from tests.fakes.tastytrade import REDACTED, FakeTastytrade

SECRET = "tt-provider-secret-0123456789"
REFRESH = "tt-refresh-token-abcdefghijkl"
DEADLINE = 5.0  # safety net for waits, never asserted


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


class Updates:
    """The on_order callback: a queue of what the stream delivered."""

    def __init__(self) -> None:
        self.q: asyncio.Queue[BrokerOrder] = asyncio.Queue()
        self.seen: list[BrokerOrder] = []

    async def __call__(self, order: BrokerOrder) -> None:
        self.seen.append(order)
        await self.q.put(order)

    async def next(self) -> BrokerOrder:
        return await asyncio.wait_for(self.q.get(), DEADLINE)

    async def until(self, status: OrderStatus) -> BrokerOrder:
        while (o := await self.next()).status is not status:
            pass
        return o


async def until(check: Callable[[], bool]) -> None:
    """Poll `check` until it holds (the deadline is a safety net, never asserted)."""
    async with asyncio.timeout(DEADLINE):
        while not check():
            await asyncio.sleep(0.01)


async def subscribed(fake: FakeTastytrade, stream: TastytradeOrderStream, n: int = 1) -> None:
    """The fake accepted the n-th subscription and the stream has read the answer."""
    await fake.wait_stream(n)
    await until(lambda: stream.connected)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTastytrade]:
    async with FakeTastytrade(provider_secret=SECRET, refresh_token=REFRESH) as f:
        yield f


@pytest.fixture
async def broker(fake: FakeTastytrade) -> AsyncIterator[TastytradeBroker]:
    b = TastytradeBroker(
        SECRET, REFRESH, api_base=fake.base_url, policy=RetryPolicy(attempts=2), timeout=5.0
    )
    yield b
    await b.close()


def stream_for(b: TastytradeBroker, api_base: str, **kw: object) -> TastytradeOrderStream:
    """The wiring TastytradeBroker.order_stream() is meant to do."""

    async def number() -> str:
        return (await b._acct()).account_number

    kw.setdefault("sleep", Sleeps())
    return TastytradeOrderStream(
        lambda: b._t.session,
        number,
        url=stream_url(api_base, is_test=b._t.session.is_test),
        convert=b._convert,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
async def running(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> AsyncIterator[tuple[TastytradeOrderStream, Updates]]:
    stream, updates = stream_for(broker, fake.base_url), Updates()
    task = asyncio.create_task(stream.run(updates))
    await subscribed(fake, stream)
    yield stream, updates
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def limit_buy(cid: str, qty: int = 10) -> OrderRequest:
    return OrderRequest(
        client_order_id=cid,
        symbol="AAPL",
        side=Side.BUY,
        quantity=qty,
        order_type=OrderType.LIMIT,
        limit_price=180.0,  # below the fake's 190: it works until filled by hand
    )


def test_stream_url_follows_the_api_base() -> None:
    assert stream_url(None) == STREAMER_URL
    assert stream_url(None, is_test=True) == CERT_STREAMER_URL
    assert stream_url(API_URL) == STREAMER_URL and stream_url(CERT_URL + "/") == CERT_STREAMER_URL
    assert stream_url("http://127.0.0.1:8123") == "ws://127.0.0.1:8123/streamer"
    assert stream_url("https://tt.internal/api/") == "wss://tt.internal/api/streamer"


async def test_live_partial_fill_and_fill_are_delivered(
    fake: FakeTastytrade,
    broker: TastytradeBroker,
    running: tuple[TastytradeOrderStream, Updates],
) -> None:
    stream, updates = running
    assert isinstance(stream, OrderStream) and stream.connected and stream.drops == 0
    assert stream.url == fake.stream_url  # derived from the REST api_base
    connect = next(m for m in fake.streamer.messages if m.get("action") == "connect")
    assert connect["value"] == ["5WT00001"] and connect["auth-token"] == REDACTED
    placed = await broker.submit(limit_buy("lim-1"))
    live = await updates.next()
    assert (live.client_order_id, live.status, live.filled_quantity) == (
        "lim-1",
        OrderStatus.NEW,
        0,
    )
    assert live.broker_order_id == placed.broker_order_id and live.limit_price == 180.0
    fake.fill(int(placed.broker_order_id), 4, 179.5)
    part = await updates.next()
    assert (part.status, part.filled_quantity, part.avg_fill_price) == (
        OrderStatus.PARTIALLY_FILLED,
        4,
        179.5,
    )
    fake.fill(int(placed.broker_order_id), 6, 179.0)
    done = await updates.next()
    assert (done.status, done.filled_quantity) == (OrderStatus.FILLED, 10)
    assert [(f.quantity, f.price) for f in done.fills] == [(4, 179.5), (6, 179.0)]
    assert done.avg_fill_price == pytest.approx(179.2)
    assert not stream.problems


async def test_market_order_live_then_filled(
    broker: TastytradeBroker, running: tuple[TastytradeOrderStream, Updates]
) -> None:
    _, updates = running
    await broker.submit(
        OrderRequest(client_order_id="m1", symbol="MSFT", side=Side.BUY, quantity=3)
    )
    assert (await updates.next()).status is OrderStatus.NEW
    filled = await updates.next()
    assert (filled.status, filled.filled_quantity, filled.avg_fill_price) == (
        OrderStatus.FILLED,
        3,
        410.0,
    )


async def test_cancel_is_delivered(
    broker: TastytradeBroker, running: tuple[TastytradeOrderStream, Updates]
) -> None:
    _, updates = running
    await broker.submit(limit_buy("c1"))
    assert (await updates.next()).status is OrderStatus.NEW
    await broker.cancel("c1")
    canceled = await updates.next()
    assert (canceled.client_order_id, canceled.status) == ("c1", OrderStatus.CANCELED)


async def test_rejected_order_is_delivered_as_rejected(
    fake: FakeTastytrade,
    broker: TastytradeBroker,
    running: tuple[TastytradeOrderStream, Updates],
) -> None:
    _, updates = running
    placed = await broker.submit(limit_buy("r1"))
    fake.reject(int(placed.broker_order_id), "Exchange rejected: price out of band")
    rejected = await updates.until(OrderStatus.REJECTED)
    assert rejected.client_order_id == "r1"
    assert rejected.reason == "Exchange rejected: price out of band"


async def test_drop_reconnects_and_later_updates_arrive(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    sleeps = Sleeps()
    stream, updates = stream_for(broker, fake.base_url, sleep=sleeps), Updates()
    task = asyncio.create_task(stream.run(updates))
    await subscribed(fake, stream)
    placed = await broker.submit(limit_buy("d1"))
    await updates.next()
    assert await fake.drop_stream() == 1
    await subscribed(fake, stream, 2)  # re-subscribed on a new connection
    assert stream.drops == 1 and sleeps.waits == [1.0]
    fake.fill(int(placed.broker_order_id), 10, 179.0)
    assert (await updates.until(OrderStatus.FILLED)).filled_quantity == 10
    connects = [m for m in fake.streamer.messages if m.get("action") == "connect"]
    assert len(connects) == 2 and connects[0]["request-id"] != connects[1]["request-id"]
    assert stream.connected
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_failed_connects_back_off_exponentially_to_the_cap(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    sleeps = Sleeps()
    fake.fail_next("/streamer", 503, times=4)
    stream = stream_for(broker, fake.base_url, sleep=sleeps, backoff_initial=1.0, backoff_max=5)
    task = asyncio.create_task(stream.run(Updates()))
    await subscribed(fake, stream)
    assert sleeps.waits == [1.0, 2.0, 4.0, 5.0]
    assert stream.drops == 0 and stream.connected  # never subscribed, so never dropped
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_malformed_messages_are_skipped_and_recorded(
    fake: FakeTastytrade,
    broker: TastytradeBroker,
    running: tuple[TastytradeOrderStream, Updates],
) -> None:
    stream, updates = running
    placed = await broker.submit(limit_buy("bad-1"))
    good = await updates.next()
    order = fake.orders[int(placed.broker_order_id)]
    fake.send_raw("{not json")
    fake.send_raw(json.dumps(["Order"]))
    fake.send_raw(json.dumps({"type": "Order", "data": {**order, "id": "not-a-number"}}))
    bad_qty = {**order, "legs": [{**order["legs"][0], "quantity": "2.5"}]}
    fake.send_raw(json.dumps({"type": "Order", "data": bad_qty}))
    fake.send_raw(json.dumps({"type": "AccountBalance", "data": {"cash-balance": "1"}}))
    fake.fill(int(placed.broker_order_id), 10, 179.0)
    nxt = await updates.next()  # the malformed ones never reach on_order
    assert (nxt.status, nxt.filled_quantity) == (OrderStatus.FILLED, 10)
    assert [o.status for o in updates.seen] == [good.status, OrderStatus.FILLED]
    assert len(stream.problems) == 4
    assert "not JSON" in stream.problems[0] and "not an object" in stream.problems[1]
    assert "bad fields (id)" in stream.problems[2]
    assert "order quantity" in stream.problems[3]
    assert broker.issues  # the broker's own converter recorded it too
    assert stream.connected and stream.drops == 0


async def test_consumer_failure_does_not_end_the_stream(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    updates = Updates()
    calls = 0

    async def flaky(order: BrokerOrder) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("consumer bug")
        await updates(order)

    stream = stream_for(broker, fake.base_url)
    task = asyncio.create_task(stream.run(flaky))
    await subscribed(fake, stream)
    placed = await broker.submit(limit_buy("f1"))
    fake.fill(int(placed.broker_order_id), 10, 179.0)
    assert (await updates.next()).status is OrderStatus.FILLED
    assert "on_order failed (RuntimeError)" in stream.problems[0]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_stale_token_is_refreshed_and_the_subscription_retried(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    await broker.account()  # logged in; then the venue revokes the token early
    fake.expire_tokens()
    stream = stream_for(broker, fake.base_url)
    task = asyncio.create_task(stream.run(Updates()))
    await subscribed(fake, stream)
    assert len(fake.tokens_issued) == 2 and stream.drops == 0
    assert [m["action"] for m in fake.streamer.messages] == ["connect", "connect"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_refused_auth_raises_broker_error_without_looping(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    sleeps = Sleeps()
    fake.refuse_stream_auth()
    stream = stream_for(broker, fake.base_url, sleep=sleeps)
    with pytest.raises(BrokerError, match="refused the subscription \\(not authorized\\)"):
        await asyncio.wait_for(stream.run(Updates()), DEADLINE)
    connects = [m for m in fake.streamer.messages if m.get("action") == "connect"]
    assert len(connects) == 2 and len(fake.tokens_issued) == 2  # once more, with a new token
    assert sleeps.waits == [] and not stream.connected


async def test_http_401_on_the_handshake_is_refused_too(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    fake.fail_next("/streamer", 401, times=2)
    with pytest.raises(BrokerError, match="HTTP 401"):
        await asyncio.wait_for(stream_for(broker, fake.base_url).run(Updates()), DEADLINE)


async def test_heartbeats_carry_a_current_token(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    stream = stream_for(broker, fake.base_url, heartbeat=0.01)
    task = asyncio.create_task(stream.run(Updates()))
    await subscribed(fake, stream)
    await until(lambda: sum(m.get("action") == "heartbeat" for m in fake.streamer.messages) > 1)
    beat = next(m for m in fake.streamer.messages if m.get("action") == "heartbeat")
    assert beat["auth-token"] == REDACTED and "value" not in beat
    assert stream.connected and stream.drops == 0 and not stream.problems
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_cancelling_run_closes_the_socket_cleanly(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    stream = stream_for(broker, fake.base_url)
    task = asyncio.create_task(stream.run(Updates()))
    await subscribed(fake, stream)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await until(lambda: bool(fake.streamer.close_codes))
    assert fake.streamer.close_codes == [1000] and not stream.connected


async def test_secrets_never_in_logs_problems_or_records(
    fake: FakeTastytrade, broker: TastytradeBroker
) -> None:
    sink, stdlib = io.StringIO(), io.StringIO()
    handler = logger.add(sink, level="DEBUG")
    root = logging.getLogger()
    std_handler, old_level = logging.StreamHandler(stdlib), root.level
    root.addHandler(std_handler)
    root.setLevel(logging.DEBUG)  # what the app's stdlib intercept does
    try:
        await broker.account()
        fake.expire_tokens()  # a refused connect, then a fresh token
        stream, updates = stream_for(broker, fake.base_url, heartbeat=0.01), Updates()
        task = asyncio.create_task(stream.run(updates))
        await subscribed(fake, stream)
        placed = await broker.submit(limit_buy("s1"))
        await updates.next()
        fake.send_raw("{not json")
        await until(lambda: bool(stream.problems))
        await fake.drop_stream()
        await subscribed(fake, stream, 2)
        fake.fill(int(placed.broker_order_id), 10, 179.0)
        await updates.until(OrderStatus.FILLED)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        fake.refuse_stream_auth()
        with pytest.raises(BrokerError) as err:
            await asyncio.wait_for(stream.run(updates), DEADLINE)
    finally:
        logger.remove(handler)
        root.removeHandler(std_handler)
        root.setLevel(old_level)
    assert stream.problems and "tastytrade stream" in sink.getvalue()
    recorded = json.dumps(fake.streamer.messages) + json.dumps([asdict(r) for r in fake.requests])
    for s in [SECRET, REFRESH, *fake.tokens_issued]:
        assert s not in sink.getvalue() and s not in stdlib.getvalue()
        assert s not in " ".join(stream.problems) and s not in str(err.value)
        assert s not in recorded and s not in repr(stream)
