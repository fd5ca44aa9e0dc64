"""Tastytrade's account streamer as an OrderStream: the venue pushes every order change.

The wire protocol is the SDK's (tastytrade v13 `AlertStreamer`): open the websocket, send
{"action": "connect", "value": [account number], "auth-token": "Bearer <access token>",
"request-id": n, "source": <SDK version>}; the venue answers {"status": "ok" | "error",
"action", "request-id", ...} and then pushes {"type": "Order", "data": {order JSON}} (balances,
positions and others are ignored here); an options order arrives as one "Order" with all its
legs and their fills (option_orders.py). The orders of a complex order (a bracket's entry, its
"-tp"/"-sl" children, an OCO pair) are ordinary orders with their own external identifiers: each
arrives as an "Order" and is delivered under its own client id; "ComplexOrder" messages repeat
them and are skipped. A {"action": "heartbeat", ...} goes out every 10 s (the
SDK's own interval before v13; v13 sends none), each message with the current access token.

Why not AlertStreamer itself: its URL is a public attribute, but its reader parses every message
inside the connection's task group, so one bad JSON text or one order failing validation tears
the connection down (nothing can be skipped and recorded); it sends no heartbeat action; a drop
surfaces as an exception group; and it logs each subscription, token included, at DEBUG. So
this module speaks that protocol with `websockets`, reusing the SDK's URLs, models and version.

URL: `stream_url(api_base, is_test)`. No api_base: the SDK's production or cert streamer. The
SDK's own REST hosts map to their streamers; any other base (the loopback fake) maps to the same
host and path with ws(s):// and `/streamer` appended: http://127.0.0.1:PORT ->
ws://127.0.0.1:PORT/streamer.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx2
from loguru import logger
from pydantic import ValidationError
from tastytrade import API_URL, CERT_URL, Session, version_str
from tastytrade.order import PlacedOrder
from tastytrade.streamer import CERT_STREAMER_URL, STREAMER_URL, SubscriptionType
from tastytrade.utils import TastytradeError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus, WebSocketException

from brokers.base import BrokerError, OrderCallback
from brokers.tastytrade.convert import BrokerDataError, describe
from brokers.tastytrade.option_orders import to_view
from brokers.tastytrade.transport import HttpStatus
from models.domain import BrokerOrder

STREAM_PATH = "/streamer"
# websockets logs every frame at DEBUG, tokens included; keep its logger above that.
_WS_LOG = logging.getLogger("brokers.tastytrade.stream.websocket")
_WS_LOG.setLevel(logging.INFO)


def stream_url(api_base: str | None, *, is_test: bool = False) -> str:
    """The account streamer that goes with a REST base (see the module docstring)."""
    if not api_base:
        return CERT_STREAMER_URL if is_test else STREAMER_URL
    base = api_base.rstrip("/")
    known = {API_URL: STREAMER_URL, CERT_URL: CERT_STREAMER_URL}
    if base in known:
        return known[base]
    parts = urlsplit(base)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path + STREAM_PATH, "", ""))


class _Drop(Exception):
    """The connection is lost or unusable: reconnect after a backoff."""


class _Refused(Exception):
    """The venue refused the subscription (the token, mostly)."""


class TastytradeOrderStream:
    """OrderStream over Tastytrade's account streamer for one account."""

    def __init__(
        self,
        session: Callable[[], Session],
        account_number: Callable[[], Awaitable[str]],
        *,
        url: str | None = None,
        convert: Callable[[PlacedOrder], BrokerOrder] = to_view,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        heartbeat: float = 10.0,
        reply_timeout: float = 10.0,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._session = session
        self._account_number = account_number
        self.url = url or stream_url(None, is_test=session().is_test)
        self._convert = convert
        self._backoff = (backoff_initial, backoff_max)
        self._heartbeat = heartbeat
        self._reply_timeout = reply_timeout
        self._sleep = sleep
        self.connected = False  # subscribed right now
        self.drops = 0  # subscribed connections lost so far
        self.problems: deque[str] = deque(maxlen=100)  # skipped messages (user-safe text)
        self._request_id = 0
        self._connect_id = 0

    def __repr__(self) -> str:
        return f"TastytradeOrderStream(url={self.url!r}, connected={self.connected})"

    async def run(self, on_order: OrderCallback) -> None:
        """Deliver order updates until cancelled; raises BrokerError when the login is refused."""
        number = await self._account_number()
        delay, fresh = self._backoff[0], False
        try:
            while True:
                try:
                    await self._connection(number, on_order, fresh)
                    reason = "closed by the venue"
                except _Refused as e:
                    if fresh:
                        raise BrokerError(
                            f"Tastytrade account stream refused the subscription ({e}); "
                            "check TT_SECRET/TT_REFRESH and the account number"
                        ) from None
                    fresh = True  # once more at once, with a new access token
                    continue
                except _Drop as e:
                    reason = str(e)
                fresh = False
                if self.connected:
                    self.connected, delay = False, self._backoff[0]
                    self.drops += 1
                    logger.warning("tastytrade stream: connection lost ({})", reason)
                logger.info("tastytrade stream: reconnecting in {:.1f}s ({})", delay, reason)
                await self._sleep(delay)
                delay = min(delay * 2, self._backoff[1])
        finally:
            self.connected = False

    async def _connection(self, number: str, on_order: OrderCallback, fresh: bool) -> None:
        """One connection: subscribe, then read until it is lost."""
        self.connected = False
        token = await self._token(fresh)
        try:
            async with connect(
                self.url, open_timeout=self._reply_timeout, close_timeout=5, logger=_WS_LOG
            ) as ws:
                try:
                    self._connect_id = await self._send(
                        ws, SubscriptionType.ACCOUNT, token, [number]
                    )
                    async with asyncio.timeout(self._reply_timeout):
                        while not self.connected:
                            await self._receive(await ws.recv(), on_order)
                    logger.info("tastytrade stream: subscribed to account {}", number)
                    await self._listen(ws, on_order)
                finally:
                    await ws.close()  # a normal closure (1000), also when cancelled
        except InvalidStatus as e:
            status = e.response.status_code
            if status in (401, 403):
                raise _Refused(f"HTTP {status}") from None
            if 400 <= status < 500 and status != 429:
                raise BrokerError(f"Tastytrade account stream: HTTP {status}") from None
            raise _Drop(f"HTTP {status}") from None
        except TimeoutError:
            raise _Drop("no reply in time") from None
        except (OSError, WebSocketException) as e:
            raise _Drop(type(e).__name__) from None

    async def _listen(self, ws: ClientConnection, on_order: OrderCallback) -> None:
        """Read messages, sending a heartbeat whenever the interval passes."""
        loop = asyncio.get_running_loop()
        beat_at = loop.time() + self._heartbeat
        while True:
            try:
                async with asyncio.timeout_at(beat_at):
                    raw = await ws.recv()  # cancelling recv() loses nothing
            except TimeoutError:
                await self._send(ws, SubscriptionType.HEARTBEAT, await self._token(False))
                beat_at = loop.time() + self._heartbeat
                continue
            await self._receive(raw, on_order)

    async def _send(
        self, ws: ClientConnection, action: SubscriptionType, token: str, value: Any = None
    ) -> int:
        self._request_id += 1
        msg: dict[str, Any] = {
            "auth-token": f"Bearer {token}",
            "action": action.value,
            "request-id": self._request_id,
            "source": version_str,
        }
        if value:
            msg["value"] = value
        await ws.send(json.dumps(msg))
        return self._request_id

    async def _token(self, force: bool) -> str:
        """The current access token, refreshed when (nearly) expired or when `force`d."""
        s = self._session()
        try:
            await s.refresh(force=force)
        except HttpStatus as e:
            if e.transient:
                raise _Drop(f"login HTTP {e.status}") from None
            raise BrokerError(
                f"Tastytrade login failed (HTTP {e.status}); check TT_SECRET/TT_REFRESH"
            ) from None
        except TastytradeError:
            raise BrokerError("Tastytrade login failed; check TT_SECRET/TT_REFRESH") from None
        except (httpx2.HTTPError, KeyError, ValueError) as e:
            raise _Drop(f"login failed ({type(e).__name__})") from None
        return s.session_token

    async def _receive(self, raw: str | bytes, on_order: OrderCallback) -> None:
        try:
            msg = json.loads(raw)
        except ValueError:
            return self._problem(f"a message that is not JSON ({len(raw)} chars)")
        if not isinstance(msg, dict):
            return self._problem(f"a message that is not an object ({type(msg).__name__})")
        kind = msg.get("type")
        if kind is None:
            return self._reply(msg)
        if kind != "Order":
            return  # balances, positions, complex orders...: not order updates of ours
        try:
            placed = PlacedOrder.model_validate(msg.get("data"))
        except ValidationError as e:
            return self._problem(f"an order update with bad fields ({describe(e)})")
        try:
            order = self._convert(placed)
        except (BrokerDataError, ValueError, TypeError, ArithmeticError) as e:
            return self._problem(f"order {placed.id}: {str(e) or type(e).__name__}")
        try:
            await on_order(order)
        except Exception as e:  # the consumer's bug must not end the stream
            self._problem(f"order {placed.id}: on_order failed ({type(e).__name__})", "error")

    def _reply(self, msg: dict[str, Any]) -> None:
        """A status reply: the connect's result, or a heartbeat's."""
        same = str(msg.get("request-id")) == str(self._connect_id)
        if msg.get("status") == "ok":
            self.connected = self.connected or same
            return
        text = self._scrub(" ".join(str(msg.get("message") or "no message").split())[:200])
        if same or msg.get("action") == SubscriptionType.ACCOUNT.value:
            raise _Refused(text)
        raise _Drop(f"the venue answered {str(msg.get('action'))[:30]!r} with {text!r}")

    def _problem(self, text: str, level: str = "warning") -> None:
        text = self._scrub(f"skipped {text}")
        self.problems.append(text)
        logger.log(level.upper(), "tastytrade stream: {}", text)

    def _scrub(self, text: str) -> str:
        s = self._session()
        for secret in (s.session_token, s.provider_secret, s.refresh_token):
            if secret and len(secret) >= 6:
                text = text.replace(secret, "***")
        return text
