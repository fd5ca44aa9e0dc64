"""Alpaca market data (alpaca-py StockHistoricalDataClient) behind the MarketData protocol.

Quotes come from snapshots (one request gives the latest quote *and* the latest trade for up
to `SYMBOLS_PER_REQUEST` symbols); bars from the multi-symbol bars endpoint, whose pages the
SDK follows by next_page_token. Daily bars are split-adjusted and only *completed* sessions are
returned: today's bar joins after the extended session (20:30 ET), so nothing partial is
cached. The feed defaults to the free `iex`; `sip` needs a paid subscription.
"""

from __future__ import annotations

import asyncio
import math
import re
import time as time_module
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from alpaca.data.enums import Adjustment, DataFeed
from alpaca.data.models import Snapshot as SdkSnapshot
from alpaca.data.requests import StockBarsRequest, StockSnapshotRequest
from alpaca.data.timeframe import TimeFrame, TimeFrameUnit

from brokers.alpaca.convert import (
    IncompleteSnapshot,
    bars_from_sdk,
    empty_bars,
    quote_from_snapshot,
)
from brokers.alpaca.ratelimit import RateLimiter
from brokers.alpaca.transport import (
    HttpFailure,
    PacedClient,
    RetryPolicy,
    Transport,
    TransportFailure,
    data_error,
)
from brokers.base import BrokerError, UnknownSymbolError
from models.bar_cache import tail_bars
from models.domain import Bars, Instrument, Quote

ET = ZoneInfo("America/New_York")
FEEDS = tuple(f.value for f in DataFeed)
SYMBOLS_PER_REQUEST = 100  # multi-symbol requests are chunked to keep URLs short
DAILY_FINAL_ET = time(20, 30)  # today's daily bar counts as complete after this
SIP_DELAY = timedelta(minutes=16)  # free plans may not query the last 15 minutes of SIP
_SESSION = (time(9, 30), time(16, 0))
_SYMBOL = re.compile(r"^[A-Z][A-Z0-9.\-/]{0,11}$")


def weekday_session(ts: datetime) -> bool:
    """09:30–16:00 ET on weekdays (no holidays): the fallback when no calendar is given."""
    et = ts.astimezone(ET)
    return et.weekday() < 5 and _SESSION[0] <= et.time() < _SESSION[1]


def completed_end(now: datetime) -> datetime:
    """The latest `end` that only takes in completed daily bars (stamped 00:00 ET)."""
    et = now.astimezone(ET)
    if et.time() >= DAILY_FINAL_ET:
        return now - SIP_DELAY
    midnight = datetime.combine(et.date(), time(0), tzinfo=ET).astimezone(UTC)
    return min(midnight - timedelta(seconds=1), now - SIP_DELAY)


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _timeframe(minutes: int) -> TimeFrame:
    if 1 <= minutes < 60:
        return TimeFrame(minutes, TimeFrameUnit.Minute)
    if minutes % 60 == 0 and minutes // 60 <= 23:
        return TimeFrame(minutes // 60, TimeFrameUnit.Hour)
    raise ValueError("minutes must be 1-59, or whole hours up to 23h")


class AlpacaMarketData:
    """MarketData over Alpaca's data API v2 (also the BarHistory capability for the cache).

    Keys are handed to the SDK client and not kept on this object; nothing here logs them.
    """

    name = "alpaca"
    simulated = False

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        *,
        feed: str = "iex",
        url_override: str | None = None,
        universe: Sequence[Instrument] = (),
        session_open: Callable[[datetime], bool] | None = None,
        clock: Callable[[], datetime] | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        concurrency: int = 4,
        timeout: float = 10.0,
        sleep: Callable[[float], object] = asyncio.sleep,
        thread_sleep: Callable[[float], None] | None = None,
        adjustment: str = "split",
    ) -> None:
        if not api_key or not secret_key:
            raise BrokerError("Alpaca market data needs APCA_API_KEY_ID and APCA_API_SECRET_KEY")
        if feed not in FEEDS:
            raise BrokerError(f"unknown Alpaca feed {feed!r}; one of {', '.join(FEEDS)}")
        self.feed = feed
        self.adjustment = Adjustment(adjustment)
        self.bar_source = f"alpaca:{feed}:{self.adjustment.value}"
        self._clock = clock or (lambda: datetime.now(UTC))
        self._session_open = session_open or weekday_session
        self._universe = list(universe)
        self.limiter = limiter or RateLimiter()
        self._client = PacedClient(
            api_key,
            secret_key,
            url_override=url_override,
            limiter=self.limiter,
            timeout=timeout,
            clock=self._clock,
            thread_sleep=thread_sleep or time_module.sleep,
        )
        self.transport = Transport(concurrency=concurrency, policy=retry, sleep=sleep)

    def __repr__(self) -> str:
        return f"AlpacaMarketData(feed={self.feed!r})"

    def close(self) -> None:
        """Stop the worker threads and the HTTP session."""
        self.transport.close()
        self._client._session.close()

    # ------------------------------------------------------------------ clock and universe

    def now(self) -> datetime:
        """The wall clock (UTC)."""
        now = self._clock()
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)

    def is_open(self, ts: datetime | None = None) -> bool:
        """Whether the regular session is open at `ts` (the injected exchange calendar)."""
        return self._session_open(ts or self.now())

    def universe(self) -> list[Instrument]:
        """The default scan universe handed in (Alpaca itself knows every US listing)."""
        return list(self._universe)

    @staticmethod
    def symbol(raw: str) -> str:
        """Upper-cased symbol in Alpaca's form (BRK.B); raises UnknownSymbolError."""
        s = (raw or "").strip().upper()
        if not _SYMBOL.match(s):
            raise UnknownSymbolError(raw)
        return s

    @classmethod
    def _valid(cls, raw: str) -> str | None:
        try:
            return cls.symbol(raw)
        except UnknownSymbolError:
            return None

    # ------------------------------------------------------------------ errors

    def _error(self, e: HttpFailure | TransportFailure, what: str, single: str | None) -> Exception:
        return data_error(e, what, single, "Alpaca market data", self.feed)

    async def _call[T](self, what: str, fn: Callable[[], T], single: str | None = None) -> T:
        try:
            return await self.transport.call(what, fn)
        except (HttpFailure, TransportFailure) as e:
            raise self._error(e, what, single) from None

    # ------------------------------------------------------------------ bars

    async def _bars(
        self,
        symbols: list[str],
        timeframe: TimeFrame,
        start: datetime,
        end: datetime | None,
        what: str,
    ) -> dict[str, Bars]:
        request = StockBarsRequest(
            symbol_or_symbols=symbols,
            timeframe=timeframe,
            start=start,
            end=end,
            feed=DataFeed(self.feed),
            adjustment=self.adjustment,
        )
        single = symbols[0] if len(symbols) == 1 else None
        barset = await self._call(what, lambda: self._client.get_stock_bars(request), single)
        data = getattr(barset, "data", {}) or {}
        return {s: bars_from_sdk(s, rows) for s, rows in data.items() if s in symbols and rows}

    async def daily_bars_since(self, symbols: Sequence[str], start: datetime) -> dict[str, Bars]:
        """Completed daily bars stamped at or after `start`, many symbols a request.
        Symbols with no such bars are absent from the answer (malformed ones too)."""
        syms = list(dict.fromkeys(s for s in map(self._valid, symbols) if s))
        end = completed_end(self.now())
        if not syms or start > end:
            return {}
        tf = TimeFrame(1, TimeFrameUnit.Day)
        parts = await asyncio.gather(
            *(
                self._bars(chunk, tf, start, end, f"daily bars for {len(chunk)} symbols")
                for chunk in _chunks(syms, SYMBOLS_PER_REQUEST)
            )
        )
        return {s: b for part in parts for s, b in part.items()}

    def lookback_start(self, sessions: int) -> datetime:
        """A start far enough back to cover `sessions` trading days (weekends, holidays)."""
        days = math.ceil(sessions * 7 / 5) + 10 + sessions // 50
        day: date = self.now().astimezone(ET).date() - timedelta(days=days)
        return datetime.combine(day, time(0), tzinfo=ET).astimezone(UTC)

    async def daily_bars(self, symbol: str, limit: int = 300) -> Bars:
        """The last `limit` completed daily bars, oldest first; UnknownSymbolError when Alpaca
        has none for the symbol in the whole look-back window."""
        if limit < 1:
            raise ValueError("limit must be positive")
        sym = self.symbol(symbol)
        got = await self.daily_bars_since([sym], self.lookback_start(limit))
        if sym not in got:
            raise UnknownSymbolError(sym)
        return tail_bars(got[sym], limit)

    async def intraday_bars(self, symbol: str, minutes: int = 5, limit: int = 78) -> Bars:
        """Today's bars so far at `minutes` resolution (the last may be partial); empty before
        today's session opens."""
        if limit < 1:
            raise ValueError("limit must be positive")
        tf = _timeframe(minutes)
        sym = self.symbol(symbol)
        now = self.now()
        day = now.astimezone(ET).date()
        opened = datetime.combine(day, _SESSION[0], tzinfo=ET).astimezone(UTC)
        if now < opened:
            return empty_bars(sym)
        end = now - SIP_DELAY if self.feed == "sip" else None
        got = await self._bars([sym], tf, opened, end, f"{minutes}-minute bars for {sym}")
        return tail_bars(got.get(sym) or empty_bars(sym), limit)

    # ------------------------------------------------------------------ quotes

    async def _snapshots(self, symbols: list[str]) -> dict[str, SdkSnapshot]:
        async def one(chunk: list[str]) -> dict[str, SdkSnapshot]:
            request = StockSnapshotRequest(symbol_or_symbols=chunk, feed=DataFeed(self.feed))
            single = chunk[0] if len(chunk) == 1 else None
            got = await self._call(
                f"snapshots for {len(chunk)} symbols",
                lambda: self._client.get_stock_snapshot(request),
                single,
            )
            return {s: v for s, v in dict(got).items() if s in chunk}  # type: ignore[arg-type]

        parts = await asyncio.gather(*(one(c) for c in _chunks(symbols, SYMBOLS_PER_REQUEST)))
        return {s: v for part in parts for s, v in part.items()}

    async def quote(self, symbol: str) -> Quote:
        """Latest quote (bid/ask from the latest quote, last from the latest trade)."""
        sym = self.symbol(symbol)
        snap = (await self._snapshots([sym])).get(sym)
        if snap is None:
            raise UnknownSymbolError(sym)
        try:
            return quote_from_snapshot(sym, snap)
        except IncompleteSnapshot as e:
            raise BrokerError(f"Alpaca ({self.feed} feed): {e}") from None

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Latest quotes keyed by upper-case symbol, batched; unknown or incomplete ones are
        left out (malformed symbols too)."""
        syms = list(dict.fromkeys(s for s in map(self._valid, symbols) if s))
        snaps = await self._snapshots(syms)
        out: dict[str, Quote] = {}
        for s, snap in snaps.items():
            try:
                out[s] = quote_from_snapshot(s, snap)
            except IncompleteSnapshot:
                continue
        return out
