"""The news websocket (``/v1beta1/news``) of the loopback Alpaca news fake.

It speaks Alpaca's real-time news protocol in JSON: on connect ``[{"T": "success", "msg":
"connected"}]``; ``{"action": "auth", "key", "secret"}`` gets ``[{"T": "success", "msg":
"authenticated"}]`` or ``[{"T": "error", "code": 402, "msg": "auth failed"}]`` (the socket is
then closed); ``{"action": "subscribe", "news": [...]}`` before auth gets ``[{"T": "error",
"code": 401, "msg": "not authenticated"}]``, after it ``[{"T": "subscription", "news":
[...]}]`` (every symbol subscribed so far); ``unsubscribe`` likewise. A published item goes
to each socket subscribed to "*" or to one of its symbols, as ``[{"T": "n", ...}]``.

Faults: ``drop()`` aborts every socket without a close frame, ``send_raw()`` pushes any text
to subscribed sockets, ``refuse_auth()`` fails the next logins, ``error_on_connect()``
answers the next connects with an error (406 connection limit exceeded) and closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web


@dataclass(eq=False)
class NewsConn:
    """One accepted websocket and what it subscribed to."""

    ws: web.WebSocketResponse
    request: web.Request
    authenticated: bool = False
    news: list[str] = field(default_factory=list)
    outbox: asyncio.Queue[str] = field(default_factory=asyncio.Queue)


class FakeNewsStream:
    """Auth, subscribe and news push for ``FakeAlpacaNews`` (see module doc)."""

    def __init__(self, keys: Callable[[], tuple[str, str]]) -> None:
        self._keys = keys
        self.conns: set[NewsConn] = set()
        self.accepted = 0  # websocket connections accepted so far
        self.auths: list[str] = []  # "authenticated" / "auth failed", in order
        self.received: list[str] = []  # actions the clients sent (auth bodies are not kept)
        self.subscribes: list[list[str]] = []  # the news symbols of each subscribe
        self.published: list[dict[str, Any]] = []
        self._refuse = 0
        self._connect_errors: list[tuple[int, str]] = []

    # ---- scripting ------------------------------------------------------------------------
    @property
    def subscribed(self) -> int:
        """Sockets subscribed to some news right now."""
        return sum(1 for c in self.conns if c.news)

    def refuse_auth(self, times: int = 1) -> None:
        """Answer the next ``times`` logins ``auth failed`` whatever the keys."""
        self._refuse += times

    def error_on_connect(self, code: int = 406, msg: str = "connection limit exceeded") -> None:
        """Answer the next connect with ``[{"T": "error", ...}]`` and close it."""
        self._connect_errors.append((code, msg))

    def drop(self) -> int:
        """Abort every socket (no close frame); returns how many there were."""
        conns = list(self.conns)
        for conn in conns:
            if conn.request.transport is not None:
                conn.request.transport.abort()
        return len(conns)

    def send_raw(self, text: str) -> int:
        """Push ``text`` as it is to every subscribed socket; returns how many got it."""
        targets = [c for c in self.conns if c.news]
        for conn in targets:
            conn.outbox.put_nowait(text)
        return len(targets)

    def publish(self, item: dict[str, Any]) -> int:
        """Push one news item (wire fields; ``T`` is set) to the sockets subscribed to "*" or
        to one of its symbols; returns how many got it."""
        msg = {"T": "n", **{k: v for k, v in item.items() if k != "images"}}
        self.published.append(msg)
        symbols = set(item.get("symbols") or []) if isinstance(item.get("symbols"), list) else set()
        targets = [c for c in self.conns if "*" in c.news or symbols & set(c.news)]
        for conn in targets:
            conn.outbox.put_nowait(json.dumps([msg]))
        return len(targets)

    # ---- the endpoint -----------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = NewsConn(ws, request)
        self.conns.add(conn)
        self.accepted += 1
        sender = asyncio.create_task(self._sender(conn))
        try:
            if self._connect_errors:
                code, msg = self._connect_errors.pop(0)
                self._send(conn, {"T": "error", "code": code, "msg": msg})
                await self._flush(conn)
                return ws
            self._send(conn, {"T": "success", "msg": "connected"})
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                if not self._on_message(conn, msg.data):
                    await self._flush(conn)  # the refusal goes out first
                    break
        finally:
            self.conns.discard(conn)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            if not ws.closed:
                await ws.close()
        return ws

    def _on_message(self, conn: NewsConn, raw: str | bytes) -> bool:
        """Answer one client message; False closes the socket."""
        try:
            body = json.loads(raw)
            action = body.get("action")
        except (ValueError, AttributeError):
            self._send(conn, {"T": "error", "code": 400, "msg": "invalid syntax"})
            return True
        self.received.append(str(action))
        if action == "auth":
            ok = (body.get("key"), body.get("secret")) == self._keys() and not self._refuse
            self._refuse = max(0, self._refuse - 1)
            self.auths.append("authenticated" if ok else "auth failed")
            conn.authenticated = ok
            if not ok:
                self._send(conn, {"T": "error", "code": 402, "msg": "auth failed"})
                return False
            self._send(conn, {"T": "success", "msg": "authenticated"})
            return True
        if action in ("subscribe", "unsubscribe"):
            if not conn.authenticated:
                self._send(conn, {"T": "error", "code": 401, "msg": "not authenticated"})
                return True
            news = [str(s) for s in body.get("news") or []]
            if action == "subscribe":
                self.subscribes.append(news)
                conn.news = list(dict.fromkeys([*conn.news, *news]))
            else:
                conn.news = [s for s in conn.news if s not in news]
            self._send(conn, {"T": "subscription", "news": conn.news})
            return True
        self._send(conn, {"T": "error", "code": 400, "msg": "invalid syntax"})
        return True

    def _send(self, conn: NewsConn, msg: dict[str, Any]) -> None:
        conn.outbox.put_nowait(json.dumps([msg]))

    async def _flush(self, conn: NewsConn) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(conn.outbox.join(), 1.0)

    async def _sender(self, conn: NewsConn) -> None:
        """Write the outbox in order (text frames, as Alpaca's JSON streams)."""
        while True:
            text = await conn.outbox.get()
            try:
                await conn.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return
            finally:
                conn.outbox.task_done()
