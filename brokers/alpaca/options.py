"""Alpaca option chains and option quotes (alpaca-py) behind OptionChains and OptionQuotes.

Contracts are the trading API's master list (``TradingClient.get_option_contracts``): it
does not page by itself, so this module follows ``next_page_token`` (up to 10 000 contracts
a page), and it always sends ``expiration_date_gte`` and ``expiration_date_lte`` (without an
upper bound Alpaca answers only up to the next weekend). Quotes come from the data API's
snapshots (``OptionHistoricalDataClient.get_option_chain``, one request per asked expiry,
and ``get_option_snapshot`` by symbol, 100 symbols a request); for those the SDK follows
``next_page_token`` itself, each page paced by the shared `RateLimiter`. Answers are raw
JSON so one bad entry is skipped and reported (`bad_data`) instead of failing the chain.

Only standard contracts are listed (root = the underlying's; an adjusted contract such as
AAPL1 delivers something else than 100 shares). A contract without a quote has NaN there;
nothing is invented. The IV and greeks are Alpaca's own (`VENUE_NOTE`).
"""

from __future__ import annotations

import asyncio
import re
import time as time_module
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from alpaca.data.enums import OptionsFeed
from alpaca.data.historical.option import OptionHistoricalDataClient
from alpaca.data.requests import OptionChainRequest, OptionSnapshotRequest
from alpaca.trading.requests import GetOptionContractsRequest
from loguru import logger

from brokers.alpaca.option_convert import (
    BadOptionData,
    bare_row,
    contract_row,
    occ_root,
    quoted,
    with_snapshot,
)
from brokers.alpaca.ratelimit import RateLimiter
from brokers.alpaca.trading_client import PacedTradingClient
from brokers.alpaca.trading_convert import DataProblem
from brokers.alpaca.transport import (
    HttpFailure,
    Paced,
    RetryPolicy,
    Transport,
    TransportFailure,
    data_error,
)
from brokers.base import BrokerError, NoOptionsError, UnknownSymbolError
from models.options import OptionChain, OptionRow, normal_occ, parse_occ

ET = ZoneInfo("America/New_York")
FEEDS = tuple(f.value for f in OptionsFeed)
CONTRACTS_PER_PAGE = 10_000  # the most /v2/options/contracts gives in one page
SYMBOLS_PER_REQUEST = 100  # the most symbols one options snapshot request takes
EXPIRY_HORIZON = timedelta(days=400)  # how far ahead option_expiries looks
MAX_PAGES = 200  # a runaway guard: no real chain needs this many contract pages
VENUE_NOTE = (
    "IV and greeks are Alpaca's, computed by Alpaca with its own model and rate "
    "(no dividend stated); ours are computed separately."
)
_UNDERLYING = re.compile(r"^[A-Z][A-Z0-9.\-/]{0,11}$")
_SHOWN = re.compile(r"^[A-Za-z0-9 ._/-]{1,32}$")  # a venue key shown in bad_data as it is

Failure = HttpFailure | TransportFailure


class PacedOptionClient(Paced, OptionHistoricalDataClient):
    """alpaca-py's option data client: raw JSON, paced, no SDK retry (see `Paced`)."""

    def __init__(self, api_key: str, secret_key: str, **kw: Any) -> None:
        """`kw`: url_override and Paced's pacing arguments."""
        super().__init__(api_key, secret_key, raw_data=True, **kw)


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _entries(fetch: Callable[[], Any]) -> Callable[[], dict[str, Any]]:
    """`fetch` whose answer must be the SDK's merged {symbol: snapshot} of every page."""

    def run() -> dict[str, Any]:
        try:
            got = fetch()
        except AttributeError:  # the SDK met "snapshots": null on some page
            raise TransportFailure("malformed reply (snapshots missing)", False) from None
        if not isinstance(got, dict):
            raise TransportFailure("malformed reply (snapshots missing)", False)
        return got

    return run


class AlpacaOptionChains:
    """OptionChains and OptionQuotes over Alpaca (also BadDataLog for skipped entries).

    Keys go to the SDK clients only; nothing here logs them, and every error text is
    scrubbed of them even when the venue echoes them back.
    """

    name = "alpaca"

    def __init__(
        self,
        key_id: str,
        secret: str,
        *,
        paper: bool = True,
        trading_url_override: str | None = None,
        data_url_override: str | None = None,
        feed: str = "indicative",
        limiter: RateLimiter | None = None,
        clock: Callable[[], datetime] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        concurrency: int = 4,
        sleep: Callable[[float], Any] = asyncio.sleep,
        thread_sleep: Callable[[float], None] | None = None,
        max_problems: int = 200,
    ) -> None:
        if not key_id or not secret:
            raise BrokerError("Alpaca options need APCA_API_KEY_ID and APCA_API_SECRET_KEY")
        if feed not in FEEDS:
            raise BrokerError(f"unknown Alpaca options feed {feed!r}; one of {', '.join(FEEDS)}")
        self.feed = feed
        self.paper = paper
        self.option_source = f"alpaca:{feed}"
        self._clock = clock or (lambda: datetime.now(UTC))
        self.limiter = limiter or RateLimiter()
        pacing: dict[str, Any] = {
            "limiter": self.limiter,
            "timeout": timeout,
            "clock": self._clock,
            "thread_sleep": thread_sleep or time_module.sleep,
        }
        self._trading = PacedTradingClient(
            key_id, secret, paper=paper, url_override=trading_url_override, **pacing
        )
        self._data = PacedOptionClient(key_id, secret, url_override=data_url_override, **pacing)
        self.transport = Transport(concurrency=concurrency, policy=retry, sleep=sleep)
        self.problems: deque[DataProblem] = deque(maxlen=max_problems)
        self.skipped = 0  # entries refused so far (the log keeps the latest `max_problems`)

    def __repr__(self) -> str:
        return f"AlpacaOptionChains(feed={self.feed!r}, paper={self.paper})"

    def close(self) -> None:
        """Stop the worker threads and the HTTP sessions."""
        self.transport.close()
        self._trading._session.close()
        self._data._session.close()

    def now(self) -> datetime:
        now = self._clock()
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)

    def today(self) -> date:
        """Today in New York (the listing calendar's day)."""
        return self.now().astimezone(ET).date()

    @staticmethod
    def underlying(raw: str) -> str:
        """Upper-cased underlying in Alpaca's form; UnknownSymbolError when malformed."""
        s = (raw or "").strip().upper()
        if not _UNDERLYING.match(s):
            raise UnknownSymbolError(raw)
        return s

    # ------------------------------------------------------------------ bad data and errors

    def bad_data(self) -> list[str]:
        """The entries refused so far (user-safe lines, oldest first)."""
        return [" ".join(filter(None, (p.what, p.key))) + f": {p.reason}" for p in self.problems]

    def _problem(self, what: str, key: Any, reason: str) -> None:
        shown = key if isinstance(key, str) and _SHOWN.match(key) else ""
        self.problems.append(DataProblem(what, shown, reason))
        self.skipped += 1
        logger.warning("alpaca options: skipped {} {}: {}", what, shown or "?", reason)

    def _error(self, e: Failure, what: str, single: str | None) -> Exception:
        return data_error(e, what, single, "Alpaca options", self.feed)

    async def _call[T](self, what: str, fn: Callable[[], T], single: str | None = None) -> T:
        try:
            return await self.transport.call(what, fn)
        except (HttpFailure, TransportFailure) as e:
            raise self._error(e, what, single) from None

    # ------------------------------------------------------------------ contracts

    async def _contracts(self, underlying: str, first: date, last: date) -> list[OptionRow]:
        """Every standard active contract expiring in [first, last], all pages followed."""
        root = occ_root(underlying)
        rows: list[OptionRow] = []
        token: str | None = None
        pages = 0
        what = f"option contracts of {underlying}"
        while True:
            request = GetOptionContractsRequest(
                underlying_symbols=[underlying],
                expiration_date_gte=first,
                expiration_date_lte=last,
                limit=CONTRACTS_PER_PAGE,
                page_token=token,
            )
            page = await self._call(
                what, partial(self._trading.get_option_contracts, request), underlying
            )
            entries = page.get("option_contracts") if isinstance(page, dict) else None
            if entries is None and isinstance(page, dict) and "option_contracts" in page:
                entries = []  # Alpaca answers null for none
            if not isinstance(entries, list):
                raise BrokerError(f"Alpaca options: {what}: malformed reply (no contract list)")
            for entry in entries:
                key = entry.get("symbol") if isinstance(entry, dict) else None
                try:
                    row = contract_row(entry, root)
                except BadOptionData as e:
                    self._problem("option contract", key, str(e))
                    continue
                if row is not None and first <= row.expiry <= last:
                    rows.append(row)
            token = page.get("next_page_token")
            pages += 1
            if not token:
                return rows
            if pages >= MAX_PAGES:
                raise BrokerError(f"Alpaca options: {what}: paging did not end")

    async def option_expiries(self, underlying: str) -> list[date]:
        """Every listed expiry from today to about a year ahead (LEAPS beyond are left out),
        soonest first. UnknownSymbolError / NoOptionsError as the protocol says."""
        sym = self.underlying(underlying)
        today = self.today()
        rows = await self._contracts(sym, today, today + EXPIRY_HORIZON)
        if not rows:
            raise NoOptionsError(f"Alpaca lists no options on {sym}")
        return sorted({r.expiry for r in rows})

    # ------------------------------------------------------------------ snapshots

    def _feed(self) -> OptionsFeed:
        return OptionsFeed(self.feed)

    async def _chain_snapshots(self, underlying: str, expiry: date) -> dict[str, Any]:
        request = OptionChainRequest(
            underlying_symbol=underlying, feed=self._feed(), expiration_date=expiry
        )
        fetch = _entries(partial(self._data.get_option_chain, request))
        return await self._call(f"option quotes of {underlying} {expiry}", fetch, underlying)

    async def _symbol_snapshots(self, symbols: list[str]) -> dict[str, Any]:
        request = OptionSnapshotRequest(symbol_or_symbols=symbols, feed=self._feed())
        fetch = _entries(partial(self._data.get_option_snapshot, request))
        return await self._call(f"quotes of {len(symbols)} option contracts", fetch)

    def _merged(self, row: OptionRow, raw: Any) -> OptionRow:
        try:
            return with_snapshot(row, raw)
        except BadOptionData as e:
            self._problem("option quote", row.symbol, str(e))
            return row  # the listing stands; its quote is unknown (NaN)

    async def option_chain(self, underlying: str, expiries: Sequence[date]) -> OptionChain:
        """Every standard contract of `underlying` expiring on one of `expiries`, with its
        latest quote, last trade, open interest and Alpaca's IV and greeks."""
        sym = self.underlying(underlying)
        wanted = sorted(set(expiries))
        if not wanted:
            raise NoOptionsError(f"no expiries asked for {sym}")
        listed = await self._contracts(sym, wanted[0], wanted[-1])
        rows = {r.symbol: r for r in listed if r.expiry in wanted}
        if not rows:
            days = ", ".join(d.isoformat() for d in wanted)
            raise NoOptionsError(f"Alpaca lists no {sym} options expiring on {days}")
        parts = await asyncio.gather(*(self._chain_snapshots(sym, d) for d in wanted))
        root = occ_root(sym)
        for base, raw in self._snapshot_rows(parts):
            if base.symbol not in rows and (
                parse_occ(base.symbol).root != root or base.expiry not in wanted
            ):
                continue  # an adjusted or unasked contract
            rows[base.symbol] = self._merged(rows.get(base.symbol, base), raw)
        return OptionChain.from_rows(
            sym,
            rows.values(),
            source=self.option_source,
            simulated=False,
            as_of=self.now(),
            venue_note=VENUE_NOTE,
            dividend=None,
        )

    async def option_quotes(self, symbols: Sequence[str]) -> dict[str, OptionRow]:
        """Latest quotes (and Alpaca's IV and greeks) keyed by the unpadded OCC symbol, 100
        symbols a request, with open interest from the contracts endpoint (a root whose
        contracts cannot be read keeps none); contracts Alpaca has nothing for (and non-OCC
        input) are absent."""
        wanted: list[str] = []
        for s in symbols:
            try:
                wanted.append(normal_occ(s))
            except ValueError:
                continue
        wanted = list(dict.fromkeys(wanted))
        parts = await asyncio.gather(
            *(self._symbol_snapshots(c) for c in _chunks(wanted, SYMBOLS_PER_REQUEST))
        )
        out: dict[str, OptionRow] = {}
        asked = set(wanted)
        for base, raw in self._snapshot_rows(parts):
            if base.symbol not in asked or not quoted(raw):
                continue
            try:
                out[base.symbol] = with_snapshot(base, raw)
            except BadOptionData as e:
                self._problem("option quote", base.symbol, str(e))
        return await self._with_open_interest(out)

    async def _with_open_interest(self, rows: dict[str, OptionRow]) -> dict[str, OptionRow]:
        """`rows` with the open interest the contracts endpoint gives (snapshots carry
        none): one contracts query per root over the expiries asked."""
        by_root: dict[str, list[OptionRow]] = {}
        for row in rows.values():
            by_root.setdefault(parse_occ(row.symbol).root, []).append(row)
        listed = await asyncio.gather(
            *(
                self._contracts(root, min(r.expiry for r in rs), max(r.expiry for r in rs))
                for root, rs in by_root.items()
            ),
            return_exceptions=True,
        )
        for root, part in zip(by_root, listed, strict=True):
            if isinstance(part, BaseException):
                logger.warning("alpaca options: no open interest for {}: {}", root, part)
        oi = {
            c.symbol: c.open_interest
            for part in listed
            if isinstance(part, list)
            for c in part
            if c.open_interest is not None
        }
        return {
            k: r._replace(open_interest=oi[k]) if r.open_interest is None and k in oi else r
            for k, r in rows.items()
        }

    def _snapshot_rows(self, parts: Sequence[dict[str, Any]]) -> Iterator[tuple[OptionRow, Any]]:
        """(the contract its OCC key names, the raw snapshot) of every snapshot in `parts`;
        a key that is no OCC symbol is reported and skipped."""
        for part in parts:
            for key, raw in part.items():
                try:
                    base = bare_row(str(key))
                except BadOptionData as e:
                    self._problem("option quote", key, str(e))
                    continue
                yield base, raw
