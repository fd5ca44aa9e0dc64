"""DataAgent: quotes and bars from the MarketData source, cached, concurrency-limited."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from agents.errors import DataUnavailable, UnknownSymbol
from brokers.base import BrokerError, MarketData, UnknownSymbolError
from models.domain import Bars, Quote
from services.scanner import SymbolData


class DataAgent:
    """Caches bars for `bars_ttl` seconds and quotes for `quote_ttl` seconds."""

    def __init__(
        self,
        market: MarketData,
        quote_ttl: float = 2.0,
        bars_ttl: float = 300.0,
        concurrency: int = 8,
        max_quote_age: float = 120.0,
    ) -> None:
        self.market = market
        self.quote_ttl = quote_ttl
        self.bars_ttl = bars_ttl
        self.max_quote_age = max_quote_age
        self._sem = asyncio.Semaphore(concurrency)
        self._quotes: dict[str, tuple[float, Quote]] = {}
        self._bars: dict[tuple[str, int], tuple[float, Bars]] = {}
        self._known = {i.symbol for i in market.universe()}

    def normalise(self, symbol: str) -> str:
        """Upper-cased, validated symbol; raises UnknownSymbol."""
        s = (symbol or "").strip().upper().lstrip("$")
        if not s or len(s) > 12 or not all(ch.isalnum() or ch in ".-" for ch in s):
            raise UnknownSymbol(symbol or "")
        if self._known and s not in self._known:
            raise UnknownSymbol(s)
        return s

    def known(self) -> list[str]:
        return sorted(self._known)

    async def quote(self, symbol: str, fresh: bool = False) -> Quote:
        now = time.monotonic()
        hit = self._quotes.get(symbol)
        if hit and not fresh and now - hit[0] < self.quote_ttl:
            return hit[1]
        try:
            async with self._sem:
                q = await self.market.quote(symbol)
        except UnknownSymbolError as e:
            raise UnknownSymbol(symbol) from e
        except BrokerError as e:
            raise DataUnavailable(f"No quote for {symbol}: {e}") from e
        self._check_quote(q)
        self._quotes[symbol] = (now, q)
        return q

    def _check_quote(self, q: Quote) -> None:
        if not (q.bid > 0 and q.ask > 0 and q.ask >= q.bid and q.last > 0):
            raise DataUnavailable(f"{q.symbol}: quote looks wrong (bid {q.bid}, ask {q.ask})")
        age = (self.market.now() - q.ts).total_seconds()
        if age > self.max_quote_age:
            raise DataUnavailable(f"{q.symbol}: quote is {age:.0f}s old; not trading on it")

    async def daily_bars(self, symbol: str, limit: int = 260) -> Bars:
        now = time.monotonic()
        hit = self._bars.get((symbol, limit))
        if hit and now - hit[0] < self.bars_ttl:
            return hit[1]
        try:
            async with self._sem:
                bars = await self.market.daily_bars(symbol, limit)
        except UnknownSymbolError as e:
            raise UnknownSymbol(symbol) from e
        except BrokerError as e:
            raise DataUnavailable(f"No bars for {symbol}: {e}") from e
        self._bars[(symbol, limit)] = (now, bars)
        return bars

    async def symbol_data(self, symbol: str, fresh_quote: bool = False) -> SymbolData:
        bars, quote = await asyncio.gather(
            self.daily_bars(symbol), self.quote(symbol, fresh=fresh_quote)
        )
        if len(bars) == 0:
            raise DataUnavailable(f"{symbol}: no daily history")
        return SymbolData.from_lists(
            symbol, bars.open, bars.high, bars.low, bars.close, bars.volume, quote
        )

    async def many(self, symbols: Sequence[str]) -> tuple[list[SymbolData], dict[str, str]]:
        """Data for many symbols; the ones that fail are reported with the reason, not guessed."""
        results = await asyncio.gather(
            *(self.symbol_data(s) for s in symbols), return_exceptions=True
        )
        ok: list[SymbolData] = []
        skipped: dict[str, str] = {}
        for sym, r in zip(symbols, results, strict=True):
            if isinstance(r, BaseException):
                skipped[sym] = str(r)
            else:
                ok.append(r)
        return ok, skipped
