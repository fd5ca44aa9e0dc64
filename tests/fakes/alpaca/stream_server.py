"""The trade-update websocket (``/stream``) of the loopback Alpaca trading host.

It speaks what alpaca-py's TradingStream speaks: the client sends ``{"action":
"authenticate", "data": {"key_id", "secret_key"}}`` (the newer ``{"action": "auth", "key",
"secret"}`` is accepted too) and gets ``{"stream": "authorization", "data": {"action":
"authenticate", "status": "authorized" | "unauthorized"}}`` (the socket is closed after an
unauthorized one); ``{"action": "listen", "data": {"streams": ["trade_updates"]}}`` gets
``{"stream": "listening", "data": {"streams": [...]}}``. Then every order change is pushed
as ``{"stream": "trade_updates", "data": {"event", "order", "timestamp"}}`` (fills add
``price``, ``qty``, ``position_qty`` and ``execution_id``), ``order`` exactly as the REST API
returns it at that moment. Frames are binary, as on Alpaca's paper host (``binary=False``
sends text frames, as on live).

Faults: ``drop()`` aborts every socket without a close frame, ``send_raw()`` pushes any
text, ``refuse_auth()`` answers ``unauthorized`` even to the right keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web


@dataclass(eq=False)
class StreamConn:
    """One accepted websocket and what it asked for."""

    ws: web.WebSocketResponse
    request: web.Request
    authorized: bool = False
    listening: bool = False
    outbox: asyncio.Queue[str] = field(default_factory=asyncio.Queue)


class FakeTradeStream:
    """Auth, listen and trade_updates push for ``FakeAlpacaTrading`` (see module doc)."""

    def __init__(
        self, keys: Callable[[], tuple[str, str]], now: Callable[[], str], *, binary: bool = True
    ) -> None:
        self._keys = keys
        self._now = now
        self.binary = binary
        self.conns: set[StreamConn] = set()
        self.accepted = 0  # websocket connections accepted so far
        self.auths: list[str] = []  # "authorized" / "unauthorized", in order
        self.listens = 0  # trade_updates subscriptions acknowledged so far
        self.updates: list[dict[str, Any]] = []  # every trade_updates message pushed
        self.received: list[str] = []  # actions the clients sent (auth bodies are not kept)
        self._refuse = 0

    # ---- scripting ------------------------------------------------------------------------
    @property
    def listening(self) -> int:
        """Sockets subscribed to trade_updates right now."""
        return sum(1 for c in self.conns if c.listening)

    def refuse_auth(self, times: int = 1) -> None:
        """Answer the next ``times`` logins ``unauthorized`` whatever the keys."""
        self._refuse += times

    def drop(self) -> int:
        """Abort every stream socket (no close frame); returns how many there were."""
        conns = list(self.conns)
        for conn in conns:
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
        return len(conns)

    def send_raw(self, text: str) -> int:
        """Push ``text`` as it is to every subscribed socket; returns how many got it."""
        targets = [c for c in self.conns if c.listening]
        for conn in targets:
            conn.outbox.put_nowait(text)
        return len(targets)

    def publish(self, event: str, order: dict[str, Any], **fill: Any) -> dict[str, Any]:
        """Push one trade update with a snapshot of ``order``; fills pass price, qty and
        position_qty (numbers), an execution_id is added."""
        data: dict[str, Any] = {"event": event, "order": copy.deepcopy(order)}
        data["timestamp"] = self._now()
        if fill:
            data["execution_id"] = str(uuid.uuid4())
            data.update({k: f"{v:.10g}" for k, v in fill.items()})
        msg = {"stream": "trade_updates", "data": data}
        self.updates.append(msg)
        self.send_raw(json.dumps(msg))
        return msg

    # ---- the endpoint -----------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = StreamConn(ws, request)
        self.conns.add(conn)
        self.accepted += 1
        sender = asyncio.create_task(self._sender(conn))
        try:
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                if not await self._on_message(conn, msg.data):
                    with contextlib.suppress(TimeoutError):  # the refusal goes out first
                        await asyncio.wait_for(conn.outbox.join(), 1.0)
                    break
        finally:
            self.conns.discard(conn)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            if not ws.closed:
                await ws.close()
        return ws

    async def _on_message(self, conn: StreamConn, raw: str | bytes) -> bool:
        """Answer one client message; False closes the socket."""
        try:
            body = json.loads(raw)
            action = body.get("action")
        except (ValueError, AttributeError):
            self._send(conn, {"stream": "error", "data": {"error": "invalid syntax"}})
            return True
        data = body.get("data") if isinstance(body.get("data"), dict) else body
        self.received.append(str(action))
        if action in ("authenticate", "auth"):
            key = data.get("key_id", data.get("key"))
            secret = data.get("secret_key", data.get("secret"))
            ok = (key, secret) == self._keys() and not self._refuse
            self._refuse = max(0, self._refuse - 1)
            status = "authorized" if ok else "unauthorized"
            self.auths.append(status)
            conn.authorized = ok
            reply = {"action": "authenticate", "status": status}
            self._send(conn, {"stream": "authorization", "data": reply})
            return ok
        if action == "listen":
            if not conn.authorized:
                reply = {"action": "listen", "status": "unauthorized"}
                self._send(conn, {"stream": "authorization", "data": reply})
                return False
            streams = [s for s in data.get("streams") or [] if s == "trade_updates"]
            self._send(conn, {"stream": "listening", "data": {"streams": streams}})
            conn.listening = bool(streams)
            self.listens += conn.listening
            return True
        self._send(conn, {"stream": "error", "data": {"error": "unknown action"}})
        return True

    def _send(self, conn: StreamConn, msg: dict[str, Any]) -> None:
        conn.outbox.put_nowait(json.dumps(msg))

    async def _sender(self, conn: StreamConn) -> None:
        """Write the outbox in order; replies and pushes share it."""
        while True:
            text = await conn.outbox.get()
            try:
                if self.binary:
                    await conn.ws.send_bytes(text.encode())
                else:
                    await conn.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return
            finally:
                conn.outbox.task_done()
