"""AlpacaTradeStream (trade_updates websocket) against the loopback trading fake, converting
with a real AlpacaBroker; plus alpaca-py's own TradingStream against the same fake."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from alpaca.trading.enums import TradeEvent
from alpaca.trading.models import TradeUpdate
from alpaca.trading.stream import TradingStream
from loguru import logger

from brokers.alpaca.broker import AlpacaBroker, AlpacaOrderRejected
from brokers.alpaca.stream import AlpacaTradeStream, Backoff, StreamAuthError, stream_url
from brokers.alpaca.transport import RetryPolicy
from brokers.base import BrokerError, OrderStream
from models.domain import BrokerOrder, OrderRequest, OrderStatus, Side
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading, FillPolicy

BACKOFF = Backoff(initial=0.5, maximum=4.0)


class Waits:
    """Records the sleeps asked for instead of sleeping."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(0)

    def thread_sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


class Inbox:
    """The on_order callback: keeps every delivered order, in order."""

    def __init__(self) -> None:
        self.seen: list[BrokerOrder] = []
        self._queue: asyncio.Queue[BrokerOrder] = asyncio.Queue()

    async def __call__(self, order: BrokerOrder) -> None:
        self.seen.append(order)
        await self._queue.put(order)

    async def next(self) -> BrokerOrder:
        return await asyncio.wait_for(self._queue.get(), 5.0)

    def empty(self) -> bool:
        return self._queue.empty()


async def until(pred: Callable[[], bool], what: str) -> None:
    """Wait (bounded) until ``pred()`` holds."""
    for _ in range(500):
        if pred():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"gave up waiting for {what}")


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


def make_broker(fake: FakeAlpacaTrading, waits: Waits) -> AlpacaBroker:
    return AlpacaBroker(
        fake.key_id,
        fake.secret_key,
        url_override=fake.base_url,
        retry=RetryPolicy(attempts=2, base_delay=0.01),
        timeout=2.0,
        sleep=waits.sleep,
        thread_sleep=waits.thread_sleep,
    )


@pytest.fixture
def broker(fake: FakeAlpacaTrading, waits: Waits) -> Iterator[AlpacaBroker]:
    b = make_broker(fake, waits)
    yield b
    b.close()


@pytest.fixture
def make_stream(
    fake: FakeAlpacaTrading, broker: AlpacaBroker, waits: Waits
) -> Callable[..., AlpacaTradeStream]:
    """Streams as AlpacaBroker.order_stream() builds them: same keys, URL and converter."""

    def make(
        *,
        secret: str = fake.secret_key,
        url_override: str = fake.base_url,
        convert: Callable[[Any], BrokerOrder] = broker._order,
    ) -> AlpacaTradeStream:
        return AlpacaTradeStream(
            fake.key_id,
            secret,
            url_override=url_override,
            convert=convert,
            backoff=BACKOFF,
            sleep=waits.sleep,
        )

    return make


@contextlib.asynccontextmanager
async def running(stream: AlpacaTradeStream, inbox: Inbox) -> AsyncIterator[asyncio.Task[None]]:
    """Run the stream until subscribed; cancel it on exit."""
    task = asyncio.create_task(stream.run(inbox))
    await until(lambda: stream.connected or task.done(), "the stream to subscribe")
    if task.done():
        task.result()
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
def logs() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(lines.append, level="DEBUG", format="{level} {message}")
    yield lines
    logger.remove(sink)


def buy(cid: str, symbol: str = "AAPL", qty: int = 10) -> OrderRequest:
    return OrderRequest(client_order_id=cid, symbol=symbol, side=Side.BUY, quantity=qty)


def state(order: BrokerOrder) -> tuple[str, OrderStatus, int]:
    return (order.client_order_id, order.status, order.filled_quantity)


def test_ws_url_is_derived_like_alpaca_py(fake: FakeAlpacaTrading):
    assert stream_url("http://127.0.0.1:8123") == "ws://127.0.0.1:8123/stream"
    assert stream_url("https://paper.example:443/") == "wss://paper.example:443/stream"
    assert stream_url("http://proxy.local/alpaca") == "ws://proxy.local/alpaca/stream"
    assert stream_url("ws://127.0.0.1:9/stream") == "ws://127.0.0.1:9/stream"
    assert stream_url(None, paper=True) == "wss://paper-api.alpaca.markets/stream"
    assert stream_url(None, paper=False) == "wss://api.alpaca.markets/stream"
    assert stream_url(fake.base_url) == fake.ws_url
    with pytest.raises(BrokerError):
        stream_url("ftp://127.0.0.1")
    with pytest.raises(BrokerError, match="needs APCA_API_KEY_ID"):
        AlpacaTradeStream("", "x", convert=never)


def never(raw: Any) -> BrokerOrder:
    raise AssertionError(raw)


async def test_new_partial_fill_fill_share_fills_with_rest(
    fake: FakeAlpacaTrading, broker: AlpacaBroker, make_stream, waits: Waits
):
    stream = make_stream()
    assert isinstance(stream, OrderStream)
    assert (stream.connected, stream.drops) == (False, 0)
    inbox = Inbox()
    async with running(stream, inbox):
        assert fake.stream.received == ["authenticate", "listen"]
        placed = await broker.submit(buy("p-1", "TSLA"))
        new = await inbox.next()
        assert state(new) == ("p-1", OrderStatus.NEW, 0) and new.fills == ()
        assert new.broker_order_id == placed.broker_order_id
        fake.fill("p-1", 4, 250.0)
        part = await inbox.next()
        assert state(part) == ("p-1", OrderStatus.PARTIALLY_FILLED, 4)
        assert [(f.quantity, f.price) for f in part.fills] == [(4, 250.0)]
        fake.fill("p-1", 6, 251.0)
        done = await inbox.next()
        assert state(done) == ("p-1", OrderStatus.FILLED, 10)
        assert [(f.quantity, f.price) for f in done.fills] == [(4, 250.0), (6, 251.0)]
        rest = await broker.order_by_client_id("p-1")
        assert rest is not None and rest.fills == done.fills  # one FillBook, same fill ids
    assert (stream.drops, list(stream.problems), waits.slept) == (0, [], [])
    sent = [m["data"] for m in fake.stream.updates]
    assert [d["event"] for d in sent] == ["new", "partial_fill", "fill"]
    assert (sent[2]["price"], sent[2]["qty"], sent[2]["position_qty"]) == ("251", "6", "10")
    assert sent[2]["execution_id"] and sent[2]["timestamp"].endswith("Z")


async def test_updates_of_one_submit_arrive_in_order(
    fake: FakeAlpacaTrading, broker: AlpacaBroker, waits: Waits, make_stream
):
    # A converter with its own FillBook sees the stream alone, so even the "new" that
    # precedes an instant fill is delivered (see the stale-snapshot test for a shared one).
    reader = make_broker(fake, waits)
    try:
        stream = make_stream(convert=reader._order)
        inbox = Inbox()
        async with running(stream, inbox):
            await broker.submit(buy("p-a", "AAPL"))
            await broker.submit(buy("p-m", "MSFT", 10))
            got = [await inbox.next() for _ in range(4)]
            assert [state(o) for o in got] == [
                ("p-a", OrderStatus.NEW, 0),
                ("p-a", OrderStatus.FILLED, 10),
                ("p-m", OrderStatus.NEW, 0),
                ("p-m", OrderStatus.PARTIALLY_FILLED, 4),
            ]
            assert [(f.quantity, f.price) for f in got[1].fills] == [(10, 190.0)]
            fake.fill("p-m", 6, 410.0)
            last = await inbox.next()
            assert state(last) == ("p-m", OrderStatus.FILLED, 10)
            assert [(f.quantity, f.price) for f in last.fills] == [(4, 400.0), (6, 410.0)]
    finally:
        reader.close()


async def test_cancel_expiry_and_reject_are_delivered(
    fake: FakeAlpacaTrading, broker: AlpacaBroker, make_stream
):
    stream = make_stream()
    inbox = Inbox()
    async with running(stream, inbox):
        await broker.submit(buy("p-c", "TSLA"))
        assert state(await inbox.next()) == ("p-c", OrderStatus.NEW, 0)
        await broker.cancel("p-c")
        canceled = await inbox.next()
        assert state(canceled) == ("p-c", OrderStatus.CANCELED, 0)
        assert canceled.reason == "canceled"
        await broker.submit(buy("p-e", "TSLA"))
        assert state(await inbox.next()) == ("p-e", OrderStatus.NEW, 0)
        fake.expire("p-e")
        expired = await inbox.next()
        assert state(expired) == ("p-e", OrderStatus.CANCELED, 0)
        assert expired.reason == "expired"
        with pytest.raises(AlpacaOrderRejected):
            await broker.submit(buy("p-r", "BAD"))
        rejected = await inbox.next()
        assert state(rejected) == ("p-r", OrderStatus.REJECTED, 0)
        assert rejected.reason == "rejected"
    assert [m["data"]["event"] for m in fake.stream.updates] == [
        "new",
        "canceled",
        "new",
        "expired",
        "rejected",
    ]


async def test_text_frames_are_accepted_too(
    fake: FakeAlpacaTrading, broker: AlpacaBroker, make_stream
):
    fake.stream.binary = False  # Alpaca's live host sends text frames
    inbox = Inbox()
    async with running(make_stream(), inbox):
        await broker.submit(buy("p-t", "TSLA"))
        assert state(await inbox.next()) == ("p-t", OrderStatus.NEW, 0)


async def test_drop_reconnects_with_backoff_and_later_updates_arrive(
    fake: FakeAlpacaTrading, broker: AlpacaBroker, make_stream, waits: Waits
):
    stream = make_stream()
    inbox = Inbox()
    async with running(stream, inbox) as task:
        await broker.submit(buy("p-d", "TSLA"))
        assert state(await inbox.next()) == ("p-d", OrderStatus.NEW, 0)
        assert fake.drop_stream() == 1
        await until(lambda: fake.stream.listens == 2 and stream.connected, "the resubscribe")
        assert stream.drops == 1 and waits.slept == [BACKOFF.initial]
        assert fake.stream.auths == ["authorized", "authorized"]
        fake.fill("p-d", 10, 252.0)
        assert state(await inbox.next()) == ("p-d", OrderStatus.FILLED, 10)
        fake.drop_stream()  # a second drop after a good session starts the backoff afresh
        await until(lambda: fake.stream.listens == 3 and stream.connected, "the resubscribe")
        assert stream.drops == 2 and waits.slept == [BACKOFF.initial, BACKOFF.initial]
        assert not task.done()


async def test_connect_failures_back_off_exponentially_to_the_cap(
    fake: FakeAlpacaTrading, make_stream, waits: Waits
):
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    stream = make_stream(url_override=f"http://127.0.0.1:{port}")
    task = asyncio.create_task(stream.run(Inbox()))
    await until(lambda: len(waits.slept) >= 6, "six failed connects")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert waits.slept[:6] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert (stream.drops, stream.connected) == (0, False)  # never connected, never dropped


async def test_malformed_updates_are_skipped_and_recorded(
    fake: FakeAlpacaTrading, broker: AlpacaBroker, make_stream, logs: list[str]
):
    stream = make_stream()
    inbox = Inbox()
    async with running(stream, inbox):
        placed = await broker.submit(buy("p-s", "AAPL"))  # filled 10 on submit
        assert placed.filled_quantity == 10
        await until(lambda: len(inbox.seen) + len(stream.problems) == 2, "the submit's updates")
        good = dict(fake.orders_for("p-s")[0])
        stale = {**good, "status": "new", "filled_qty": "0", "filled_avg_price": None}
        bad_order = {k: v for k, v in good.items() if k != "qty"}
        assert fake.send_raw("{not json") == 1
        fake.send_raw("[1, 2]")
        fake.send_raw(json.dumps({"stream": "trade_updates", "data": {"event": "fill"}}))
        fake.send_raw(json.dumps({"stream": "trade_updates", "data": "nope"}))
        update = {"event": "fill", "order": bad_order, "timestamp": good["updated_at"]}
        fake.send_raw(json.dumps({"stream": "trade_updates", "data": update}))
        update = {"event": "new", "order": stale, "timestamp": good["updated_at"]}
        fake.send_raw(json.dumps({"stream": "trade_updates", "data": update}))
        fake.send_raw(json.dumps({"stream": "listening", "data": {"streams": []}}))  # ignored
        await broker.submit(buy("p-after", "TSLA"))
        after = await inbox.next()
        while after.client_order_id != "p-after":
            after = await inbox.next()
        assert state(after) == ("p-after", OrderStatus.NEW, 0)
    assert all(o.client_order_id in ("p-s", "p-after") for o in inbox.seen)
    problems = list(stream.problems)
    # The submit's own "new" (filled 0) may reach the shared FillBook after the REST reply
    # (filled 10): then it is stale too, and skipped.
    stale_new = [p for p in problems if p.startswith("new update") and "went back" in p]
    assert 1 <= len(stale_new) <= 2
    others = [p for p in problems if p not in stale_new]
    assert [p.split(" ", 2)[:2] for p in others[:4]] == [
        ["not", "JSON"],
        ["not", "a"],
        ["trade", "update"],
        ["trade", "update"],
    ]
    assert others[4].startswith(f"fill update for order {good['id']}: missing field 'qty'")
    assert len(others) == 5
    assert stream.connected is False and stream.drops == 0
    assert sum("skipped a trade update" in line for line in logs) == len(problems)
    assert all(line.startswith("WARNING") for line in logs if "skipped a trade" in line)


async def test_failing_handler_is_logged_and_the_stream_goes_on(
    fake: FakeAlpacaTrading, broker: AlpacaBroker, make_stream, logs: list[str]
):
    stream = make_stream()
    inbox = Inbox()
    calls = 0

    async def flaky(order: BrokerOrder) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("consumer bug")
        await inbox(order)

    task = asyncio.create_task(stream.run(flaky))
    try:
        await until(lambda: stream.connected, "subscribe")
        await broker.submit(buy("p-f1", "TSLA"))
        await broker.submit(buy("p-f2", "TSLA"))
        assert state(await inbox.next()) == ("p-f2", OrderStatus.NEW, 0)
        assert any("handler failed for p-f1" in line for line in logs)
        assert not task.done() and stream.drops == 0
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_wrong_keys_raise_without_a_reconnect_loop(
    fake: FakeAlpacaTrading, make_stream, waits: Waits, logs: list[str]
):
    stream = make_stream(secret="wrong-secret-abcdefghijklmnopqrstuv")
    with pytest.raises(BrokerError, match="refused the trade stream login") as err:
        await asyncio.wait_for(stream.run(Inbox()), 5.0)
    assert isinstance(err.value, StreamAuthError)
    assert "wrong-secret" not in str(err.value) and fake.key_id not in str(err.value)
    assert fake.stream.auths == ["unauthorized"] and fake.stream.accepted == 1
    assert (stream.connected, stream.drops, waits.slept) == (False, 0, [])
    await until(lambda: not fake.stream.conns, "the socket to close")
    fake.refuse_stream_auth()  # the right keys, refused by the venue: the same
    right = make_stream()
    with pytest.raises(StreamAuthError):
        await asyncio.wait_for(right.run(Inbox()), 5.0)
    assert fake.stream.auths == ["unauthorized", "unauthorized"] and waits.slept == []
    assert not any("wrong-secret" in line or fake.secret_key in line for line in logs)


async def test_cancelling_run_closes_the_socket(
    fake: FakeAlpacaTrading, broker: AlpacaBroker, make_stream
):
    stream = make_stream()
    inbox = Inbox()
    task = asyncio.create_task(stream.run(inbox))
    await until(lambda: stream.connected, "subscribe")
    assert len(fake.stream.conns) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stream.connected is False and stream.drops == 0
    await until(lambda: not fake.stream.conns, "the server to see the close")
    await broker.submit(buy("p-x", "TSLA"))
    assert inbox.empty() and fake.stream.listening == 0


async def test_keys_never_reach_logs_problems_or_repr(
    fake: FakeAlpacaTrading,
    broker: AlpacaBroker,
    make_stream,
    logs: list[str],
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.DEBUG)  # stdlib too: websockets dumps frames at DEBUG
    stream = make_stream()
    inbox = Inbox()
    async with running(stream, inbox):
        fake.send_raw('{"echo": "' + fake.secret_key + '", "key": "' + fake.key_id)
        await broker.submit(buy("p-k", "TSLA"))
        await inbox.next()
        fake.drop_stream()
        await until(lambda: fake.stream.listens == 2 and stream.connected, "the resubscribe")
    assert len(stream.problems) == 1 and "***" in stream.problems[0]
    text = "\n".join([*logs, caplog.text, *stream.problems, repr(stream)])
    assert any("trade stream subscribed" in line for line in logs)
    assert any("trade stream dropped" in line for line in logs)
    for secret in (fake.key_id, fake.secret_key):
        assert secret not in text


async def test_the_real_trading_stream_talks_to_the_fake(
    fake: FakeAlpacaTrading, broker: AlpacaBroker
):
    sdk = TradingStream(fake.key_id, fake.secret_key, url_override=fake.ws_url)
    got: asyncio.Queue[TradeUpdate] = asyncio.Queue()

    async def handler(update: TradeUpdate) -> None:
        await got.put(update)

    sdk.subscribe_trade_updates(handler)
    task = asyncio.create_task(sdk._run_forever())  # run() would call asyncio.run
    try:
        await until(lambda: fake.stream.listening == 1, "the SDK to subscribe")
        assert fake.stream.auths == ["authorized"]
        assert fake.stream.received == ["authenticate", "listen"]
        await broker.submit(buy("p-sdk", "AAPL"))
        new = await asyncio.wait_for(got.get(), 5.0)
        fill = await asyncio.wait_for(got.get(), 5.0)
        assert isinstance(new, TradeUpdate) and new.event == TradeEvent.NEW
        assert new.order.client_order_id == "p-sdk" and new.order.filled_qty == "0"
        assert fill.event == TradeEvent.FILL and fill.order.filled_qty == "10"
        assert (fill.price, fill.qty, fill.position_qty) == (190.0, 10.0, 10.0)
        assert fill.execution_id is not None and fill.timestamp.tzinfo is not None
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await sdk.close()
