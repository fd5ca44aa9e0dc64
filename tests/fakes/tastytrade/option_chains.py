"""The fake's option REST side: nested chains, DXLink quote tokens and market metrics.

    GET /option-chains/{symbol}/nested  -> {"data": {"items": [chain, ...]}}; 404 when unknown
    GET /api-quote-tokens               -> {"data": {"token", "dxlink-url", "level", ...}}
    GET /market-metrics?symbols=A,B     -> {"data": {"items": [{"symbol", "dividend-yield"...}]}}

A chain lists each strike's call and put as OCC symbols with the root padded to six
characters ("AAPL  250620C00100000") and as dxfeed streamer symbols (".AAPL250620C100").
Tests seed chains with `add_chain`, prices with `price` (which seeds the DXLink fake), and
break things with `dxlink_url` (point the token at a dead port) or `dxlink.refuse_auth`.
"""

from __future__ import annotations

import itertools
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

from . import payloads as P
from .dxlink import FakeDXLink


@dataclass(frozen=True)
class Contract:
    """One listed contract as the fake lists it."""

    occ: str  # padded root, as Tastytrade sends it
    streamer: str
    underlying: str
    expiry: date
    kind: str  # "C" or "P"
    strike: float


def padded_occ(root: str, expiry: date, kind: str, strike: float) -> str:
    return f"{root.upper():<6}{expiry:%y%m%d}{kind}{round(strike * 1000):08d}"


def streamer_symbol(root: str, expiry: date, kind: str, strike: float) -> str:
    """dxfeed's symbol: ".AAPL250620C100", ".F250620P12.5" (no trailing zeros)."""
    text = f"{Decimal(str(strike)).normalize():f}"
    return f".{root.upper()}{expiry:%y%m%d}{kind}{text}"


def _contract(u: str, root: str, expiry: date, kind: str, strike: float) -> Contract:
    occ, streamer = (
        padded_occ(root, expiry, kind, strike),
        streamer_symbol(root, expiry, kind, strike),
    )
    return Contract(occ, streamer, u, expiry, kind, strike)


def dead_port_url() -> str:
    """A ws:// URL on a loopback port nobody listens on (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"ws://127.0.0.1:{port}/dxlink-ws"


class FakeOptionChains:
    """Option chains and the DXLink fake; mounted by FakeTastytrade (`routes`, `start`)."""

    def __init__(self, today: Callable[[], date] | None = None) -> None:
        self.chains: dict[str, list[dict[str, Any]]] = {}  # underlying -> nested items
        self.contracts: dict[str, list[Contract]] = {}
        self.dividend_yield: dict[str, float] = {}
        self.serve_metrics = True
        self.quote_tokens: list[str] = []  # issued by /api-quote-tokens
        self.dxlink_url: str | None = None  # overrides the DXLink fake's URL
        self.dxlink = FakeDXLink(lambda t: t in self.quote_tokens)
        self._today = today or (lambda: datetime.now(UTC).date())
        self._ids = itertools.count(1)

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/option-chains/{symbol}/nested", self._nested)
        r.add_get("/api-quote-tokens", self._quote_token)
        r.add_get("/market-metrics", self._metrics)

    async def start(self) -> None:
        await self.dxlink.start()

    async def stop(self) -> None:
        await self.dxlink.stop()

    # ---- scripting ----------------------------------------------------------------------
    def add_chain(
        self,
        underlying: str,
        strikes: Mapping[date, Iterable[float]],
        *,
        root: str | None = None,
        chain_type: str = "Standard",
        spot: float | None = None,
    ) -> list[Contract]:
        """List calls and puts at `strikes` per expiry, and quote the underlying on DXLink
        at `spot` (default: the middle listed strike); returns the contracts added."""
        u, root = underlying.upper(), (root or underlying).upper()
        every = sorted({float(k) for ks in strikes.values() for k in ks})
        if spot is None and every:
            spot = every[len(every) // 2]
        if spot is not None:
            self.dxlink.seed(
                "Quote", u, bidPrice=spot - 0.01, askPrice=spot + 0.01, bidSize=1, askSize=1
            )
        expirations, added = [], []
        for expiry in sorted(strikes):
            rows = []
            for k in sorted(strikes[expiry]):
                c, p = (_contract(u, root, expiry, t, k) for t in "CP")
                added += [c, p]
                rows.append(
                    {
                        "strike-price": f"{k:.3f}",
                        "call": c.occ,
                        "call-streamer-symbol": c.streamer,
                        "put": p.occ,
                        "put-streamer-symbol": p.streamer,
                    }
                )
            expirations.append(
                {
                    "expiration-type": "Regular",
                    "expiration-date": expiry.isoformat(),
                    "days-to-expiration": (expiry - self._today()).days,
                    "settlement-type": "PM",
                    "strikes": rows,
                }
            )
        self.chains.setdefault(u, []).append(
            {
                "underlying-symbol": u,
                "root-symbol": root,
                "option-chain-type": chain_type,
                "shares-per-contract": 100,
                "tick-sizes": [{"value": "0.01", "threshold": "3.0"}, {"value": "0.05"}],
                "deliverables": [
                    {
                        "id": next(self._ids),
                        "root-symbol": root,
                        "deliverable-type": "Shares",
                        "description": f"100 shares of {u}",
                        "amount": "100.0",
                        "symbol": u,
                        "instrument-type": "Equity",
                        "percent": "100",
                    }
                ],
                "expirations": expirations,
            }
        )
        self.contracts.setdefault(u, []).extend(added)
        return added

    def contract(self, occ: str) -> Contract | None:
        """The listed contract with this OCC symbol (padded or not), or None."""
        key = occ.replace(" ", "").upper()
        return next(
            (c for cs in self.contracts.values() for c in cs if c.occ.replace(" ", "") == key),
            None,
        )

    def quote(self, occ: str) -> tuple[float, float] | None:
        """(bid, ask) of a listed contract as seeded for DXLink (`price`); None when it has
        no two-sided quote."""
        c = self.contract(occ)
        seeded = self.dxlink.events.get(("Quote", c.streamer)) if c is not None else None
        if not seeded:
            return None
        bid, ask = seeded.get("bidPrice"), seeded.get("askPrice")
        if not isinstance(bid, int | float) or not isinstance(ask, int | float):
            return None
        return float(bid), float(ask)

    def list_empty(self, underlying: str) -> None:
        """The venue knows the symbol but lists no options (an empty items list)."""
        self.chains[underlying.upper()] = []

    def price(
        self,
        contract: Contract,
        *,
        bid: float | None = None,
        ask: float | None = None,
        iv: float | None = None,
        delta: float | None = None,
        gamma: float | None = None,
        theta: float | None = None,
        vega: float | None = None,
        rho: float | None = None,
        open_interest: int | None = None,
        volume: float | None = None,
        last: float | None = None,
    ) -> None:
        """Seed the DXLink events of a contract (only the kinds given some value)."""
        s, dx = contract.streamer, self.dxlink
        if bid is not None or ask is not None:
            dx.seed("Quote", s, bidPrice=_n(bid), askPrice=_n(ask), bidSize=10, askSize=12)
        greeks = {"volatility": iv, "delta": delta, "gamma": gamma, "theta": theta}
        greeks |= {"vega": vega, "rho": rho}
        if any(v is not None for v in greeks.values()):
            # dxfeed sends every greek; the SDK drops a Greeks event with any NaN in it
            mark = (bid + ask) / 2 if bid is not None and ask is not None else 0.0
            dx.seed("Greeks", s, price=mark, **{k: _n(v) for k, v in greeks.items()})
        if open_interest is not None:
            dx.seed("Summary", s, openInterest=open_interest, dayId=20_000, prevDayId=19_999)
        if volume is not None or last is not None:
            # Trade's price is required by the SDK: 0 stands for "no trade price today"
            dx.seed("Trade", s, price=last or 0.0, dayVolume=_n(volume), size=1, dayId=20_000)

    # ---- handlers -----------------------------------------------------------------------
    async def _nested(self, request: web.Request) -> web.Response:
        symbol = request.match_info["symbol"].upper()
        if symbol not in self.chains:
            return web.json_response(P.error("not_found", "Option chain not found"), status=404)
        return web.json_response({"data": {"items": self.chains[symbol]}, "context": "/nested"})

    async def _quote_token(self, request: web.Request) -> web.Response:
        token = f"dxlink-token-{len(self.quote_tokens) + 1}-fake"
        self.quote_tokens.append(token)
        now = datetime.now(UTC)
        return web.json_response(
            {
                "data": {
                    "token": token,
                    "dxlink-url": self.dxlink_url or self.dxlink.url,
                    "level": "api",
                    "issued-at": P.stamp(now),
                    "expires-at": P.stamp(now + timedelta(hours=24)),
                }
            }
        )

    async def _metrics(self, request: web.Request) -> web.Response:
        if not self.serve_metrics:
            return web.json_response(P.error("not_found", "no metrics"), status=404)
        names = [s.upper() for s in request.query.get("symbols", "").split(",") if s]
        items = [
            {
                "symbol": s,
                "updated-at": P.stamp(),
                "market-cap": "1000000000.0",
                "dividend-yield": f"{self.dividend_yield[s]}",
            }
            for s in names
            if s in self.dividend_yield
        ]
        return web.json_response({"data": {"items": items}})


def _n(value: float | None) -> Any:
    return "NaN" if value is None else value
