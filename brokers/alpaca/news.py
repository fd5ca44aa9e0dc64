"""Alpaca news (Benzinga's feed) behind NewsSource and NewsStream.

Reads go through alpaca-py's ``NewsClient`` (``GET /v1beta1/news`` on the data host), paced
by the shared `RateLimiter` and retried by the shared `Transport` like every other Alpaca
data call. Each request asks for one page of `PAGE_SIZE` items, newest first, without the
article bodies (``include_content=false``), from ``since`` on; this module follows
``next_page_token`` itself until it holds ``limit`` usable headlines or the pages end (the
SDK's own paging would count skipped items, and drops the token). A malformed item is
skipped and recorded (`bad_data`), never returned. Live headlines come from the news
websocket (news_stream.py); `run`, `connected` and `drops` are its.
"""

from __future__ import annotations

import asyncio
import re
import time as time_module
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from alpaca.data.historical.news import NewsClient
from alpaca.data.requests import NewsRequest
from loguru import logger

from brokers.alpaca.news_convert import (
    BadNewsItem,
    headline_from_wire,
    news_stream_url,
    shown_id,
)
from brokers.alpaca.news_stream import AlpacaNewsStream
from brokers.alpaca.ratelimit import RateLimiter
from brokers.alpaca.stream import Backoff
from brokers.alpaca.trading_convert import DataProblem
from brokers.alpaca.transport import (
    HttpFailure,
    Paced,
    RetryPolicy,
    Transport,
    TransportFailure,
    data_error,
)
from brokers.base import BrokerError, HeadlineCallback
from models.news import Headline

PAGE_SIZE = 50  # the most /v1beta1/news gives in one page
MAX_PAGES = 40  # a runaway guard: 2 000 headlines is more than any caller asks for
SERVICE = "Alpaca news"
_SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9.\-/]{0,15}$")

Failure = HttpFailure | TransportFailure


class PacedNewsClient(Paced, NewsClient):
    """alpaca-py's news client: raw JSON, paced, no SDK retry (see `Paced`)."""

    def __init__(self, api_key: str, secret_key: str, **kw: Any) -> None:
        """`kw`: url_override and Paced's pacing arguments."""
        super().__init__(api_key, secret_key, raw_data=True, **kw)

    def news_page(self, request: NewsRequest) -> dict[str, Any]:
        """One page of ``GET /v1beta1/news`` as Alpaca sends it (items and the next token)."""
        params = request.to_request_fields()
        if "include_content" in params:  # Alpaca documents lower-case booleans
            params["include_content"] = str(params["include_content"]).lower()
        got = self.get("/news", params)
        if not isinstance(got, dict):
            raise TransportFailure("malformed reply (not a JSON object)", False)
        return got


def news_symbols(symbols: Sequence[str]) -> list[str]:
    """Upper-cased, de-duplicated symbols in Alpaca's form; malformed ones are dropped."""
    out = (s.strip().upper() for s in symbols if isinstance(s, str))
    return list(dict.fromkeys(s for s in out if _SYMBOL.match(s)))


class AlpacaNews:
    """NewsSource and NewsStream over Alpaca (also BadDataLog for the items it refused).

    Keys go to the SDK client and the stream's login frame only; nothing here logs them,
    and every error text is scrubbed of them even when the venue echoes them back.
    """

    name = "alpaca"
    news_source = "alpaca"

    def __init__(
        self,
        key_id: str,
        secret: str,
        *,
        url_override: str | None = None,
        stream_url: str | None = None,
        limiter: RateLimiter | None = None,
        clock: Callable[[], datetime] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        concurrency: int = 2,
        sleep: Callable[[float], Any] = asyncio.sleep,
        thread_sleep: Callable[[float], None] | None = None,
        backoff: Backoff | None = None,
        handshake_timeout: float = 10.0,
        max_problems: int = 200,
    ) -> None:
        """`url_override` is the data host (APCA_API_DATA_URL, as for AlpacaMarketData);
        the websocket URL is derived from it unless `stream_url` is given."""
        if not key_id or not secret:
            raise BrokerError("Alpaca news needs APCA_API_KEY_ID and APCA_API_SECRET_KEY")
        self._clock = clock or (lambda: datetime.now(UTC))
        self.limiter = limiter or RateLimiter()
        self._client = PacedNewsClient(
            key_id,
            secret,
            url_override=url_override,
            limiter=self.limiter,
            timeout=timeout,
            clock=self._clock,
            thread_sleep=thread_sleep or time_module.sleep,
        )
        self.transport = Transport(concurrency=concurrency, policy=retry, sleep=sleep)
        self.problems: deque[DataProblem] = deque(maxlen=max_problems)
        self.skipped = 0  # items refused so far (the log keeps the latest `max_problems`)
        self.stream = AlpacaNewsStream(
            key_id,
            secret,
            url=stream_url or news_stream_url(url_override),
            record=partial(self._problem, "news item (stream)"),
            backoff=backoff,
            sleep=sleep,
            handshake_timeout=handshake_timeout,
        )

    def __repr__(self) -> str:
        return f"AlpacaNews(stream={self.stream.url!r})"

    def close(self) -> None:
        """Stop the worker threads and the HTTP session."""
        self.transport.close()
        self._client._session.close()

    # ------------------------------------------------------------------ bad data and errors

    def bad_data(self) -> list[str]:
        """The items refused so far (user-safe lines, oldest first)."""
        return [" ".join(filter(None, (p.what, p.key))) + f": {p.reason}" for p in self.problems]

    def _problem(self, what: str, key: str, reason: str) -> None:
        self.problems.append(DataProblem(what, key, reason))
        self.skipped += 1
        logger.warning("alpaca news: skipped {} {}: {}", what, key or "?", reason)

    def _error(self, e: Failure, what: str) -> Exception:
        if isinstance(e, HttpFailure) and e.status in (401, 403):
            return BrokerError(
                f"{SERVICE} refused {what} (HTTP {e.status}: {e.message}); check "
                "APCA_API_KEY_ID / APCA_API_SECRET_KEY"
            )
        return data_error(e, what, None, SERVICE, "news")

    async def _call[T](self, what: str, fn: Callable[[], T]) -> T:
        try:
            return await self.transport.call(what, fn)
        except (HttpFailure, TransportFailure) as e:
            raise self._error(e, what) from None

    # ------------------------------------------------------------------ NewsSource

    async def news(
        self, symbols: Sequence[str] | None, since: datetime, limit: int = 50
    ) -> list[Headline]:
        """Headlines created at or after `since` naming any of `symbols` (None: any), newest
        first, at most `limit`. BrokerError on transport failure; malformed items are
        skipped and recorded."""
        if limit < 1:
            raise ValueError("limit must be positive")
        since = since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC)
        syms = None if symbols is None else news_symbols(symbols)
        if syms is not None and not syms:
            return []
        what = f"news for {len(syms)} symbols" if syms else "news"
        out: dict[str, Headline] = {}
        token: str | None = None
        for _ in range(MAX_PAGES):
            request = NewsRequest(
                symbols=",".join(syms) if syms else None,
                start=since,
                sort="desc",
                limit=PAGE_SIZE,
                include_content=False,
                page_token=token,
            )
            page = await self._call(what, partial(self._client.news_page, request))
            for headline in self._headlines(page, what):
                if headline.created_at >= since and headline.id not in out:
                    out[headline.id] = headline
            token = page.get("next_page_token")
            if len(out) >= limit or not token:
                break
        else:
            logger.warning("alpaca news: {} still had pages after {}", what, MAX_PAGES)
        newest = sorted(out.values(), key=lambda h: h.created_at, reverse=True)
        return newest[:limit]

    def _headlines(self, page: dict[str, Any], what: str) -> list[Headline]:
        items = page.get("news")
        if items is None:
            return []  # Alpaca answers null for none
        if not isinstance(items, list):
            raise BrokerError(f"{SERVICE}: {what}: malformed reply (no news list)")
        out: list[Headline] = []
        for raw in items:
            try:
                out.append(headline_from_wire(raw))
            except BadNewsItem as e:
                self._problem("news item", shown_id(raw), str(e))
        return out

    # ------------------------------------------------------------------ NewsStream

    @property
    def connected(self) -> bool:
        """Subscribed to the news websocket right now."""
        return self.stream.connected

    @property
    def drops(self) -> int:
        """News websocket connections lost so far."""
        return self.stream.drops

    async def run(self, symbols: Sequence[str], on_headline: HeadlineCallback) -> None:
        """Deliver live headlines naming `symbols` ("*" for all) until cancelled; reconnect
        with backoff after a drop. NewsStreamRefused (a BrokerError) on refused keys."""
        await self.stream.run(symbols, on_headline)
