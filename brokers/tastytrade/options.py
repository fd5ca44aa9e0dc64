"""Tastytrade option chains (OptionChains): listed contracts from the nested chain, quotes
from DXLink or from another venue's option data.

GET /option-chains/{symbol}/nested (the SDK's `NestedOptionChain`) lists every expiration
with its strikes; each strike names its call and put as OCC symbols with the root padded to
six characters ("AAPL  250620C00100000", "F     250620C00012500") and as dxfeed streamer
symbols (".AAPL250620C100"). Only "Standard" chains are used (adjusted, non-standard
deliverables are left out), and symbols come out unpadded (models.options.normal_occ). The
nested chain changes rarely: it is kept per underlying for `chain_ttl_s` (five minutes).

Quotes: a one-shot DXLink snapshot (dxlink_quotes.py: bid/ask, dxfeed's IV and greeks, open
interest, day volume, last), or, when an `OptionQuotes` source is given (Alpaca's option
data), that source instead and no DXLink connection. A contract without a quote keeps NaN.
The dividend yield comes from the SDK's market metrics when the venue has it, else None.

Errors: a 404 for the underlying is UnknownSymbolError; an empty or all-non-standard chain,
or none on the asked dates, NoOptionsError; transport and streamer failures a user-safe
BrokerError (secrets scrubbed by the Transport).
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Self

from loguru import logger
from tastytrade.instruments import NestedOptionChain
from tastytrade.metrics import get_market_metrics

from brokers.base import BrokerError, NoOptionsError, OptionQuotes, UnknownSymbolError
from brokers.tastytrade.dxlink_quotes import DxRow, dxlink_snapshot
from brokers.tastytrade.transport import HttpStatus, RetryPolicy, Transport
from models.options import OptionChain, OptionRow, OptionType, normal_occ, parse_occ

if TYPE_CHECKING:
    from brokers.tastytrade.broker import TastytradeBroker

DXLINK_NOTE = (
    "IV and greeks are dxfeed's model as served by Tastytrade (DXLink), on their own "
    "interest-rate and dividend assumptions."
)
_UNDERLYING = re.compile(r"^[A-Z][A-Z0-9./]{0,9}$")


class _NotFound(Exception):
    """The venue answered 404 for the underlying (not retried)."""


class _Contract:
    __slots__ = ("expiry", "kind", "streamer", "strike", "symbol")

    def __init__(self, symbol: str, streamer: str, kind: OptionType, strike: float, expiry: date):
        self.symbol, self.streamer, self.kind = symbol, streamer, kind
        self.strike, self.expiry = strike, expiry


class TastytradeOptionChains:
    """OptionChains over Tastytrade's nested chains, quoted by DXLink or `quotes`."""

    def __init__(
        self,
        secret: str,
        refresh: str,
        *,
        api_base: str | None = None,
        sandbox: bool = True,
        quotes: OptionQuotes | None = None,
        quotes_name: str = "alpaca",
        quote_timeout_s: float = 3.0,
        clock: Callable[[], datetime] | None = None,
        chain_ttl_s: float = 300.0,
        timeout: float = 10.0,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        t = Transport(
            secret,
            refresh,
            api_base=api_base,
            is_test=sandbox,
            timeout=timeout,
            policy=policy,
            sleep=sleep,
        )
        self._setup(t, True, quotes, quotes_name, quote_timeout_s, clock, chain_ttl_s)

    @classmethod
    def from_transport(
        cls,
        transport: Transport,
        *,
        quotes: OptionQuotes | None = None,
        quotes_name: str = "alpaca",
        quote_timeout_s: float = 3.0,
        clock: Callable[[], datetime] | None = None,
        chain_ttl_s: float = 300.0,
    ) -> Self:
        """Chains over an existing Transport (its session, retry policy and scrubbing)."""
        self = cls.__new__(cls)
        self._setup(transport, False, quotes, quotes_name, quote_timeout_s, clock, chain_ttl_s)
        return self

    @classmethod
    def for_broker(cls, broker: TastytradeBroker, **kw: Any) -> Self:
        """Chains sharing the broker's session (one OAuth login); kw as `from_transport`."""
        return cls.from_transport(broker.transport, **kw)

    def _setup(
        self,
        transport: Transport,
        owns: bool,
        quotes: OptionQuotes | None,
        quotes_name: str,
        quote_timeout_s: float,
        clock: Callable[[], datetime] | None,
        chain_ttl_s: float,
    ) -> None:
        self._t, self._owns = transport, owns
        self._quotes, self._quotes_name = quotes, quotes_name
        self.option_source = f"tastytrade+{quotes_name if quotes is not None else 'dxlink'}"
        self.quote_timeout_s = quote_timeout_s
        self._clock = clock or (lambda: datetime.now(UTC))
        self._ttl = chain_ttl_s
        self._chains: dict[str, tuple[datetime, list[NestedOptionChain]]] = {}
        self._dividends: dict[str, tuple[datetime, float | None]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.skipped: list[str] = []  # contracts or events refused (user-safe text)

    def __repr__(self) -> str:
        return f"TastytradeOptionChains(source={self.option_source!r})"

    async def close(self) -> None:
        """Close the HTTP session when this object made it (not the broker's)."""
        if self._owns:
            await self._t.close()

    # ------------------------------------------------------------------ OptionChains
    async def option_expiries(self, underlying: str) -> list[date]:
        """Every listed expiry of `underlying` (standard chains), soonest first."""
        u = self._symbol(underlying)
        chains = await self._nested(u)
        return sorted({e.expiration_date for c in chains for e in c.expirations})

    async def option_chain(self, underlying: str, expiries: Sequence[date]) -> OptionChain:
        """The contracts of `underlying` on `expiries` with their quotes and venue greeks."""
        u = self._symbol(underlying)
        chains = await self._nested(u)
        contracts = self._contracts(chains, set(expiries))
        if not contracts:
            days = ", ".join(sorted(d.isoformat() for d in set(expiries))) or "no dates"
            raise NoOptionsError(f"Tastytrade lists no {u} options expiring {days}")
        spot: float | None = None
        if self._quotes is not None:
            quoted = await self._from_source([c.symbol for c in contracts])
            rows = [_row(c, quoted.get(c.symbol)) for c in contracts]
            note = (
                f"Contracts listed by Tastytrade; quotes, IV and greeks from {self._quotes_name}, "
                "on its own model and assumptions."
            )
        else:
            snap = await dxlink_snapshot(
                self._t,
                [c.streamer for c in contracts],
                timeout=self.quote_timeout_s,
                quote_only=(u,),
            )
            if snap.skipped:
                self.skipped.append(f"{u}: {snap.skipped} malformed DXLink messages skipped")
            rows = [_dx_row(c, snap.rows.get(c.streamer)) for c in contracts]
            note = DXLINK_NOTE
            spot = _spot(snap.rows.get(u))
        return OptionChain.from_rows(
            u,
            rows,
            source=self.option_source,
            simulated=False,
            as_of=self._clock(),
            venue_note=note,
            dividend=await self._dividend(u),
            spot=spot,
        )

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _symbol(underlying: str) -> str:
        u = (underlying or "").strip().upper()
        if not _UNDERLYING.match(u):
            raise UnknownSymbolError(underlying)
        return u

    def _fresh(self, stamp: datetime) -> bool:
        return (self._clock() - stamp).total_seconds() < self._ttl

    async def _nested(self, u: str) -> list[NestedOptionChain]:
        """The standard nested chains of `u`, cached for the TTL."""
        async with self._locks.setdefault(u, asyncio.Lock()):
            hit = self._chains.get(u)
            if hit is not None and self._fresh(hit[0]):
                return hit[1]
            s = self._t.session

            async def get() -> list[NestedOptionChain]:
                try:
                    return await NestedOptionChain.get(s, u)
                except HttpStatus as e:
                    if e.status == 404:
                        raise _NotFound from None
                    raise

            try:
                items = await self._t.read("option chain", get)
            except _NotFound:
                raise UnknownSymbolError(u) from None
            if not items:
                raise NoOptionsError(f"Tastytrade lists no options for {u}")
            standard = [c for c in items if c.option_chain_type.lower() == "standard"]
            if not standard or not any(c.expirations for c in standard):
                raise NoOptionsError(f"Tastytrade lists no standard options for {u}")
            self._chains[u] = (self._clock(), standard)
            return standard

    def _contracts(self, chains: list[NestedOptionChain], wanted: set[date]) -> list[_Contract]:
        out: dict[str, _Contract] = {}
        for chain in chains:
            for exp in chain.expirations:
                if exp.expiration_date not in wanted:
                    continue
                for k in exp.strikes:
                    for kind, occ, streamer in (
                        ("call", k.call, k.call_streamer_symbol),
                        ("put", k.put, k.put_streamer_symbol),
                    ):
                        c = self._contract(occ, streamer, kind, float(k.strike_price), exp)
                        if c is not None:
                            out.setdefault(c.symbol, c)
        return list(out.values())

    def _contract(
        self, occ: str, streamer: str, kind: str, strike: float, exp: Any
    ) -> _Contract | None:
        try:
            p = parse_occ(occ)
        except ValueError:
            p = None
        if (
            p is None
            or p.type != kind
            or p.expiry != exp.expiration_date
            or not math.isclose(p.strike, strike, abs_tol=1e-6)
            or not streamer
        ):
            self.skipped.append(f"contract {occ!r} skipped: it does not match its chain row")
            logger.warning("tastytrade options: {}", self.skipped[-1])
            return None
        return _Contract(normal_occ(occ), streamer, p.type, p.strike, p.expiry)

    async def _from_source(self, symbols: list[str]) -> dict[str, OptionRow]:
        assert self._quotes is not None
        try:
            got = await self._quotes.option_quotes(symbols)
        except BrokerError:
            raise
        except Exception as e:
            raise BrokerError(
                f"option quotes from {self._quotes_name} failed ({type(e).__name__})"
            ) from None
        out: dict[str, OptionRow] = {}
        for key, row in got.items():
            try:
                out[normal_occ(key)] = row
            except ValueError:
                self.skipped.append(f"quote for {key!r} skipped: not an OCC symbol")
        return out

    async def _dividend(self, u: str) -> float | None:
        """The dividend yield (a fraction) from market metrics; None when unknown."""
        hit = self._dividends.get(u)
        if hit is not None and self._fresh(hit[0]):
            return hit[1]
        s = self._t.session
        value: float | None = None
        try:
            metrics = await self._t.read("market metrics", lambda: get_market_metrics(s, [u]))
            found = [m.dividend_yield for m in metrics if m.symbol.upper() == u]
            if found and found[0] is not None:
                y = float(found[0])
                value = y if math.isfinite(y) and 0 <= y < 1 else None
        except BrokerError as e:
            logger.info("tastytrade options: no dividend yield for {} ({})", u, e)
        self._dividends[u] = (self._clock(), value)
        return value


def _row(c: _Contract, q: OptionRow | None) -> OptionRow:
    base = OptionRow(c.symbol, c.kind, c.strike, c.expiry)
    if q is None:
        return base
    return q._replace(symbol=c.symbol, type=c.kind, strike=c.strike, expiry=c.expiry)


def _spot(r: DxRow | None) -> float | None:
    """The underlying's price as DXLink quoted it: the mid of a two-sided quote, else the
    last trade; None when it said nothing."""
    if r is None:
        return None
    if r.bid and r.ask and 0 < r.bid <= r.ask:
        return (r.bid + r.ask) / 2
    return r.last if r.last and r.last > 0 else None


def _dx_row(c: _Contract, r: DxRow | None) -> OptionRow:
    r = r or DxRow()
    return OptionRow(
        c.symbol,
        c.kind,
        c.strike,
        c.expiry,
        bid=r.bid,
        ask=r.ask,
        last=r.last,
        open_interest=r.open_interest,
        volume=r.volume,
        iv=r.iv,
        delta=r.delta,
        gamma=r.gamma,
        theta=r.theta,
        vega=r.vega,
        rho=r.rho,
    )
