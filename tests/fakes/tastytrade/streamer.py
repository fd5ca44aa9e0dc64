"""The fake's account streamer: Tastytrade's account websocket, served at `/streamer`.

Speaks what the SDK's AlertStreamer speaks. The client sends {"action": "connect" | "heartbeat",
"auth-token": "Bearer <access token>", "request-id": n, "value": [account numbers], ...}; each
is answered {"status": "ok" | "error", "action", "web-socket-session-id", "request-id"[, "value"
| "message"]}. Once connected, every change to one of the accounts' orders is pushed as
{"type": "Order", "data": {order JSON}, "timestamp": ms}; a complex order's change also as
{"type": "ComplexOrder", "data": {complex order JSON}, ...}. Every message carries the token, and
every one is checked against the REST side's current access tokens.

Faults: `drop()` cuts every connection without a close frame (a network drop), `send_raw` pushes
any text, `refuse(times)` answers the next connects with an auth error whatever the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

REDACTED = "***"
PATH = "/streamer"


@dataclass
class _Client:
    ws: web.WebSocketResponse
    request: web.Request
    session_id: str
    out: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    accounts: set[str] = field(default_factory=set)


class FakeStreamer:
    """The websocket side of FakeTastytrade (which owns the tokens and the orders)."""

    def __init__(self, token_ok: Callable[[str], bool], account_numbers: tuple[str, ...]) -> None:
        self._token_ok = token_ok
        self._accounts = account_numbers
        self.messages: list[dict[str, Any]] = []  # as received, auth-token redacted
        self.connects = 0  # subscriptions accepted so far
        self.close_codes: list[int | None] = []  # one per finished connection
        self._clients: list[_Client] = []
        self._refuse = 0
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()

    # ---- scripting ----------------------------------------------------------------------
    def refuse(self, times: int = 1_000_000) -> None:
        """Answer the next `times` connects with an auth error, valid token or not."""
        self._refuse = times

    def publish(self, data: dict[str, Any], kind: str = "Order") -> None:
        """Push a snapshot of an order (or a "ComplexOrder") to every connection subscribed to
        its account."""
        text = json.dumps({"type": kind, "data": data, "timestamp": int(time.time() * 1000)})
        for c in self._clients:
            if data.get("account-number") in c.accounts:
                c.out.put_nowait(text)

    def send_raw(self, text: str) -> None:
        """Push `text` as it is to every subscribed connection."""
        for c in self._clients:
            if c.accounts:
                c.out.put_nowait(text)

    async def drop(self) -> int:
        """Cut every connection (no close frame); returns how many were cut."""
        cut = list(self._clients)
        for c in cut:
            if c.request.transport is not None:
                c.request.transport.abort()
        return len(cut)

    async def wait(self, connects: int = 1, timeout: float = 5.0) -> None:
        """Until `connects` subscriptions in all have been accepted."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: self.connects >= connects)

    async def close_all(self) -> None:
        for c in list(self._clients):
            await c.ws.close()

    # ---- the websocket ------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        client = _Client(ws, request, f"fake-ws-{next(self._ids)}")
        self._clients.append(client)
        writer = asyncio.create_task(self._writer(client))
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_text(client, msg.data)
        finally:
            self._clients.remove(client)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            self.close_codes.append(ws.close_code)
        return ws

    async def _writer(self, client: _Client) -> None:
        while True:
            text = await client.out.get()
            with contextlib.suppress(ConnectionError, RuntimeError):
                await client.ws.send_str(text)

    async def _on_text(self, client: _Client, text: str) -> None:
        try:
            msg = json.loads(text)
        except ValueError:
            msg = None
        if not isinstance(msg, dict):
            self.messages.append({"raw": text[:200]})
            return self._answer(client, {"action": None}, "invalid message")
        auth = str(msg.get("auth-token") or "")
        self.messages.append({**msg, "auth-token": REDACTED} if "auth-token" in msg else msg)
        action = msg.get("action")
        token_ok = auth.startswith("Bearer ") and self._token_ok(auth.removeprefix("Bearer "))
        if action == "connect":
            value = msg.get("value")
            if not token_ok or self._refuse > 0:
                self._refuse = max(0, self._refuse - 1)
                return self._answer(client, msg, "not authorized")
            if not isinstance(value, list) or not all(v in self._accounts for v in value):
                return self._answer(client, msg, "invalid account number")
            client.accounts = set(value)
            self._answer(client, msg, value=value)
            async with self._changed:
                self.connects += 1
                self._changed.notify_all()
        elif action == "heartbeat":
            self._answer(client, msg, None if token_ok else "not authorized")
        else:
            self._answer(client, msg, "unknown action")

    def _answer(
        self, client: _Client, msg: dict[str, Any], error: str | None = None, value: Any = None
    ) -> None:
        reply: dict[str, Any] = {
            "status": "error" if error else "ok",
            "action": msg.get("action"),
            "web-socket-session-id": client.session_id,
        }
        if msg.get("request-id") is not None:
            reply["request-id"] = msg["request-id"]
        if error:
            reply["message"] = error
        elif value is not None:
            reply["value"] = value
        client.out.put_nowait(json.dumps(reply))
