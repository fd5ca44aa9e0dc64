"""A one-shot DXLink snapshot: the latest Quote, Greeks, Summary and Trade of many symbols.

Through the SDK's `DXLinkStreamer` (v13): GET /api-quote-tokens gives the DXLink URL and a
token; the streamer opens the websocket (SETUP, AUTH, then one FEED channel per event type
with COMPACT data) and parses FEED_DATA into dxfeed events. Here the token is fetched first
under the adapter's retry policy (Transport.read) and handed to the streamer, which is then
asked for Greeks, Summary and Trade, and Quote last (so that on one connection the other
kinds of a symbol arrive before its quote). Events are collected until every symbol has a
Quote or `timeout` passes; the channels are then cancelled and the connection closed.

A symbol that never quoted has no bid/ask (None): nothing is invented. A FEED_DATA message
the SDK cannot map (wrong field count, unknown channel) is skipped and counted instead of
tearing the connection down; events with unparsable values are dropped by the SDK itself.
Failures become a user-safe BrokerError naming the streamer, with every secret (OAuth,
access token, DXLink token) scrubbed.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

import anyio
import httpx2
from httpx2.websockets import HTTPXWSException, WebSocketUpgradeError
from loguru import logger
from pydantic import ValidationError
from tastytrade import DXLinkStreamer, Session
from tastytrade.dxfeed import Event, Greeks, Quote, Summary, Trade
from tastytrade.utils import TastytradeError

from brokers.base import BrokerError
from brokers.tastytrade.transport import Transport

STREAMER = "Tastytrade DXLink streamer"
KINDS: tuple[type[Event], ...] = (Greeks, Summary, Trade, Quote)  # Quote last: see docstring
BATCH = 400  # symbols per FEED_SUBSCRIPTION (the venue caps a message's size)


@dataclass
class DxRow:
    """What DXLink said about one symbol; None where it said nothing."""

    bid: float | None = None
    ask: float | None = None
    last: float | None = None
    open_interest: float | None = None
    volume: float | None = None
    iv: float | None = None
    delta: float | None = None
    gamma: float | None = None
    theta: float | None = None
    vega: float | None = None
    rho: float | None = None
    quoted: bool = False
    has_greeks: bool = False


@dataclass
class DxSnapshot:
    """Rows by streamer symbol (every asked symbol present), and what was skipped."""

    rows: dict[str, DxRow]
    skipped: int = 0  # FEED_DATA messages that could not be mapped
    unquoted: list[str] = field(default_factory=list)


class _Prefetched:
    """The session as the streamer sees it: the quote token is already fetched."""

    def __init__(self, session: Session, token: dict[str, Any]) -> None:
        self.client_kwargs = session.client_kwargs
        self._token = token

    async def _get(self, url: str, **kwargs: Any) -> dict[str, Any]:
        return self._token


class _Streamer(DXLinkStreamer):
    """DXLinkStreamer that skips (and counts) a FEED_DATA message it cannot map."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.skipped = 0

    def _map_message(self, message: list[Any], channel: int) -> None:
        try:
            super()._map_message(message, channel)
        except (TastytradeError, ValidationError, LookupError, TypeError, ValueError) as e:
            self.skipped += 1
            logger.warning("tastytrade dxlink: malformed FEED_DATA skipped ({})", type(e).__name__)

    def close_streams(self) -> None:
        """Close the per-type event queues (the SDK leaves them open)."""
        for stream in (*self._send.values(), *self._recv.values()):
            stream.close()


def _num(v: Decimal | float | int | None) -> float | None:
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _apply(rows: dict[str, DxRow], ev: Event) -> None:
    row = rows.get(ev.event_symbol)
    if row is None:
        return
    if isinstance(ev, Quote):
        row.bid, row.ask, row.quoted = _num(ev.bid_price), _num(ev.ask_price), True
    elif isinstance(ev, Greeks):
        row.iv, row.delta, row.gamma = _num(ev.volatility), _num(ev.delta), _num(ev.gamma)
        row.theta, row.vega, row.rho = _num(ev.theta), _num(ev.vega), _num(ev.rho)
        row.has_greeks = True
    elif isinstance(ev, Summary):
        oi = _num(ev.open_interest)
        row.open_interest = oi if oi is not None and oi >= 0 else None
    elif isinstance(ev, Trade):
        price = _num(ev.price)
        row.last = price if price is not None and price > 0 else None  # 0: no trade
        vol = _num(ev.day_volume)
        row.volume = vol if vol is not None and vol >= 0 else None


def _drain(st: DXLinkStreamer, rows: dict[str, DxRow]) -> None:
    for kind in KINDS:
        while (ev := st.get_event_nowait(kind)) is not None:
            _apply(rows, ev)


async def _collect(
    st: DXLinkStreamer,
    rows: dict[str, DxRow],
    timeout: float,
    settle: float,
    quote_only: frozenset[str] = frozenset(),
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        _drain(st, rows)
        if all(r.quoted for r in rows.values()):
            break
        left = deadline - loop.time()
        if left <= 0:
            return
        with anyio.move_on_after(left):
            _apply(rows, await st.get_event(Quote))
    # every symbol quoted: give late greeks a moment (they travel on their own channel)
    until = loop.time() + settle
    options = [r for s, r in rows.items() if s not in quote_only]
    while loop.time() < until and not all(r.has_greeks for r in options):
        await asyncio.sleep(0.02)
        _drain(st, rows)


def _leaf(e: BaseException) -> BaseException:
    while isinstance(e, BaseExceptionGroup) and e.exceptions:
        e = e.exceptions[0]
    return e


def _error(t: Transport, e: BaseException, dx_token: str) -> BrokerError:
    """A user-safe BrokerError naming the streamer."""
    if isinstance(e, TimeoutError):
        return BrokerError(f"{STREAMER}: no reply in time")
    if isinstance(e, WebSocketUpgradeError):
        return BrokerError(f"{STREAMER} refused the connection (HTTP {e.response.status_code})")
    if isinstance(e, httpx2.ConnectError | ConnectionRefusedError):
        return BrokerError(f"{STREAMER}: connection refused")
    if isinstance(e, TastytradeError):  # the streamer's ERROR message, or a bad reply
        text = " ".join(str(e).split())[:160]
        if dx_token:
            text = text.replace(dx_token, "***")
        login = "unauthor" in text.lower() or "token" in text.lower()
        hint = " (login refused; check TT_SECRET/TT_REFRESH)" if login else ""
        return BrokerError(t.scrub(f"{STREAMER} failed: {text}{hint}"))
    if isinstance(e, HTTPXWSException | httpx2.HTTPError | OSError):
        return BrokerError(f"{STREAMER}: connection lost ({type(e).__name__})")
    return BrokerError(f"{STREAMER} failed ({type(e).__name__})")


async def dxlink_snapshot(
    t: Transport,
    symbols: Sequence[str],
    *,
    timeout: float = 3.0,
    connect_timeout: float = 10.0,
    settle: float = 0.2,
    quote_only: Sequence[str] = (),
) -> DxSnapshot:
    """The latest events of `symbols` (dxfeed streamer symbols) in one short connection;
    `quote_only` symbols (the underlying) are not waited on for greeks."""
    wanted = list(dict.fromkeys([*symbols, *quote_only]))
    rows = {s: DxRow() for s in wanted}
    if not wanted:
        return DxSnapshot(rows)
    session = t.session
    token = await t.read("DXLink quote token", lambda: session._get("/api-quote-tokens"))
    dx_token = token.get("token") if isinstance(token, dict) else None
    if not isinstance(dx_token, str) or not isinstance(token.get("dxlink-url"), str):
        raise BrokerError(f"{STREAMER}: malformed quote-token reply")
    st = _Streamer(cast(Session, _Prefetched(session, token)))
    try:
        with anyio.fail_after(connect_timeout + timeout + settle):
            async with st:
                for kind in KINDS:
                    for i in range(0, len(wanted), BATCH):
                        await st.subscribe(kind, wanted[i : i + BATCH])
                await _collect(st, rows, timeout, settle, frozenset(quote_only))
                for kind in KINDS:
                    await st.unsubscribe_all(kind)
    except BrokerError:
        raise
    except Exception as e:
        raise _error(t, _leaf(e), dx_token) from None
    finally:
        st.close_streams()
    unquoted = [s for s, r in rows.items() if not r.quoted]
    if unquoted:
        logger.info("tastytrade dxlink: {} of {} symbols never quoted", len(unquoted), len(rows))
    return DxSnapshot(rows, st.skipped, unquoted)
