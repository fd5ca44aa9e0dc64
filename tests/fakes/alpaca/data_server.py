"""A loopback Alpaca market data API v2 (stocks) that an unmodified alpaca-py talks to.

Usage::

    fake = FakeAlpacaData()
    fake.add_symbol("AAPL", price=190.0)          # ~2 years of daily bars and a live quote
    await fake.start()
    client = StockHistoricalDataClient(fake.key_id, fake.secret_key, url_override=fake.base_url)

Endpoints: GET /v2/stocks/bars (multi-symbol; timeframe, start, end, limit, page_token, feed,
adjustment, sort), /v2/stocks/{symbol}/bars, /v2/stocks/quotes/latest,
/v2/stocks/{symbol}/quotes/latest, /v2/stocks/snapshots and /v2/stocks/{symbol}/snapshot.
Wire shapes follow Alpaca: bars ``{"t","o","h","l","c","v","n","vw"}``, quotes
``{"t","ap","as","ax","bp","bs","bx","c","z"}``; multi-symbol answers are keyed by symbol and
leave out symbols the fake does not have (snapshots answer ``null`` for them); a page holds at
most ``limit`` items in all (``page_size`` caps it lower to force paging) and carries an
opaque ``next_page_token``. Sessions are weekdays (no holidays); daily bars are stamped 00:00
New York time. Quotes and trades are stamped "now" (the fake's wall clock) unless pinned.
"""

from __future__ import annotations

import base64
import json
import math
import random
import re
import zlib
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from .base import ApiError, FakeAlpacaServer, Handler
from .options_server import OptionBook, option_routes

ET = ZoneInfo("America/New_York")
FEEDS = {"iex", "sip", "delayed_sip", "otc", "boats", "overnight"}
_SYMBOL = re.compile(r"^[A-Z][A-Z0-9.\-/]{0,15}$")
_TIMEFRAME = re.compile(r"^(\d+)(Min|T|Hour|H|Day|D|Week|W|Month|M)$")
_UNIT_MINUTES = {"Min": 1, "T": 1, "Hour": 60, "H": 60}
MAX_LIMIT = 10_000


def rfc3339(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def day_stamp(day: date) -> datetime:
    """Alpaca stamps a daily bar with 00:00 New York time (in UTC)."""
    return datetime.combine(day, time(0), tzinfo=ET).astimezone(UTC)


def _parse_time(value: str, name: str) -> datetime:
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"invalid {name}: {value}") from None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


@lru_cache(maxsize=65_536)
def _stamp(wire: str) -> datetime:
    return datetime.fromisoformat(wire.replace("Z", "+00:00"))


def _weekdays_before(day: date, n: int) -> list[date]:
    out: list[date] = []
    d = day
    while len(out) < n:
        d -= timedelta(days=1)
        if d.weekday() < 5:
            out.append(d)
    return out[::-1]


class FakeAlpacaData(FakeAlpacaServer):
    """Alpaca's stock market data v2 on 127.0.0.1. World state: ``daily`` (wire bars per
    symbol), quote/trade overrides, ``allowed_feeds``, ``page_size``."""

    def __init__(self, *, page_size: int | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.daily: dict[str, list[dict[str, Any]]] = {}
        self.spreads: dict[str, float] = {}
        self.pinned_quotes: dict[str, dict[str, Any]] = {}
        self.allowed_feeds: set[str] = set(FEEDS)
        self.page_size = page_size
        self.options = OptionBook()  # options_server.py; share one with the trading fake

    # ---- world ----------------------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.wall(), UTC)

    def add_symbol(
        self,
        symbol: str,
        *,
        price: float = 100.0,
        days: int = 520,
        volume: float = 3_000_000,
        spread: float = 0.02,
        trend: float = 0.0006,
        last_day: date | None = None,
    ) -> None:
        """Daily history ending on the weekday before today (or ``last_day``), closing near
        ``price``; a deterministic random walk per symbol."""
        rng = random.Random(zlib.crc32(symbol.encode()))
        end = last_day + timedelta(days=1) if last_day else self.now().astimezone(ET).date()
        days_list = _weekdays_before(end, days)
        closes = [price]
        for _ in range(days - 1):
            closes.append(closes[-1] / math.exp(trend + rng.gauss(0, 0.015)))
        closes.reverse()
        self.daily[symbol] = []
        prev = closes[0]
        for d, c in zip(days_list, closes, strict=True):
            self.daily[symbol].append(self._bar(rng, d, prev, c, volume))
            prev = c
        self.spreads[symbol] = spread

    @staticmethod
    def _bar(rng: random.Random, d: date, o: float, c: float, volume: float) -> dict[str, Any]:
        hi = max(o, c) * (1 + abs(rng.gauss(0, 0.006)))
        lo = min(o, c) * (1 - abs(rng.gauss(0, 0.006)))
        v = round(volume * math.exp(rng.gauss(0, 0.25)))
        return {
            "t": rfc3339(day_stamp(d)).replace(".000000000Z", "Z"),
            "o": round(o, 2),
            "h": round(hi, 2),
            "l": round(lo, 2),
            "c": round(c, 2),
            "v": v,
            "n": v // 120,
            "vw": round((o + c + hi + lo) / 4, 4),
        }

    def append_day(self, symbol: str, close: float | None = None) -> dict[str, Any]:
        """Add the next weekday's bar after the last one (a new session has completed)."""
        bars = self.daily[symbol]
        last = _stamp(bars[-1]["t"]).astimezone(ET)
        d = last.date() + timedelta(days=1)
        while d.weekday() >= 5:
            d += timedelta(days=1)
        prev = bars[-1]["c"]
        rng = random.Random(zlib.crc32(f"{symbol}:{d}".encode()))
        bar = self._bar(rng, d, prev, close if close is not None else prev * 1.004, 3_000_000)
        bars.append(bar)
        return bar

    def split(self, symbol: str, ratio: float) -> None:
        """A ratio-for-1 split: the adjusted history is divided by ``ratio``."""
        for b in self.daily[symbol]:
            for k in ("o", "h", "l", "c", "vw"):
                b[k] = round(b[k] / ratio, 4)
            b["v"] = round(b["v"] * ratio)

    def remove(self, symbol: str) -> None:
        self.daily.pop(symbol, None)
        self.pinned_quotes.pop(symbol, None)

    def pin_quote(self, symbol: str, *, bid: float, ask: float, ts: datetime | None = None) -> None:
        """Fix a symbol's latest quote (bid/ask 0 and old stamps make bad or stale quotes)."""
        self.pinned_quotes[symbol] = {"bid": bid, "ask": ask, "ts": ts}

    def _quote(self, symbol: str) -> dict[str, Any]:
        last = self.daily[symbol][-1]["c"]
        pin = self.pinned_quotes.get(symbol, {})
        half = self.spreads.get(symbol, 0.02) / 2
        ts = pin.get("ts") or self.now()
        return {
            "t": rfc3339(ts),
            "ax": "V",
            "ap": pin.get("ask", round(last + half, 2)),
            "as": 3,
            "bx": "V",
            "bp": pin.get("bid", round(last - half, 2)),
            "bs": 2,
            "c": ["R"],
            "z": "C",
        }

    def _trade(self, symbol: str) -> dict[str, Any]:
        last = self.daily[symbol][-1]["c"]
        return {
            "t": rfc3339(self.now()),
            "x": "V",
            "p": last,
            "s": 100,
            "c": ["@"],
            "i": 1,
            "z": "C",
        }

    def _intraday(self, symbol: str, minutes: int, start: datetime, end: datetime) -> list[dict]:
        """Deterministic bars for session minutes in [start, end] at ``minutes`` resolution."""
        out: list[dict[str, Any]] = []
        base = self.daily[symbol][-1]["c"]
        day = start.astimezone(ET).date()
        while day <= end.astimezone(ET).date():
            if day.weekday() < 5:
                opened = datetime.combine(day, time(9, 30), tzinfo=ET).astimezone(UTC)
                for k in range(0, 390, minutes):
                    t = opened + timedelta(minutes=k)
                    if start <= t <= end:
                        o = base * (1 + 0.004 * math.sin(k / 37 + len(symbol)))
                        c = base * (1 + 0.004 * math.sin((k + minutes) / 37 + len(symbol)))
                        v = 20_000 * minutes
                        out.append(self._bar_at(t, o, c, v))
            day += timedelta(days=1)
        return out

    @staticmethod
    def _bar_at(t: datetime, o: float, c: float, v: int) -> dict[str, Any]:
        hi, lo = max(o, c) * 1.0005, min(o, c) * 0.9995
        return {
            "t": rfc3339(t),
            "o": round(o, 2),
            "h": round(hi, 2),
            "l": round(lo, 2),
            "c": round(c, 2),
            "v": v,
            "n": v // 100,
            "vw": round((o + c) / 2, 4),
        }

    # ---- request parsing ------------------------------------------------------------------
    def _feed(self, q: Any) -> str:
        feed = q.get("feed", "iex")
        if feed not in FEEDS:
            raise ApiError(400, f"invalid feed: {feed}")
        if feed not in self.allowed_feeds:
            raise ApiError(403, f"subscription does not permit querying {feed} data")
        return feed

    @staticmethod
    def _symbols(raw: str | None) -> list[str]:
        if not raw:
            raise ApiError(400, "missing symbols")
        syms = [s.strip() for s in raw.split(",")]
        for s in syms:
            if not _SYMBOL.match(s):
                raise ApiError(400, f"invalid symbol: {s}")
        return list(dict.fromkeys(syms))

    def _bars_for(self, symbol: str, q: Any) -> list[dict[str, Any]]:
        m = _TIMEFRAME.match(q.get("timeframe", ""))
        if not m:
            raise ApiError(400, f"invalid timeframe: {q.get('timeframe', '')}")
        amount, unit = int(m.group(1)), m.group(2)
        start = _parse_time(q["start"], "start") if q.get("start") else None
        end = _parse_time(q["end"], "end") if q.get("end") else self.now()
        if start is not None and end < start:
            raise ApiError(422, "end should not be before start")
        if symbol not in self.daily:
            return []
        if unit in _UNIT_MINUTES:
            first = start or datetime.combine(end.date(), time(0), tzinfo=UTC)
            return self._intraday(symbol, amount * _UNIT_MINUTES[unit], first, end)
        if unit not in ("Day", "D") or amount != 1:
            raise ApiError(422, "the fake serves 1Day and minute/hour bars only")
        lo = start or datetime.min.replace(tzinfo=UTC)
        return [b for b in self.daily[symbol] if lo <= _stamp(b["t"]) <= end]

    def _page(
        self, items: list[tuple[str, dict[str, Any]]], q: Any
    ) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        try:
            limit = int(q.get("limit", 1000))
        except ValueError:
            raise ApiError(400, "invalid limit") from None
        if not 1 <= limit <= MAX_LIMIT:
            raise ApiError(400, f"invalid limit: must be between 1 and {MAX_LIMIT}")
        size = min(limit, self.page_size or limit)
        offset = 0
        if q.get("page_token"):
            try:
                sym, t = json.loads(base64.urlsafe_b64decode(q["page_token"]))
                offset = next(i for i, (s, b) in enumerate(items) if (s, b["t"]) == (sym, t))
            except (ValueError, StopIteration):
                raise ApiError(400, "invalid page_token") from None
        page = items[offset : offset + size]
        rest = items[offset + size : offset + size + 1]
        token = None
        if rest:
            raw = json.dumps([rest[0][0], rest[0][1]["t"]]).encode()
            token = base64.urlsafe_b64encode(raw).decode()
        return page, token

    # ---- handlers -------------------------------------------------------------------------
    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/v2/stocks/bars", self._multi_bars),
            ("GET", "/v2/stocks/quotes/latest", self._multi_quotes),
            ("GET", "/v2/stocks/snapshots", self._multi_snapshots),
            ("GET", "/v2/stocks/{symbol}/bars", self._single_bars),
            ("GET", "/v2/stocks/{symbol}/quotes/latest", self._single_quote),
            ("GET", "/v2/stocks/{symbol}/snapshot", self._single_snapshot),
            *option_routes(self, "data"),
        ]

    def _sorted_items(self, symbols: list[str], q: Any) -> list[tuple[str, dict[str, Any]]]:
        desc = q.get("sort", "asc") == "desc"
        if q.get("sort", "asc") not in ("asc", "desc"):
            raise ApiError(400, "invalid sort")
        if q.get("adjustment", "raw") not in ("raw", "split", "dividend", "all"):
            raise ApiError(400, "invalid adjustment")
        items = []
        for s in sorted(symbols):
            rows = self._bars_for(s, q)
            items += [(s, b) for b in (rows[::-1] if desc else rows)]
        return items

    async def _multi_bars(self, request: web.Request) -> web.Response:
        q = request.query
        self._feed(q)
        page, token = self._page(self._sorted_items(self._symbols(q.get("symbols")), q), q)
        out: dict[str, list[dict[str, Any]]] = {}
        for s, b in page:
            out.setdefault(s, []).append(b)
        return web.json_response({"bars": out, "next_page_token": token, "currency": "USD"})

    async def _single_bars(self, request: web.Request) -> web.Response:
        q = request.query
        self._feed(q)
        sym = self._symbols(request.match_info["symbol"])[0]
        page, token = self._page(self._sorted_items([sym], q), q)
        return web.json_response(
            {"bars": [b for _, b in page], "symbol": sym, "next_page_token": token}
        )

    async def _multi_quotes(self, request: web.Request) -> web.Response:
        self._feed(request.query)
        syms = self._symbols(request.query.get("symbols"))
        quotes = {s: self._quote(s) for s in syms if s in self.daily}
        return web.json_response({"quotes": quotes})

    async def _single_quote(self, request: web.Request) -> web.Response:
        self._feed(request.query)
        sym = self._symbols(request.match_info["symbol"])[0]
        if sym not in self.daily:
            raise ApiError(404, f"no quote found for symbol: {sym}")
        return web.json_response({"symbol": sym, "quote": self._quote(sym)})

    def _snapshot(self, symbol: str) -> dict[str, Any]:
        bars = self.daily[symbol]
        return {
            "latestTrade": self._trade(symbol),
            "latestQuote": self._quote(symbol),
            "minuteBar": bars[-1],
            "dailyBar": bars[-1],
            "prevDailyBar": bars[-2] if len(bars) > 1 else bars[-1],
        }

    async def _multi_snapshots(self, request: web.Request) -> web.Response:
        self._feed(request.query)
        syms = self._symbols(request.query.get("symbols"))
        return web.json_response(
            {s: (self._snapshot(s) if s in self.daily else None) for s in syms}
        )

    async def _single_snapshot(self, request: web.Request) -> web.Response:
        self._feed(request.query)
        sym = self._symbols(request.match_info["symbol"])[0]
        if sym not in self.daily:
            raise ApiError(404, f"no snapshot found for symbol: {sym}")
        return web.json_response({"symbol": sym, **self._snapshot(sym)})
