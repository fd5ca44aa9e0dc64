"""DataAgent: quotes and bars from the MarketData source, cached, concurrency-limited.

Two cache layers. In memory: quotes for `quote_ttl` seconds, bars for `bars_ttl` seconds.
In the database (when the source has the BarHistory capability and a bar cache is given):
daily bars, topped up incrementally: a re-scan asks the venue only for bars after the last
cached one, in multi-symbol batches. Missing or stale data is never guessed: the symbol is
refused (or skipped by `many()`) with the reason.
"""

from __future__ import annotations

import asyncio
import difflib
import math
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from agents.errors import DataUnavailable, UnknownSymbol
from brokers.base import BarHistory, BrokerError, MarketData, UnknownSymbolError
from models.bar_cache import BarCacheRepo, join_bars, tail_bars
from models.domain import Bars, Quote
from services.scanner import SymbolData

DAILY = "1Day"
DAILY_LIMIT = 260
SPLIT_GAP = 1.35  # a first new open this far from the last cached close suggests a re-adjustment
SUGGEST_CUTOFF = 0.75  # how alike a known symbol must be to be offered ("APPL" -> "AAPL")


def lookback_start(now: datetime, sessions: int) -> datetime:
    """A start far enough back to cover `sessions` trading days (weekends and holidays)."""
    days = math.ceil(sessions * 7 / 5) + 10 + sessions // 50
    return (now - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)


def malformed(bars: Bars) -> str | None:
    """Why a venue's bars cannot be used as they are (None when they can)."""
    cols = (bars.open, bars.high, bars.low, bars.close, bars.volume)
    if any(len(c) != len(bars.ts) for c in cols):
        return f"{bars.symbol}: bar columns of different lengths; not guessing"
    for t, *row in zip(bars.ts, *cols, strict=True):
        if not all(math.isfinite(x) and x >= 0 for x in row) or row[1] < row[2]:
            o, h, lo, c, v = row
            return (
                f"{bars.symbol}: malformed bar on {t:%Y-%m-%d} "
                f"(o {o}, h {h}, l {lo}, c {c}, v {v}); not guessing"
            )
    return None


class DataAgent:
    """Caches bars for `bars_ttl` seconds and quotes for `quote_ttl` seconds (and daily bars in
    `bar_cache` for sources that can be topped up)."""

    def __init__(
        self,
        market: MarketData,
        quote_ttl: float = 2.0,
        bars_ttl: float = 300.0,
        concurrency: int = 8,
        max_quote_age: float = 120.0,
        bar_cache: BarCacheRepo | None = None,
        max_bar_age_days: float = 10.0,
    ) -> None:
        self.market = market
        self.quote_ttl = quote_ttl
        self.bars_ttl = bars_ttl
        self.max_quote_age = max_quote_age
        self.max_bar_age = timedelta(days=max_bar_age_days)
        self.bar_cache = bar_cache
        self._sem = asyncio.Semaphore(concurrency)
        self._quotes: dict[str, tuple[float, Quote]] = {}
        self._bars: dict[tuple[str, int], tuple[float, Bars]] = {}
        self._known = {i.symbol for i in market.universe()}

    def normalise(self, symbol: str) -> str:
        """Upper-cased, validated symbol; raises UnknownSymbol. The simulator's universe is
        closed; a real venue's universe is only the default scan list (the venue decides)."""
        s = (symbol or "").strip().upper().lstrip("$")
        if not s or len(s) > 12 or not all(ch.isalnum() or ch in ".-" for ch in s):
            raise UnknownSymbol(symbol or "")
        if self._known and self.market.simulated and s not in self._known:
            raise self.unknown(s)
        return s

    def known(self) -> list[str]:
        return sorted(self._known)

    def suggest(self, symbol: str) -> str | None:
        """The known symbol closest to `symbol` when one clearly is (difflib ratio at least
        SUGGEST_CUTOFF and better than any other), else None."""
        s = symbol.upper()
        scored = [(difflib.SequenceMatcher(None, s, k).ratio(), k) for k in self._known if k != s]
        best = sorted((r, k) for r, k in scored if r >= SUGGEST_CUTOFF)[::-1][:2]
        if not best or (len(best) == 2 and best[0][0] == best[1][0]):
            return None
        return best[0][1]

    def unknown(self, symbol: str) -> UnknownSymbol:
        """The error for a symbol the market does not know, with the closest known one."""
        return UnknownSymbol(symbol, self.suggest(symbol))

    # ------------------------------------------------------------------ quotes

    async def quote(self, symbol: str, fresh: bool = False) -> Quote:
        now = time.monotonic()
        hit = self._quotes.get(symbol)
        if hit and not fresh and now - hit[0] < self.quote_ttl:
            return hit[1]
        try:
            async with self._sem:
                q = await self.market.quote(symbol)
        except UnknownSymbolError as e:
            raise self.unknown(symbol) from e
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

    # ------------------------------------------------------------------ bars

    def _history(self) -> BarHistory | None:
        if self.bar_cache is not None and isinstance(self.market, BarHistory):
            return self.market
        return None

    def _stale(self, bars: Bars) -> str | None:
        if len(bars) == 0:
            return f"{bars.symbol}: no daily history"
        age = self.market.now() - bars.ts[-1]
        if age > self.max_bar_age:
            return (
                f"{bars.symbol}: latest daily bar is from {bars.ts[-1]:%Y-%m-%d} "
                f"({age.days} days old); not guessing"
            )
        return None

    async def daily_bars(self, symbol: str, limit: int = DAILY_LIMIT) -> Bars:
        now = time.monotonic()
        hit = self._bars.get((symbol, limit))
        if hit and now - hit[0] < self.bars_ttl:
            return hit[1]
        if self._history() is not None:
            got, failed = await self._top_up([symbol], limit)
            if symbol in failed:
                raise failed[symbol]
            bars = got[symbol]
        else:
            try:
                async with self._sem:
                    bars = await self.market.daily_bars(symbol, limit)
            except UnknownSymbolError as e:
                raise self.unknown(symbol) from e
            except BrokerError as e:
                raise DataUnavailable(f"No bars for {symbol}: {e}") from e
            reason = self._stale(bars)
            if reason:
                raise DataUnavailable(reason)
        self._bars[(symbol, limit)] = (now, bars)
        return bars

    async def _fetch_since(
        self, history: BarHistory, symbols: list[str], start: datetime
    ) -> dict[str, Bars]:
        async with self._sem:
            return await history.daily_bars_since(symbols, start)

    async def _top_up(
        self, symbols: Sequence[str], limit: int
    ) -> tuple[dict[str, Bars], dict[str, Exception]]:
        """Cached daily bars plus only the newer ones from the venue (written back).
        Returns (bars by symbol, the reason for each symbol that has none usable)."""
        history, cache = self._history(), self.bar_cache
        assert history is not None and cache is not None
        source = history.bar_source
        cached = await asyncio.to_thread(cache.read, source, DAILY, list(symbols))
        need_from = lookback_start(self.market.now(), limit)
        groups: dict[datetime, list[str]] = {}
        for s in symbols:
            c = cached.get(s)
            covers = c is not None and (len(c) >= limit or c.ts[0] <= need_from + timedelta(7))
            if c is not None and covers:
                groups.setdefault(c.ts[-1] + timedelta(seconds=1), []).append(s)
            else:
                cached.pop(s, None)
                groups.setdefault(need_from, []).append(s)
        parts = await asyncio.gather(
            *(self._fetch_since(history, g, start) for start, g in groups.items()),
            return_exceptions=True,
        )
        failed: dict[str, Exception] = {}
        fresh: dict[str, Bars] = {}
        for (_, group), part in zip(groups.items(), parts, strict=True):
            if not isinstance(part, BaseException):
                for s, b in part.items():
                    why = malformed(b)
                    if why:
                        failed[s] = DataUnavailable(why)
                    else:
                        fresh[s] = b
                continue
            if not isinstance(part, BrokerError):
                raise part
            for s in group:
                unknown = isinstance(part, UnknownSymbolError) and len(group) == 1
                failed[s] = (
                    self.unknown(s) if unknown else DataUnavailable(f"No bars for {s}: {part}")
                )
        full, appended = await self._readjust(history, cached, fresh, need_from)
        out: dict[str, Bars] = {}
        for s in symbols:
            if s in failed:
                cached.pop(s, None)
                continue
            old, new = cached.get(s), fresh.get(s)
            merged = full.get(s) or (join_bars(old, new) if old and new else old or new)
            if merged is None:
                failed[s] = DataUnavailable(f"{s}: no daily history from {self.market.name}")
                continue
            reason = self._stale(merged)
            if reason:
                failed[s] = DataUnavailable(reason)
                continue
            out[s] = tail_bars(merged, limit)
        if appended or full:
            await asyncio.to_thread(self._write, source, [fresh[s] for s in appended], full)
        return out, failed

    async def _readjust(
        self,
        history: BarHistory,
        cached: dict[str, Bars],
        fresh: dict[str, Bars],
        need_from: datetime,
    ) -> tuple[dict[str, Bars], list[str]]:
        """(whole histories to store, symbols whose new bars simply append). A first fetch is
        stored whole; new bars that do not continue the cached ones (a split re-adjusted the
        history) make that symbol's whole history be fetched again."""
        full = {s: b for s, b in fresh.items() if s not in cached}
        appended: list[str] = []
        suspects: list[str] = []
        for s, new in fresh.items():
            if s in cached:
                last = cached[s].close[-1]
                ratio = new.open[0] / last if last else math.inf
                (appended if 1 / SPLIT_GAP <= ratio <= SPLIT_GAP else suspects).append(s)
        if suspects:
            try:
                again = await self._fetch_since(history, suspects, need_from)
            except BrokerError:
                again = {}  # keep what we have; the gap check runs again next time
            again = {s: b for s, b in again.items() if not malformed(b)}
            full.update(again)
            appended += [s for s in suspects if s not in again]
        return full, appended

    def _write(self, source: str, appended: list[Bars], full: dict[str, Bars]) -> None:
        assert self.bar_cache is not None
        self.bar_cache.write(source, DAILY, appended)
        for bars in full.values():
            self.bar_cache.replace(source, DAILY, bars)

    # ------------------------------------------------------------------ many symbols

    async def symbol_data(self, symbol: str, fresh_quote: bool = False) -> SymbolData:
        bars, quote = await asyncio.gather(
            self.daily_bars(symbol), self.quote(symbol, fresh=fresh_quote)
        )
        if len(bars) == 0:
            raise DataUnavailable(f"{symbol}: no daily history")
        return SymbolData.from_lists(
            symbol, bars.open, bars.high, bars.low, bars.close, bars.volume, quote, bars.ts
        )

    async def intraday_bars(self, symbol: str, minutes: int = 5) -> Bars:
        """Today's bars so far at `minutes` resolution (not cached: the last one is live)."""
        try:
            async with self._sem:
                bars = await self.market.intraday_bars(symbol, minutes, 24 * 60 // minutes)
        except UnknownSymbolError as e:
            raise self.unknown(symbol) from e
        except BrokerError as e:
            raise DataUnavailable(f"No intraday bars for {symbol}: {e}") from e
        if why := malformed(bars):
            raise DataUnavailable(why)
        return bars

    async def _prefetch(self, symbols: Sequence[str]) -> dict[str, str]:
        """Warm both memory caches with batched requests (a real venue's rate limit counts
        requests, not symbols); returns the reason for each symbol that cannot be served."""
        failed: dict[str, str] = {}
        now = time.monotonic()
        if self._history() is not None:
            todo = [
                s
                for s in symbols
                if not ((h := self._bars.get((s, DAILY_LIMIT))) and now - h[0] < self.bars_ttl)
            ]
            if todo:
                got, errors = await self._top_up(todo, DAILY_LIMIT)
                failed.update({s: str(e) for s, e in errors.items()})
                for s, b in got.items():
                    self._bars[(s, DAILY_LIMIT)] = (now, b)
        todo = [s for s in symbols if s not in failed]
        try:
            async with self._sem:
                quotes = await self.market.quotes(todo) if todo else {}
        except BrokerError as e:
            return failed | {s: f"No quote for {s}: {e}" for s in todo}
        now = time.monotonic()
        for s in todo:
            q = quotes.get(s)
            if q is None:
                failed[s] = f"No quote for {s} from {self.market.name}"
                continue
            try:
                self._check_quote(q)
            except DataUnavailable as e:
                failed[s] = str(e)
                continue
            self._quotes[s] = (now, q)
        return failed

    async def many(self, symbols: Sequence[str]) -> tuple[list[SymbolData], dict[str, str]]:
        """Data for many symbols; the ones that fail are reported with the reason, not guessed."""
        failed = {} if self.market.simulated else await self._prefetch(symbols)
        todo = [s for s in symbols if s not in failed]
        results = await asyncio.gather(*(self.symbol_data(s) for s in todo), return_exceptions=True)
        ok: list[SymbolData] = []
        skipped: dict[str, str] = {}
        by_symbol = dict(zip(todo, results, strict=True))
        for sym in symbols:
            if sym in failed:
                skipped[sym] = failed[sym]
                continue
            r = by_symbol[sym]
            if isinstance(r, BaseException):
                skipped[sym] = str(r)
            else:
                ok.append(r)
        return ok, skipped
