"""Alpaca's option endpoints for the loopback fakes: one `OptionBook` (the listed contracts
and their snapshots) served by the trading fake (contracts) and the data fake (snapshots).

Usage::

    trading, data = FakeAlpacaTrading(), FakeAlpacaData()
    data.options = trading.options                # one option universe for both hosts
    trading.options.add_chain("AAPL", [date(2026, 12, 18)], [180, 190, 200], spot=190.0)

Endpoints (wire shapes as Alpaca documents them):

* trading: ``GET /v2/options/contracts`` (underlying_symbols, status, expiration_date,
  expiration_date_gte/lte, root_symbol, type, style, strike_price_gte/lte, limit (default
  100, max 10 000), page_token) -> ``{"option_contracts": [...], "next_page_token"}``,
  numbers as strings. Without expiration_date or expiration_date_lte only contracts up to
  the next weekend are listed, as Alpaca does.
* data: ``GET /v1beta1/options/snapshots/{underlying}`` (feed, limit (max 1000),
  page_token, expiration_date, expiration_date_gte/lte, root_symbol, type,
  strike_price_gte/lte) and ``GET /v1beta1/options/snapshots?symbols=`` (at most 100) ->
  ``{"snapshots": {symbol: {latestQuote, latestTrade, greeks, impliedVolatility,
  dailyBar?}}, "next_page_token"}``.

``contract_page_size`` / ``snapshot_page_size`` cap pages lower to force paging. An
underlying the book does not know answers ``unknown_status`` (422 "invalid symbol"; None
lists nothing instead); ``add_underlying`` makes one known with no options. Faults beyond
the servers' ``fail_next``: ``inject_contract`` / ``inject_snapshot`` serve raw (malformed)
entries, ``add_contract(..., quote=False)`` lists a contract with no quote and
``snapshot=False`` one Alpaca has no snapshot for.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

from .base import ApiError, Handler

if TYPE_CHECKING:
    from .base import FakeAlpacaServer

FEEDS = ("indicative", "opra")
MAX_CONTRACTS = 10_000
MAX_SNAPSHOTS = 1_000
MAX_SYMBOLS = 100


def _occ(root: str, expiry: date, kind: str, strike: float) -> str:
    return f"{root}{expiry:%y%m%d}{'C' if kind == 'call' else 'P'}{round(strike * 1000):08d}"


def _stamp(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def _strike_text(strike: float) -> str:
    return f"{strike:.3f}".rstrip("0").rstrip(".")


class OptionBook:
    """The option universe of the fakes: wire contracts per underlying, snapshots by symbol."""

    def __init__(self) -> None:
        self.contracts: dict[str, list[dict[str, Any]]] = {}  # underlying -> wire contracts
        self.snapshots: dict[str, dict[str, Any]] = {}  # symbol -> wire snapshot
        self.snapshot_owner: dict[str, str] = {}  # symbol -> underlying
        self.asset_ids: dict[str, str] = {}
        self.contract_page_size: int | None = None
        self.snapshot_page_size: int | None = None
        self.allowed_feeds: set[str] = set(FEEDS)
        self.unknown_status: int | None = 422
        self.now: datetime = datetime.now(UTC)  # stamps quotes; servers set it per request

    # ---- world ------------------------------------------------------------------------
    def add_underlying(self, underlying: str) -> None:
        """Make `underlying` known (a stock), with no options unless some are added."""
        self.contracts.setdefault(underlying, [])
        self.asset_ids.setdefault(underlying, str(uuid.uuid4()))

    def add_contract(
        self,
        underlying: str,
        expiry: date,
        kind: Literal["call", "put"],
        strike: float,
        *,
        bid: float | None = 1.0,
        ask: float | None = 1.1,
        last: float | None = 1.05,
        open_interest: int | None = 100,
        volume: int | None = None,
        iv: float | None = 0.3,
        greeks: dict[str, float] | None = None,
        quote: bool = True,
        snapshot: bool = True,
        root: str | None = None,
        close_price: float | None = 1.0,
    ) -> str:
        """List one contract (and its snapshot unless `snapshot` is False); its symbol."""
        self.add_underlying(underlying)
        root = root or underlying.replace(".", "").replace("/", "")
        symbol = _occ(root, expiry, kind, strike)
        today = self.now.date().isoformat()
        self.contracts[underlying].append(
            {
                "id": str(uuid.uuid4()),
                "symbol": symbol,
                "name": f"{underlying} {expiry:%b %d %Y} {strike:g} {kind.title()}",
                "status": "active",
                "tradable": True,
                "expiration_date": expiry.isoformat(),
                "root_symbol": root,
                "underlying_symbol": underlying,
                "underlying_asset_id": self.asset_ids[underlying],
                "type": kind,
                "style": "american",
                "strike_price": _strike_text(strike),
                "size": "100",
                "open_interest": None if open_interest is None else str(open_interest),
                "open_interest_date": today if open_interest is not None else None,
                "close_price": None if close_price is None else f"{close_price:g}",
                "close_price_date": today if close_price is not None else None,
            }
        )
        if snapshot:
            snap: dict[str, Any] = {}
            if quote:
                snap["latestQuote"] = {
                    "ap": ask if ask is not None else 0,
                    "as": 10 if ask is not None else 0,
                    "ax": "C",
                    "bp": bid if bid is not None else 0,
                    "bs": 12 if bid is not None else 0,
                    "bx": "X",
                    "c": " ",
                    "t": "now",
                }
            if last is not None:
                snap["latestTrade"] = {"c": "I", "p": last, "s": 3, "t": "now", "x": "C"}
            if greeks is not None:
                snap["greeks"] = greeks
            if iv is not None:
                snap["impliedVolatility"] = iv
            if volume is not None:
                px = last or 1.0
                snap["dailyBar"] = {"c": px, "h": px, "l": px, "n": 5, "o": px, "t": "now"}
                snap["dailyBar"].update({"v": volume, "vw": px})
            self.inject_snapshot(underlying, symbol, snap)
        return symbol

    def add_chain(
        self,
        underlying: str,
        expiries: Sequence[date],
        strikes: Sequence[float],
        *,
        spot: float = 100.0,
    ) -> list[str]:
        """Calls and puts at every expiry and strike, quoted around intrinsic value, with
        greeks; returns their symbols."""
        out = []
        for n, expiry in enumerate(expiries):
            for strike in strikes:
                for kind in ("call", "put"):
                    intrinsic = max(0.0, (spot - strike) if kind == "call" else (strike - spot))
                    mid = round(intrinsic + 1.0 + 0.5 * n, 2)
                    sign = 1 if kind == "call" else -1
                    delta = round(sign * (0.5 + 0.01 * (spot - strike)), 4)
                    g = {"delta": delta, "gamma": 0.02, "rho": 0.05 * sign, "theta": -0.03}
                    out.append(
                        self.add_contract(
                            underlying,
                            expiry,
                            kind,  # type: ignore[arg-type]
                            strike,
                            bid=round(mid - 0.05, 2),
                            ask=round(mid + 0.05, 2),
                            last=mid,
                            open_interest=int(1000 + strike),
                            volume=int(strike),
                            iv=0.25 + 0.01 * n,
                            greeks={**g, "vega": 0.1},
                        )
                    )
        return out

    def inject_contract(self, underlying: str, raw: Any) -> None:
        """Serve `raw` as it is among the contracts of `underlying` (bad data)."""
        self.add_underlying(underlying)
        self.contracts[underlying].append(raw)

    def inject_snapshot(self, underlying: str, symbol: str, raw: Any) -> None:
        """Serve `raw` as the snapshot of `symbol` in `underlying`'s chain (and by symbol)."""
        self.snapshots[symbol] = raw
        self.snapshot_owner[symbol] = underlying

    # ---- answers ------------------------------------------------------------------------
    def _known(self, underlying: str) -> bool:
        if underlying in self.contracts:
            return True
        if self.unknown_status is not None:
            raise ApiError(self.unknown_status, f"invalid symbol: {underlying}")
        return False

    @staticmethod
    def _limit(q: Any, default: int, most: int) -> int:
        try:
            limit = int(q.get("limit", default))
        except ValueError:
            raise ApiError(400, "invalid limit") from None
        if not 1 <= limit <= most:
            raise ApiError(422, f"limit must be between 1 and {most}")
        return limit

    @staticmethod
    def _page(items: list[Any], q: Any, size: int) -> tuple[list[Any], str | None]:
        offset = 0
        if q.get("page_token"):
            try:
                offset = int(json.loads(base64.urlsafe_b64decode(q["page_token"]))["at"])
            except (ValueError, KeyError, TypeError):
                raise ApiError(400, "invalid page_token") from None
        nxt = offset + size
        token = base64.urlsafe_b64encode(json.dumps({"at": nxt}).encode()).decode()
        return items[offset:nxt], (token if nxt < len(items) else None)

    @staticmethod
    def _date(q: Any, name: str) -> date | None:
        if not q.get(name):
            return None
        try:
            return date.fromisoformat(q[name])
        except ValueError:
            raise ApiError(422, f"invalid {name}") from None

    def _filter(self, q: Any, expiry: date, kind: str, strike: float, root: str) -> bool:
        exact = self._date(q, "expiration_date")
        lo = self._date(q, "expiration_date_gte")
        hi = self._date(q, "expiration_date_lte")
        checks = [
            exact is None or expiry == exact,
            lo is None or expiry >= lo,
            hi is None or expiry <= hi,
            not q.get("type") or q["type"] == kind,
            not q.get("root_symbol") or q["root_symbol"] == root,
            not q.get("strike_price_gte") or strike >= float(q["strike_price_gte"]),
            not q.get("strike_price_lte") or strike <= float(q["strike_price_lte"]),
        ]
        return all(checks)

    def contracts_answer(self, q: Any) -> dict[str, Any]:
        limit = self._limit(q, 100, MAX_CONTRACTS)
        size = min(limit, self.contract_page_size or limit)
        if q.get("status", "active") not in ("active", "inactive"):
            raise ApiError(422, "invalid status")
        unders = [u for u in q.get("underlying_symbols", "").split(",") if u]
        unders = [u for u in (unders or list(self.contracts)) if self._known(u)]
        today = self.now.date()
        weekend = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
        if not q.get("expiration_date") and not q.get("expiration_date_lte"):
            q = {**q, "expiration_date_lte": weekend.isoformat()}  # Alpaca's default
        items = []
        for u in unders:
            for c in self.contracts[u]:
                try:
                    expiry = date.fromisoformat(c["expiration_date"])
                    strike = float(c["strike_price"])
                    kind, root, status = c["type"], c["root_symbol"], c["status"]
                except (TypeError, KeyError, ValueError):
                    items.append(c)  # malformed: served as it is
                    continue
                if status == q.get("status", "active") and self._filter(
                    q, expiry, kind, strike, root
                ):
                    items.append(c)
        page, token = self._page(items, q, size)
        return {"option_contracts": page, "next_page_token": token}

    def _live(self, snap: Any) -> Any:
        """The snapshot with "now" stamps filled in from the fake's clock."""
        if not isinstance(snap, dict):
            return snap
        out = {}
        for k, v in snap.items():
            if isinstance(v, dict) and v.get("t") == "now":
                v = {**v, "t": _stamp(self.now)}
            out[k] = v
        return out

    def _feed(self, q: Any) -> None:
        feed = q.get("feed", "indicative")
        if feed not in FEEDS:
            raise ApiError(400, f"invalid feed: {feed}")
        if feed not in self.allowed_feeds:
            raise ApiError(403, f"subscription does not permit querying {feed} data")

    def chain_answer(self, underlying: str, q: Any) -> dict[str, Any]:
        self._feed(q)
        limit = self._limit(q, 100, MAX_SNAPSHOTS)
        size = min(limit, self.snapshot_page_size or limit)
        if not self._known(underlying):
            return {"snapshots": {}, "next_page_token": None}
        items = []
        for sym in sorted(s for s, u in self.snapshot_owner.items() if u == underlying):
            root, body = sym[:-15], sym[-15:]
            try:
                expiry = datetime.strptime(body[:6], "%y%m%d").date()
                kind = "call" if body[6] == "C" else "put"
                strike = int(body[7:]) / 1000
            except (ValueError, IndexError):
                items.append(sym)  # a malformed symbol: served as it is
                continue
            if self._filter(q, expiry, kind, strike, root):
                items.append(sym)
        page, token = self._page(items, q, size)
        return {
            "snapshots": {s: self._live(self.snapshots[s]) for s in page},
            "next_page_token": token,
        }

    def snapshots_answer(self, q: Any) -> dict[str, Any]:
        self._feed(q)
        limit = self._limit(q, 100, MAX_SNAPSHOTS)
        size = min(limit, self.snapshot_page_size or limit)
        symbols = [s for s in q.get("symbols", "").split(",") if s]
        if not symbols:
            raise ApiError(400, "missing symbols")
        if len(symbols) > MAX_SYMBOLS:
            raise ApiError(400, f"too many symbols: at most {MAX_SYMBOLS}")
        items = [s for s in dict.fromkeys(symbols) if s in self.snapshots]
        page, token = self._page(items, q, size)
        return {
            "snapshots": {s: self._live(self.snapshots[s]) for s in page},
            "next_page_token": token,
        }


def option_routes(
    server: FakeAlpacaServer, api: Literal["trading", "data"]
) -> list[tuple[str, str, Handler]]:
    """The option routes of `server` (whose ``options`` attribute is an OptionBook, looked
    up per request so two servers can share one)."""

    def book() -> OptionBook:
        b: OptionBook = server.options  # type: ignore[attr-defined]
        b.now = datetime.fromtimestamp(server.wall(), UTC)
        return b

    async def contracts(request: web.Request) -> web.Response:
        return web.json_response(book().contracts_answer(request.query))

    async def chain(request: web.Request) -> web.Response:
        return web.json_response(
            book().chain_answer(request.match_info["underlying"], request.query)
        )

    async def snapshots(request: web.Request) -> web.Response:
        return web.json_response(book().snapshots_answer(request.query))

    if api == "trading":
        return [("GET", "/v2/options/contracts", contracts)]
    return [
        ("GET", "/v1beta1/options/snapshots", snapshots),
        ("GET", "/v1beta1/options/snapshots/{underlying}", chain),
    ]
