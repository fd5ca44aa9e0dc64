"""AlpacaNews (REST through alpaca-py's NewsClient, and the news websocket) against the
loopback news fake: real HTTP, real websockets. Waits (tenacity's backoff, the limiter's
pacing, the stream's reconnect delay) are recorded instead of slept."""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from loguru import logger

from bot.app import news_source
from bot.settings import load_settings
from brokers.alpaca.news import AlpacaNews
from brokers.alpaca.news_convert import news_stream_url
from brokers.alpaca.news_stream import NewsStreamRefused
from brokers.alpaca.ratelimit import RateLimiter
from brokers.alpaca.stream import Backoff
from brokers.alpaca.transport import RetryPolicy
from brokers.base import BadDataLog, BrokerError, NewsSource, NewsStream
from models.news import Headline
from tests.conftest import Clock
from tests.fakes.alpaca.news_server import FakeAlpacaNews

NOW = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=2)
BACKOFF = Backoff(initial=0.5, maximum=4.0)


class Virtual:
    """A monotonic clock that only moves when someone 'sleeps'; every wait is recorded."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []  # tenacity backoff and stream reconnects (async)
        self.paced: list[float] = []  # rate-limiter waits (worker threads)
        self._lock = threading.Lock()

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds
        await asyncio.sleep(0)

    def thread_sleep(self, seconds: float) -> None:
        with self._lock:
            self.paced.append(seconds)
            self.t += seconds


class Inbox:
    """The on_headline callback: keeps every delivered headline, in order."""

    def __init__(self) -> None:
        self.seen: list[Headline] = []
        self._queue: asyncio.Queue[Headline] = asyncio.Queue()

    async def __call__(self, headline: Headline) -> None:
        self.seen.append(headline)
        await self._queue.put(headline)

    async def next(self) -> Headline:
        return await asyncio.wait_for(self._queue.get(), 5.0)


async def until(pred: Callable[[], bool], what: str) -> None:
    for _ in range(500):
        if pred():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def fake(clock: Clock) -> AsyncIterator[FakeAlpacaNews]:
    f = FakeAlpacaNews(wall=lambda: clock().timestamp())
    await f.start()
    yield f
    await f.stop()


@pytest.fixture
def virtual() -> Virtual:
    return Virtual()


def make_news(fake: FakeAlpacaNews, clock: Clock, virtual: Virtual, **kw: Any) -> AlpacaNews:
    kw.setdefault("limiter", RateLimiter(clock=virtual.now))
    kw.setdefault("retry", RetryPolicy(attempts=4, base_delay=0.5))
    return AlpacaNews(
        kw.pop("key", fake.key_id),
        kw.pop("secret", fake.secret_key),
        url_override=fake.base_url,
        clock=clock,
        sleep=virtual.sleep,
        thread_sleep=virtual.thread_sleep,
        backoff=BACKOFF,
        **kw,
    )


@pytest.fixture
def news(fake: FakeAlpacaNews, clock: Clock, virtual: Virtual) -> Iterator[AlpacaNews]:
    n = make_news(fake, clock, virtual)
    yield n
    n.close()


@contextlib.asynccontextmanager
async def running(
    news: AlpacaNews, symbols: list[str], inbox: Inbox
) -> AsyncIterator[asyncio.Task[None]]:
    """Run the stream until subscribed; cancel it on exit."""
    task = asyncio.create_task(news.run(symbols, inbox))
    await until(lambda: news.connected or task.done(), "the stream to subscribe")
    if task.done():
        task.result()
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# ---------------------------------------------------------------- REST


async def test_query_and_headline_fields(news: AlpacaNews, fake: FakeAlpacaNews) -> None:
    assert isinstance(news, NewsSource) and isinstance(news, NewsStream)
    assert isinstance(news, BadDataLog) and news.news_source == "alpaca"
    old = fake.add_article("Too old", symbols=["AAPL"], created_at=SINCE - timedelta(hours=1))
    a = fake.add_article(
        "Apple beats  on\nservices",
        symbols=["AAPL", "MSFT"],
        created_at=NOW - timedelta(hours=3),
        summary="Revenue up 8%",
        author="Jane Doe",
        content="<p>long body</p>",
    )
    b = fake.add_article("Microsoft cloud deal", symbols=["MSFT"], created_at=NOW - timedelta(1))
    fake.add_article("Tesla recall", symbols=["TSLA"], created_at=NOW - timedelta(hours=2))
    got = await news.news(["aapl", "MSFT", "not a symbol!"], SINCE)
    assert [h.id for h in got] == [f"alpaca:{a['id']}", f"alpaca:{b['id']}"]  # newest first
    first = got[0]
    assert first.headline == "Apple beats on services" and first.summary == "Revenue up 8%"
    assert (first.source, first.author, first.simulated) == ("benzinga", "Jane Doe", False)
    assert first.symbols == ("AAPL", "MSFT") and isinstance(first.symbols, tuple)
    assert first.created_at == NOW - timedelta(hours=3) and first.created_at.tzinfo == UTC
    assert first.url == a["url"]
    assert f"alpaca:{old['id']}" not in {h.id for h in got}
    (call,) = fake.calls("/v1beta1/news")
    q = call.query
    assert q["symbols"] == "AAPL,MSFT" and q["limit"] == "50" and q["sort"] == "desc"
    assert q["include_content"] == "false" and "page_token" not in q
    assert datetime.fromisoformat(q["start"]) == SINCE
    assert call.headers["APCA-API-SECRET-KEY"] == "***" and call.status == 200
    assert news.limiter.granted == 1, "the request took a slot of the shared limiter"


async def test_any_symbol_and_empty_lists(news: AlpacaNews, fake: FakeAlpacaNews) -> None:
    fake.add_article("Market wrap", created_at=NOW - timedelta(hours=1))
    got = await news.news(None, SINCE)
    assert [h.headline for h in got] == ["Market wrap"] and got[0].symbols == ()
    assert "symbols" not in fake.calls("/v1beta1/news")[0].query
    assert await news.news([], SINCE) == [] and await news.news(["??"], SINCE) == []
    assert len(fake.requests) == 1, "no symbol to ask for: no request"


async def test_pages_are_followed_up_to_limit(news: AlpacaNews, fake: FakeAlpacaNews) -> None:
    for i in range(120):
        fake.add_article(f"Item {i}", symbols=["SPY"], created_at=NOW - timedelta(minutes=i + 1))
    got = await news.news(["SPY"], SINCE, limit=70)
    assert [h.headline for h in got] == [f"Item {i}" for i in range(70)]
    calls = fake.calls("/v1beta1/news")
    assert len(calls) == 2 and [c.query["limit"] for c in calls] == ["50", "50"]
    assert "page_token" not in calls[0].query and calls[1].query["page_token"]
    everything = await news.news(["SPY"], SINCE, limit=500)
    assert len(everything) == 120 and len({h.id for h in everything}) == 120
    assert len(fake.calls("/v1beta1/news")) == 2 + 3, "three more pages, then no token"
    assert news.limiter.granted == 5


async def test_malformed_items_are_skipped_and_recorded(
    news: AlpacaNews, fake: FakeAlpacaNews
) -> None:
    good = fake.add_article("Fine", symbols=["AAPL"], created_at=NOW - timedelta(hours=1))
    no_title = fake.add_article("x", symbols=["AAPL"], created_at=NOW - timedelta(hours=2))
    bad_time = fake.add_article("y", symbols=["AAPL"], created_at=NOW - timedelta(hours=3))
    fake.corrupt(no_title["id"], drop=("headline",))
    fake.corrupt(bad_time["id"], created_at="yesterday-ish")
    got = await news.news(["AAPL"], SINCE)
    assert [h.id for h in got] == [f"alpaca:{good['id']}"]
    assert news.bad_data() == [
        f"news item {no_title['id']}: missing field 'headline'",
        f"news item {bad_time['id']}: field 'created_at' is not an RFC 3339 time",
    ]
    assert news.skipped == 2


async def test_skipped_items_do_not_cut_the_limit_short(
    news: AlpacaNews, fake: FakeAlpacaNews
) -> None:
    for i in range(60):
        fake.add_article(f"N{i}", symbols=["NVDA"], created_at=NOW - timedelta(minutes=i + 1))
    fake.corrupt(fake.articles[0].id, drop=("id",))
    got = await news.news(["NVDA"], SINCE, limit=50)
    assert len(got) == 50 and got[-1].headline == "N50", "a second page filled the gap"
    assert news.bad_data() == ["news item: missing or malformed field 'id'"]


async def test_429_waits_for_retry_after_then_succeeds(
    news: AlpacaNews, fake: FakeAlpacaNews, virtual: Virtual
) -> None:
    fake.add_article("After the wait", symbols=["AAPL"], created_at=NOW - timedelta(hours=1))
    fake.fail_next("/v1beta1/news", 429, retry_after=7)
    got = await news.news(["AAPL"], SINCE)
    assert [h.headline for h in got] == ["After the wait"]
    assert virtual.sleeps == [7.0]
    assert [r.status for r in fake.calls("/v1beta1/news")] == [429, 200]


async def test_500_is_a_broker_error_without_secrets(
    fake: FakeAlpacaNews, clock: Clock, virtual: Virtual
) -> None:
    sink = io.StringIO()
    handle = logger.add(sink, level="DEBUG")
    news = make_news(fake, clock, virtual)
    echo = {"message": f"boom for {fake.key_id} / {fake.secret_key}"}
    fake.fail_next("/v1beta1/news", 500, times=10, body=echo)
    try:
        with pytest.raises(BrokerError) as failed:
            await news.news(["AAPL"], SINCE)
    finally:
        logger.remove(handle)
        news.close()
    text = str(failed.value)
    assert text.startswith("Alpaca news") and "HTTP 500" in text and "after 4 attempts" in text
    assert len(fake.calls("/v1beta1/news")) == 4 and len(virtual.sleeps) == 3
    for secret in (fake.secret_key, fake.key_id):
        assert secret not in text and secret not in sink.getvalue()


async def test_wrong_keys_are_a_clear_error_without_secrets(
    fake: FakeAlpacaNews, clock: Clock, virtual: Virtual
) -> None:
    fake.echo_keys = True  # a careless venue quotes the keys back
    wrong = "wrong-secret-value-123456"
    news = make_news(fake, clock, virtual, secret=wrong)
    try:
        with pytest.raises(BrokerError, match=r"HTTP 403.*APCA_API_SECRET_KEY") as refused:
            await news.news(None, SINCE)
    finally:
        news.close()
    assert wrong not in str(refused.value) and virtual.sleeps == [], "a 403 is not retried"
    with pytest.raises(BrokerError, match="needs APCA_API_KEY_ID"):
        AlpacaNews("", "x")


async def test_the_app_builds_it_on_the_shared_limiter(
    fake: FakeAlpacaNews, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With Alpaca keys, the composition root's news source is this adapter, on the desk's
    one Alpaca request budget."""
    monkeypatch.setenv("APCA_API_KEY_ID", fake.key_id)
    monkeypatch.setenv("APCA_API_SECRET_KEY", fake.secret_key)
    monkeypatch.setenv("APCA_API_DATA_URL", fake.base_url)
    limiter = RateLimiter()
    news = news_source(load_settings(), object(), limiter)  # type: ignore[arg-type]
    assert isinstance(news, AlpacaNews)
    try:
        assert news.limiter is limiter and news.stream.url == fake.ws_url
        assert await news.news(None, SINCE) == [] and limiter.granted == 1
    finally:
        news.close()
    assert fake.secret_key not in repr(news)


async def test_a_malformed_reply_is_a_broker_error(
    news: AlpacaNews, fake: FakeAlpacaNews, virtual: Virtual
) -> None:
    fake.malformed_next("/v1beta1/news")
    with pytest.raises(BrokerError, match="malformed reply"):
        await news.news(["AAPL"], SINCE)
    fake.malformed_next("/v1beta1/news", raw='{"news": {"oops": 1}}')
    with pytest.raises(BrokerError, match="no news list"):
        await news.news(["AAPL"], SINCE)
    assert virtual.sleeps == []


# ---------------------------------------------------------------- websocket


def test_stream_url_is_derived_from_the_data_url(fake: FakeAlpacaNews) -> None:
    assert news_stream_url(None) == "wss://stream.data.alpaca.markets/v1beta1/news"
    assert news_stream_url("https://data.alpaca.markets") == news_stream_url(None)
    sandbox = news_stream_url("https://data.sandbox.alpaca.markets/")
    assert sandbox == "wss://stream.data.sandbox.alpaca.markets/v1beta1/news"
    assert news_stream_url("http://proxy.local/alpaca") == "ws://proxy.local/alpaca/v1beta1/news"
    assert news_stream_url("wss://elsewhere/x") == "wss://elsewhere/x"
    assert news_stream_url(fake.base_url) == fake.ws_url
    with pytest.raises(BrokerError):
        news_stream_url("ftp://127.0.0.1")


async def test_stream_delivers_published_headlines(news: AlpacaNews, fake: FakeAlpacaNews) -> None:
    assert (news.connected, news.drops) == (False, 0)
    inbox = Inbox()
    async with running(news, ["aapl", "MSFT"], inbox):
        assert fake.stream.received == ["auth", "subscribe"]
        assert fake.stream.subscribes == [["AAPL", "MSFT"]]
        item = fake.item("Apple live", symbols=["AAPL"], created_at=NOW, summary="now")
        assert fake.publish(item) == 1
        got = await inbox.next()
        assert got.id == f"alpaca:{item['id']}" and got.headline == "Apple live"
        assert got.symbols == ("AAPL",) and got.created_at == NOW and got.source == "benzinga"
        assert fake.publish(fake.item("Tesla only", symbols=["TSLA"])) == 0
    assert not news.connected and [h.headline for h in inbox.seen] == ["Apple live"]


async def test_stream_reconnects_after_a_drop(
    news: AlpacaNews, fake: FakeAlpacaNews, virtual: Virtual
) -> None:
    inbox = Inbox()
    async with running(news, ["*"], inbox) as task:
        fake.publish(fake.item("Before", symbols=["SPY"]))
        assert (await inbox.next()).headline == "Before"
        assert fake.drop_stream() == 1
        await until(lambda: news.drops == 1 and news.connected, "the stream to come back")
        assert fake.stream.accepted == 2 and virtual.sleeps == [BACKOFF.initial]
        assert fake.stream.subscribes == [["*"], ["*"]]
        fake.publish(fake.item("After", symbols=["QQQ"]))
        assert (await inbox.next()).headline == "After"
        assert not task.done()
    assert news.drops == 1


async def test_stream_skips_malformed_messages(news: AlpacaNews, fake: FakeAlpacaNews) -> None:
    inbox = Inbox()
    async with running(news, ["*"], inbox):
        fake.stream.send_raw("not json at all")
        broken = fake.item("soon broken", symbols=["AAPL"])
        del broken["headline"]
        fake.publish(broken)
        fake.publish({**fake.item("bad time"), "created_at": "2026-13-45T99:00:00Z"})
        fake.publish(fake.item("Good one", symbols=["AAPL"]))
        assert (await inbox.next()).headline == "Good one"
    assert [h.headline for h in inbox.seen] == ["Good one"]
    lines = news.bad_data()
    assert len(lines) == 3 and lines[0].startswith("news item (stream): a frame that is no")
    assert lines[1] == f"news item (stream) {broken['id']}: missing field 'headline'"
    assert "created_at" in lines[2] and news.drops == 0


async def test_stream_auth_failure_raises_without_reconnecting(
    fake: FakeAlpacaNews, clock: Clock, virtual: Virtual
) -> None:
    wrong = "wrong-secret-value-123456"
    news = make_news(fake, clock, virtual, secret=wrong)
    try:
        with pytest.raises(NewsStreamRefused) as refused:
            await asyncio.wait_for(news.run(["*"], Inbox()), 5.0)
    finally:
        news.close()
    assert isinstance(refused.value, BrokerError)
    assert "402: auth failed" in str(refused.value) and wrong not in str(refused.value)
    assert fake.stream.auths == ["auth failed"] and fake.stream.accepted == 1
    assert virtual.sleeps == [] and not news.connected and news.drops == 0


async def test_stream_retries_a_connection_limit_error(
    news: AlpacaNews, fake: FakeAlpacaNews, virtual: Virtual
) -> None:
    fake.stream.error_on_connect(406, "connection limit exceeded")
    inbox = Inbox()
    async with running(news, ["AAPL"], inbox):
        assert fake.stream.accepted == 2 and virtual.sleeps == [BACKOFF.initial]
        assert news.drops == 0, "never subscribed, so nothing dropped"
        fake.publish(fake.item("Through", symbols=["AAPL"]))
        assert (await inbox.next()).headline == "Through"


async def test_a_failing_handler_does_not_stop_the_stream(
    news: AlpacaNews, fake: FakeAlpacaNews
) -> None:
    seen: list[str] = []

    async def flaky(h: Headline) -> None:
        seen.append(h.headline)
        if h.headline == "boom":
            raise RuntimeError("handler bug")

    task = asyncio.create_task(news.run(["*"], flaky))
    try:
        await until(lambda: news.connected, "the stream to subscribe")
        fake.publish(fake.item("boom"))
        fake.publish(fake.item("fine"))
        await until(lambda: seen == ["boom", "fine"], "both headlines")
        assert news.connected and not task.done()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    with pytest.raises(ValueError, match="at least one symbol"):
        await news.run([], flaky)
