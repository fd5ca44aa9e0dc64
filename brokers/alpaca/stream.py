"""Alpaca trade updates (new, fills, partial fills, cancels, rejects) pushed over a websocket.

This speaks exactly the wire protocol of alpaca-py 0.44's ``TradingStream``: connect to
``/stream`` on the trading host (``wss://paper-api.../stream`` by default), send
``{"action": "authenticate", "data": {"key_id", "secret_key"}}``, expect
``{"stream": "authorization", "data": {"status": "authorized"}}``, send
``{"action": "listen", "data": {"streams": ["trade_updates"]}}``, expect the ``listening``
ack, then receive ``{"stream": "trade_updates", "data": {"event", "order", ...}}`` as JSON in
binary frames (paper) or text frames (live); both are accepted.

It uses ``websockets`` directly instead of ``TradingStream`` because TradingStream cannot be
driven as an OrderStream: ``run()`` calls ``asyncio.run``; ``_run_forever`` catches every
exception, so bad keys (``ValueError("failed to authenticate")``) become an endless reconnect
loop and a failing handler is only logged; a drop is a log line with no hook to count it or
to know when the stream is subscribed; stopping waits for a 5 s receive timeout. Its stdlib
logging would also let websockets' DEBUG frame dumps (the login frame included) reach our
logs; here the websockets logger is pinned at INFO.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from alpaca.common.enums import BaseURL
from loguru import logger
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from brokers.alpaca.trading_convert import BrokerDataError
from brokers.base import BrokerError, OrderCallback
from models.domain import BrokerOrder

# raw order -> the order(s) of our books it stands for (a leg: under our child id); may be
# a coroutine (the broker may have to look a leg's parent up first)
Convert = Callable[
    [dict[str, Any]], BrokerOrder | list[BrokerOrder] | Awaitable[BrokerOrder | list[BrokerOrder]]
]

_WIRE_LOG = logging.getLogger("brokers.alpaca.stream.wire")
_WIRE_LOG.setLevel(logging.INFO)  # websockets logs every frame (the login too) at DEBUG
_LISTEN = json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}})


class StreamAuthError(BrokerError):
    """Alpaca refused the stream login; retrying with the same keys cannot help."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """Reconnect delays: ``initial`` seconds, doubling per failed attempt up to ``maximum``."""

    initial: float = 1.0
    maximum: float = 30.0

    def delay(self, attempt: int) -> float:
        return min(self.maximum, self.initial * 2.0 ** min(max(attempt, 1) - 1, 60))


def stream_url(url_override: str | None = None, paper: bool = True) -> str:
    """The websocket endpoint for a trading REST base URL, as alpaca-py places it: ``/stream``
    on the same host, http -> ws and https -> wss. A ws(s) URL is taken as it is."""
    if not url_override:
        return (BaseURL.TRADING_STREAM_PAPER if paper else BaseURL.TRADING_STREAM_LIVE).value
    parts = urlsplit(url_override)
    if parts.scheme in ("ws", "wss"):
        return url_override
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme)
    if scheme is None or not parts.hostname:
        raise BrokerError(f"Alpaca trading URL needs http(s)://host, got scheme {parts.scheme!r}")
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/stream", "", ""))


class Reconnecting(Protocol):
    """What `keep_connected` needs of a stream."""

    url: str
    handshake_timeout: float
    backoff: Backoff
    connected: bool
    drops: int

    async def _sleep(self, seconds: float) -> Any: ...

    def _redact(self, text: str) -> str: ...


async def keep_connected(
    s: Reconnecting,
    label: str,
    subscribe: Callable[[ClientConnection], Awaitable[None]],
    consume: Callable[[ClientConnection], Awaitable[None]],
    transient: tuple[type[Exception], ...] = (),
) -> None:
    """Connect, `subscribe` (which sets `connected`), `consume` until the socket ends;
    after a drop or a failed connect wait the backoff and start again, counting drops.
    Errors other than the network's (and `transient`) end it (a refused login)."""
    attempt = 0
    try:
        while True:
            try:
                async with connect(
                    s.url,
                    open_timeout=s.handshake_timeout,
                    close_timeout=2.0,
                    max_size=2**22,
                    logger=_WIRE_LOG,
                ) as ws:
                    await subscribe(ws)
                    attempt = 0
                    await consume(ws)
                why = "closed by Alpaca"
            except (OSError, TimeoutError, WebSocketException, *transient) as e:
                why = s._redact(f"{type(e).__name__}: {e}")
            attempt += 1
            delay = s.backoff.delay(attempt)
            if s.connected:
                s.connected = False
                s.drops += 1
                logger.warning("alpaca: {} dropped ({}); reconnect in {:g}s", label, why, delay)
            else:
                logger.warning("alpaca: {} connect failed ({}); retry in {:g}s", label, why, delay)
            await s._sleep(delay)
    finally:
        s.connected = False


class AlpacaTradeStream:
    """OrderStream over Alpaca's ``trade_updates``. The keys go into the login frame only."""

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        *,
        paper: bool = True,
        url_override: str | None = None,
        convert: Convert,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        handshake_timeout: float = 10.0,
        max_problems: int = 100,
    ) -> None:
        if not api_key or not secret_key:
            raise BrokerError("Alpaca trade stream needs APCA_API_KEY_ID and APCA_API_SECRET_KEY")
        self.url = stream_url(url_override, paper)
        self._secrets = (api_key, secret_key)
        self._convert = convert
        self.backoff = backoff or Backoff()
        self._sleep = sleep
        self.handshake_timeout = handshake_timeout
        self.connected = False
        self.drops = 0
        self.problems: deque[str] = deque(maxlen=max_problems)

    def __repr__(self) -> str:
        return f"AlpacaTradeStream(url={self.url!r}, connected={self.connected})"

    async def run(self, on_order: OrderCallback) -> None:
        """Deliver every update until cancelled; reconnect with backoff after a drop or a
        failed connect. Raises StreamAuthError (a BrokerError) when the keys are refused."""
        await keep_connected(
            self, "trade stream", self._subscribe, lambda ws: self._consume(ws, on_order)
        )

    async def _subscribe(self, ws: ClientConnection) -> None:
        key, secret = self._secrets
        login = {"action": "authenticate", "data": {"key_id": key, "secret_key": secret}}
        await ws.send(json.dumps(login))
        status = (await self._reply(ws, "authorization")).get("status")
        if status != "authorized":
            raise StreamAuthError(
                f"Alpaca refused the trade stream login ({status!s:.40}): check "
                "APCA_API_KEY_ID / APCA_API_SECRET_KEY and paper vs live"
            )
        await ws.send(_LISTEN)
        streams = (await self._reply(ws, "listening")).get("streams")
        if not isinstance(streams, list) or "trade_updates" not in streams:
            raise BrokerError("Alpaca did not subscribe this account to trade_updates")
        self.connected = True
        logger.info("alpaca: trade stream subscribed at {}", self.url)

    async def _reply(self, ws: ClientConnection, stream: str) -> dict[str, Any]:
        """The data of the next ``stream`` message (others are ignored while waiting)."""
        async with asyncio.timeout(self.handshake_timeout):
            while True:
                try:
                    msg = json.loads(await ws.recv())
                except ValueError:
                    continue
                if isinstance(msg, dict) and msg.get("stream") == stream:
                    data = msg.get("data")
                    return data if isinstance(data, dict) else {}

    async def _consume(self, ws: ClientConnection, on_order: OrderCallback) -> None:
        async for frame in ws:
            for order in await self._orders(frame):
                try:
                    await on_order(order)
                except Exception:
                    logger.exception(
                        "alpaca: trade update handler failed for {}", order.client_order_id
                    )

    async def _orders(self, frame: str | bytes) -> list[BrokerOrder]:
        """The orders of one trade update (none when it is malformed: recorded)."""
        try:
            msg = json.loads(frame)
        except ValueError as e:
            return self._skip(f"not JSON ({type(e).__name__}): {_excerpt(frame)}")
        if not isinstance(msg, dict):
            return self._skip(f"not a JSON object: {_excerpt(frame)}")
        if msg.get("stream") != "trade_updates":
            logger.debug("alpaca: trade stream ignored a {!r} message", msg.get("stream"))
            return []
        data = msg.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("order"), dict):
            return self._skip(f"trade update without an order: {_excerpt(frame)}")
        raw, event = data["order"], str(data.get("event") or "?")[:40]
        try:
            got = self._convert(raw)
            if inspect.isawaitable(got):
                got = await got
        except (BrokerDataError, ValueError, TypeError, KeyError) as e:
            return self._skip(f"{event} update for order {str(raw.get('id'))[:40]}: {e}")
        orders = got if isinstance(got, list) else [got]
        for order in orders:
            logger.debug(
                "alpaca: trade update {} {} filled {}",
                event,
                order.client_order_id,
                order.filled_quantity,
            )
        return orders

    def _skip(self, reason: str) -> list[BrokerOrder]:
        text = self._redact(reason)
        self.problems.append(text)
        logger.warning("alpaca: skipped a trade update: {}", text)
        return []

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _excerpt(frame: str | bytes, limit: int = 80) -> str:
    text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame
    return repr(text[:limit])
