"""Alpaca's real-time news websocket (``v1beta1/news`` on the data stream host).

The wire protocol is the one alpaca-py's ``NewsDataStream`` speaks, in JSON instead of
msgpack (Alpaca answers JSON when the client does not ask for msgpack): on connect the
server sends ``[{"T": "success", "msg": "connected"}]``; we send ``{"action": "auth",
"key", "secret"}`` and expect ``[{"T": "success", "msg": "authenticated"}]``; then
``{"action": "subscribe", "news": [...]}`` and expect ``[{"T": "subscription", "news":
[...]}]``. Every later frame is a JSON list of messages; ``"T": "n"`` is one news item.
Errors are ``{"T": "error", "code", "msg"}``: 401 (not authenticated), 402 (auth failed) and
409 (insufficient subscription) cannot be cured by retrying and end `run` with
`NewsStreamRefused`; any other (406 connection limit exceeded, 500...) is a reconnect.

Like brokers/alpaca/stream.py this uses ``websockets`` directly rather than alpaca-py's
``NewsDataStream``, whose ``run()`` owns the event loop, whose reconnect loop swallows bad
keys and which gives no hook for `connected` / `drops`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from loguru import logger
from websockets.asyncio.client import ClientConnection

from brokers.alpaca.news_convert import BadNewsItem, headline_from_wire, shown_id
from brokers.alpaca.stream import Backoff, keep_connected
from brokers.base import BrokerError, HeadlineCallback
from models.news import Headline

FATAL_CODES = {401: "not authenticated", 402: "auth failed", 409: "insufficient subscription"}

Record = Callable[[str, str], None]  # (news id or "", reason): a skipped message


class NewsStreamRefused(BrokerError):
    """Alpaca refused the news stream login or subscription; retrying cannot help."""


class StreamError(Exception):
    """Alpaca reported an error a reconnect may cure (connection limit, server error)."""


def stream_symbols(symbols: Sequence[str]) -> list[str]:
    """Upper-cased, de-duplicated symbols to subscribe; ``["*"]`` when "*" is among them."""
    syms = [s.strip().upper() for s in symbols if isinstance(s, str) and s.strip()]
    if "*" in syms:
        return ["*"]
    if not syms:
        raise ValueError("subscribe to at least one symbol (or '*' for all news)")
    return list(dict.fromkeys(syms))


class AlpacaNewsStream:
    """The NewsStream part of AlpacaNews. The keys go into the login frame only."""

    def __init__(
        self,
        key_id: str,
        secret: str,
        *,
        url: str,
        record: Record,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        handshake_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self._secrets = (key_id, secret)
        self._record = record
        self.backoff = backoff or Backoff()
        self._sleep = sleep
        self.handshake_timeout = handshake_timeout
        self.connected = False
        self.drops = 0
        self.delivered = 0

    def __repr__(self) -> str:
        return f"AlpacaNewsStream(url={self.url!r}, connected={self.connected})"

    async def run(self, symbols: Sequence[str], on_headline: HeadlineCallback) -> None:
        """Deliver every headline until cancelled; reconnect with backoff after a drop or a
        failed connect. Raises NewsStreamRefused (a BrokerError) when the keys are refused."""
        wanted = stream_symbols(symbols)
        await keep_connected(
            self,
            "news stream",
            lambda ws: self._subscribe(ws, wanted),
            lambda ws: self._consume(ws, on_headline),
            transient=(StreamError,),
        )

    async def _subscribe(self, ws: ClientConnection, wanted: list[str]) -> None:
        await self._expect(ws, "success", "connected")
        key, secret = self._secrets
        await ws.send(json.dumps({"action": "auth", "key": key, "secret": secret}))
        await self._expect(ws, "success", "authenticated")
        await ws.send(json.dumps({"action": "subscribe", "news": wanted}))
        ack = await self._expect(ws, "subscription")
        if not isinstance(ack.get("news"), list):
            raise StreamError("the subscription answer lists no news")
        self.connected = True
        logger.info("alpaca: news stream subscribed to {} at {}", ",".join(ack["news"]), self.url)

    async def _expect(self, ws: ClientConnection, kind: str, msg: str | None = None) -> dict:
        """The next message of type ``kind`` (with ``msg``); others are ignored meanwhile."""
        async with asyncio.timeout(self.handshake_timeout):
            while True:
                for item in _messages(await ws.recv()) or []:
                    if item.get("T") == "error":
                        self._error(item)
                    elif item.get("T") == kind and (msg is None or item.get("msg") == msg):
                        return item

    def _error(self, item: dict[str, Any]) -> None:
        """Raise for an error message: NewsStreamRefused when retrying cannot help."""
        code = item.get("code")
        text = self._redact(" ".join(str(item.get("msg") or "no message").split())[:120])
        if code in FATAL_CODES:
            raise NewsStreamRefused(
                f"Alpaca refused the news stream ({code}: {text}); check "
                "APCA_API_KEY_ID / APCA_API_SECRET_KEY and the account's news access"
            )
        raise StreamError(f"Alpaca news stream error {str(code)[:10]}: {text}")

    async def _consume(self, ws: ClientConnection, on_headline: HeadlineCallback) -> None:
        async for frame in ws:
            items = _messages(frame)
            if items is None:
                self._skip("", f"a frame that is no JSON list: {_excerpt(frame)}")
                continue
            for item in items:
                kind = item.get("T")
                if kind == "error":
                    self._error(item)
                if kind != "n":
                    logger.debug("alpaca: news stream ignored a {!r} message", str(kind)[:20])
                    continue
                try:
                    headline = headline_from_wire(item)
                except BadNewsItem as e:
                    self._skip(shown_id(item), str(e))
                    continue
                await self._deliver(headline, on_headline)

    async def _deliver(self, headline: Headline, on_headline: HeadlineCallback) -> None:
        self.delivered += 1
        try:
            await on_headline(headline)
        except Exception:
            logger.exception("alpaca: news handler failed for {}", headline.id)

    def _skip(self, key: str, reason: str) -> None:
        self._record(key, self._redact(reason))

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _messages(frame: str | bytes) -> list[dict[str, Any]] | None:
    """The messages of one frame (a JSON list; non-object entries dropped), None if it is
    not one."""
    try:
        got = json.loads(frame)
    except ValueError:
        return None
    if isinstance(got, dict):
        got = [got]
    if not isinstance(got, list):
        return None
    return [m for m in got if isinstance(m, dict)]


def _excerpt(frame: str | bytes, limit: int = 60) -> str:
    text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame
    return repr(text[:limit])
