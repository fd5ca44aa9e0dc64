"""The two protocols every venue adapter implements, and the errors they raise."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from models.domain import (
    Account,
    Bars,
    BrokerOrder,
    BrokerPosition,
    Instrument,
    OrderPreview,
    OrderRequest,
    Quote,
)
from models.news import Headline
from models.options import OptionChain, OptionRow


class BrokerError(Exception):
    """A broker or data venue refused or failed a request; the message is user-safe."""


class UnknownSymbolError(BrokerError):
    """The venue does not know this symbol."""

    def __init__(self, symbol: str) -> None:
        super().__init__(f"unknown symbol {symbol!r}")
        self.symbol = symbol


class NoOptionsError(BrokerError):
    """The venue lists no option contracts for this underlying (or none for the asked
    expiries)."""


class OrderRejectedError(BrokerError):
    """The venue rejected an order outright (nothing is open at the venue)."""


@runtime_checkable
class MarketData(Protocol):
    """Prices, bars and the venue's clock. Every method is async and side-effect free."""

    name: str
    simulated: bool

    def now(self) -> datetime:
        """The venue's current time (UTC). The simulator keeps its own clock."""
        ...

    def universe(self) -> Sequence[Instrument]:
        """The default scan universe of this source."""
        ...

    def is_open(self, ts: datetime | None = None) -> bool:
        """Whether the regular session is open at `ts` (default: now)."""
        ...

    async def quote(self, symbol: str) -> Quote:
        """Latest quote; raises UnknownSymbolError."""
        ...

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Latest quotes for many symbols; unknown ones are left out."""
        ...

    async def daily_bars(self, symbol: str, limit: int = 300) -> Bars:
        """The last `limit` completed daily bars, oldest first."""
        ...

    async def intraday_bars(self, symbol: str, minutes: int = 5, limit: int = 78) -> Bars:
        """Today's intraday bars so far, at `minutes` resolution, oldest first."""
        ...


@runtime_checkable
class BarHistory(Protocol):
    """Optional MarketData capability: completed daily bars since a moment, many symbols per
    request. Sources that have it get the persistent bar cache, topped up incrementally."""

    bar_source: str  # the cache key: venue, feed and price adjustment ("alpaca:iex:split")

    async def daily_bars_since(self, symbols: Sequence[str], start: datetime) -> dict[str, Bars]:
        """Completed daily bars stamped at or after `start`; symbols without any are absent."""
        ...


@runtime_checkable
class OptionChains(Protocol):
    """Optional capability: listed option contracts of an underlying with their quotes.
    Nothing is invented: a contract the venue quotes without a bid has NaN there."""

    option_source: str  # e.g. "sim", "alpaca:indicative", "tastytrade+dxlink"

    async def option_expiries(self, underlying: str) -> list[date]:
        """Every listed expiry, soonest first. UnknownSymbolError for an unknown
        underlying, NoOptionsError when it has no listed options."""
        ...

    async def option_chain(self, underlying: str, expiries: Sequence[date]) -> OptionChain:
        """Every listed contract of `underlying` expiring on one of `expiries`, with its
        latest quote (and the venue's IV and greeks where it has them). NoOptionsError
        when none is listed on those dates; BrokerError on transport failure."""
        ...


@runtime_checkable
class OptionQuotes(Protocol):
    """Optional capability: the latest quotes (and the venue's IV and greeks where it has
    them) of option contracts by OCC symbol. Lets one venue quote another's chain
    (Tastytrade's contracts, Alpaca's option data)."""

    async def option_quotes(self, symbols: Sequence[str]) -> dict[str, OptionRow]:
        """Rows keyed by the unpadded OCC symbol; contracts with no quote are absent."""
        ...


@runtime_checkable
class Broker(Protocol):
    """Orders and account state at one venue. `client_order_id` makes submit idempotent."""

    name: str

    async def account(self) -> Account: ...

    async def positions(self) -> list[BrokerPosition]: ...

    async def submit(self, request: OrderRequest) -> BrokerOrder:
        """Place an order. A repeated client_order_id returns the first order, never a second."""
        ...

    async def order_by_client_id(self, client_order_id: str) -> BrokerOrder | None: ...

    async def open_orders(self) -> list[BrokerOrder]: ...

    async def cancel(self, client_order_id: str) -> BrokerOrder: ...

    async def refresh(self) -> list[BrokerOrder]:
        """Advance working orders against current prices; return orders that changed."""
        ...


OrderCallback = Callable[[BrokerOrder], Awaitable[None]]


@runtime_checkable
class OrderStream(Protocol):
    """Optional Broker capability: the venue pushes its view of an order (with every fill so
    far) whenever it changes: new, fill, partial fill, cancel, reject, expiry."""

    connected: bool  # subscribed right now
    drops: int  # connections lost so far (each one is followed by a reconnect)

    async def run(self, on_order: OrderCallback) -> None:
        """Connect, subscribe and deliver updates until cancelled; reconnect with backoff
        after a drop. A malformed update is reported and skipped, never delivered."""
        ...


@runtime_checkable
class OrderPreviewer(Protocol):
    """Optional Broker capability: the venue's dry run of an order (buying-power effect and
    fees); nothing is placed. Raises OrderRejectedError when the venue would refuse it."""

    async def dry_run(self, request: OrderRequest) -> OrderPreview: ...


@runtime_checkable
class StopMover(Protocol):
    """A venue that moves a working stop order's trigger price in place."""

    async def replace_stop(
        self, client_order_id: str, stop_price: float, new_client_order_id: str
    ) -> BrokerOrder:
        """Replace our working stop order `client_order_id` (a bracket's or OCO's stop leg, or a
        standalone stop) by the same order at `stop_price`, carrying `new_client_order_id`;
        its link to a sibling target (one-cancels-other) is kept. The old order ends canceled
        (replaced); the replacement is returned (status new). Idempotent: when an order with
        `new_client_order_id` already exists at the venue it is returned, nothing is sent.
        Raises OrderRejectedError (clear text) when the old order is not working any more or
        the venue refuses the price; BrokerError on transport failure."""
        ...


@runtime_checkable
class BadDataLog(Protocol):
    """Optional Broker capability: the venue data the adapter refused so far (user-safe
    lines, oldest first), for reconciliation to report."""

    def bad_data(self) -> list[str]: ...


@runtime_checkable
class OptionExpiry(Protocol):
    """Optional Broker capability (the simulator): settle the account's option contracts
    whose expiry has passed, as the venue does overnight. Out of the money, a contract
    expires worthless; in the money (the underlying's close on the expiry date beyond the
    strike), a short one is assigned and a long one exercised into 100 shares a contract at
    the strike. Each settlement is a filled order in the venue's books, so our ledger books
    it like any other."""

    async def settle_expired(self, now: datetime) -> list[BrokerOrder]:
        """Settle every contract that expired before `now` and is still held, and return
        the settlement orders of the last 7 days (new and earlier ones: the call is
        idempotent, a contract is settled once). Per contract: an order "EXP-<OCC>" whose one
        option leg closes the position at 0.00 (status filled, `reason` "expired worthless",
        "assigned" or "exercised"), and when shares change hands an order "EXP-<OCC>-S" of
        the underlying for 100 × contracts shares at the strike."""
        ...


@runtime_checkable
class NewsSource(Protocol):
    """Headlines from one source (the simulator's, Alpaca's news API). Reads only."""

    news_source: str  # "sim", "alpaca"

    async def news(
        self, symbols: Sequence[str] | None, since: datetime, limit: int = 50
    ) -> list[Headline]:
        """Headlines created at or after `since` naming any of `symbols` (None: any),
        newest first, at most `limit`. BrokerError on transport failure; a malformed item
        is skipped (and recorded), never returned."""
        ...


HeadlineCallback = Callable[[Headline], Awaitable[None]]


@runtime_checkable
class NewsStream(Protocol):
    """Optional NewsSource capability: headlines pushed as they are published."""

    connected: bool
    drops: int

    async def run(self, symbols: Sequence[str], on_headline: HeadlineCallback) -> None:
        """Connect, subscribe to `symbols` ("*" for all) and deliver each headline until
        cancelled; reconnect with backoff after a drop. A malformed message is skipped."""
        ...
