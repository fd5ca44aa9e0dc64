"""A loopback DXLink websocket (dxfeed's market-data protocol, as Tastytrade serves it).

Speaks what the tastytrade SDK's `DXLinkStreamer` (v13) speaks, on its own port like the
real quote host. Every message is a JSON object with "type" and "channel":

    client SETUP (channel 0)           -> SETUP, then AUTH_STATE state=UNAUTHORIZED
    client AUTH {"token"}              -> AUTH_STATE AUTHORIZED (a token the REST side issued),
                                          else ERROR error=UNAUTHORIZED, AUTH_STATE UNAUTHORIZED
    CHANNEL_REQUEST {service: FEED}    -> CHANNEL_OPENED (refused with ERROR before AUTHORIZED)
    FEED_SETUP {acceptEventFields}     -> FEED_CONFIG (the fields are kept for the COMPACT data)
    FEED_SUBSCRIPTION {add | remove}   -> FEED_DATA {"data": ["Quote", [v1, v2, ... ]]}: the
                                          values of every added symbol's seeded event, in the
                                          order of the fields the client asked for, concatenated
    CHANNEL_CANCEL                     -> CHANNEL_CLOSED
    KEEPALIVE                          -> KEEPALIVE

World: `events[(event type, streamer symbol)]` = {camelCase field: value}; fields not given
take a neutral default (0, "" or "NaN"). A symbol with no seeded event gets no data (a
contract that never quotes). Faults: `refuse_auth` (every token is bad), `malformed` (raw
FEED_DATA payloads sent after each subscription of that type, e.g. a wrong field count or a
price that is no number), `unknown_channel_data` (FEED_DATA on a channel never opened).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

PATH = "/dxlink-ws"
_TEXT_DEFAULTS = {
    "bidExchangeCode": "Q",
    "askExchangeCode": "Q",
    "exchangeCode": "Q",
    "dayClosePriceType": "REGULAR",
    "prevDayClosePriceType": "FINAL",
    "tickDirection": "UNDEFINED",
}
_INT_FIELDS = {
    "eventTime",
    "sequence",
    "timeNanoPart",
    "bidTime",
    "askTime",
    "time",
    "index",
    "eventFlags",
    "dayId",
    "prevDayId",
    "openInterest",
}


def default_value(name: str) -> Any:
    """What the fake sends for a field the test did not seed."""
    if name in _TEXT_DEFAULTS:
        return _TEXT_DEFAULTS[name]
    if name in _INT_FIELDS:
        return 0
    if name == "extendedTradingHours":
        return False
    return "NaN"


@dataclass
class _Conn:
    ws: web.WebSocketResponse
    authorized: bool = False
    channels: dict[int, str] = field(default_factory=dict)  # channel -> service
    fields: dict[int, dict[str, list[str]]] = field(default_factory=dict)  # FEED_SETUP


class FakeDXLink:
    """The DXLink server; the REST fake decides which tokens are good via `token_ok`."""

    def __init__(self, token_ok: Callable[[str], bool]) -> None:
        self._token_ok = token_ok
        self.events: dict[tuple[str, str], dict[str, Any]] = {}
        self.refuse_auth = False
        self.malformed: dict[str, list[list[Any]]] = {}  # event type -> raw COMPACT payloads
        self.unknown_channel_data = False
        self.connections = 0  # websocket sessions opened so far
        self.messages: list[dict[str, Any]] = []  # as received, AUTH tokens redacted
        self.subscribed: list[tuple[str, str]] = []  # (event type, symbol) added
        self.removed: list[tuple[str, str]] = []
        self.cancelled: list[int] = []  # channels cancelled
        self.closed = 0  # sessions finished
        self._conns: list[_Conn] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle ----------------------------------------------------------------------
    async def start(self) -> FakeDXLink:
        app = web.Application()
        app.router.add_get(PATH, self.handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        for c in list(self._conns):
            with contextlib.suppress(Exception):
                await c.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{PATH}"

    # ---- scripting ----------------------------------------------------------------------
    def seed(self, event_type: str, symbol: str, **values: Any) -> None:
        """Seed (or update) the event of `event_type` ("Quote", "Greeks", "Summary", "Trade")
        that a subscription to `symbol` gets; values by camelCase field name."""
        self.events.setdefault((event_type, symbol), {}).update(values)

    # ---- the websocket ------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = _Conn(ws)
        self._conns.append(conn)
        self.connections += 1
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_text(conn, msg.data)
        finally:
            self._conns.remove(conn)
            self.closed += 1
        return ws

    async def _send(self, conn: _Conn, **msg: Any) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await conn.ws.send_str(json.dumps(msg))

    async def _on_text(self, conn: _Conn, text: str) -> None:
        try:
            msg = json.loads(text)
        except ValueError:
            msg = None
        if not isinstance(msg, dict):
            self.messages.append({"raw": text[:200]})
            return await self._send(conn, type="ERROR", channel=0, error="INVALID_MESSAGE")
        self.messages.append({**msg, "token": "***"} if "token" in msg else msg)
        kind, channel = msg.get("type"), msg.get("channel", 0)
        if kind == "SETUP":
            await self._send(
                conn,
                type="SETUP",
                channel=0,
                keepaliveTimeout=60,
                acceptKeepaliveTimeout=60,
                version="1.0-fake-dxlink",
            )
            await self._send(conn, type="AUTH_STATE", channel=0, state="UNAUTHORIZED")
        elif kind == "AUTH":
            if self.refuse_auth or not self._token_ok(str(msg.get("token") or "")):
                await self._send(
                    conn, type="ERROR", channel=0, error="UNAUTHORIZED", message="token invalid"
                )
                await self._send(conn, type="AUTH_STATE", channel=0, state="UNAUTHORIZED")
                return
            conn.authorized = True
            await self._send(
                conn, type="AUTH_STATE", channel=0, state="AUTHORIZED", userId="fake-user"
            )
        elif kind == "KEEPALIVE":
            await self._send(conn, type="KEEPALIVE", channel=0)
        elif not conn.authorized:
            await self._send(conn, type="ERROR", channel=channel, error="UNAUTHORIZED")
        elif kind == "CHANNEL_REQUEST":
            conn.channels[channel] = str(msg.get("service"))
            params = {**(msg.get("parameters") or {}), "subFormat": "LIST"}
            await self._send(
                conn, type="CHANNEL_OPENED", channel=channel, service="FEED", parameters=params
            )
        elif kind == "FEED_SETUP":
            conn.fields[channel] = dict(msg.get("acceptEventFields") or {})
            await self._send(
                conn,
                type="FEED_CONFIG",
                channel=channel,
                aggregationPeriod=msg.get("acceptAggregationPeriod", 0.1),
                dataFormat="COMPACT",
                eventFields=conn.fields[channel],
            )
        elif kind == "FEED_SUBSCRIPTION":
            await self._subscription(conn, channel, msg)
        elif kind == "CHANNEL_CANCEL":
            conn.channels.pop(channel, None)
            self.cancelled.append(channel)
            await self._send(conn, type="CHANNEL_CLOSED", channel=channel)
        else:
            await self._send(conn, type="ERROR", channel=channel, error="UNSUPPORTED")

    async def _subscription(self, conn: _Conn, channel: int, msg: dict[str, Any]) -> None:
        for item in msg.get("remove") or []:
            self.removed.append((item.get("type"), item.get("symbol")))
        adds = msg.get("add") or []
        values: dict[str, list[Any]] = {}
        for item in adds:
            kind, symbol = str(item.get("type")), str(item.get("symbol"))
            self.subscribed.append((kind, symbol))
            names = conn.fields.get(channel, {}).get(kind)
            seeded = self.events.get((kind, symbol))
            if names is None or seeded is None:
                continue
            row = {"eventSymbol": symbol, **seeded}
            values.setdefault(kind, []).extend(row.get(n, default_value(n)) for n in names)
        for kind, flat in values.items():
            await self._send(conn, type="FEED_DATA", channel=channel, data=[kind, flat])
        for kind in {str(item.get("type")) for item in adds}:
            for raw in self.malformed.get(kind, []):
                await self._send(conn, type="FEED_DATA", channel=channel, data=[kind, raw])
            if self.unknown_channel_data:
                await self._send(conn, type="FEED_DATA", channel=997, data=[kind, ["x"]])
        await asyncio.sleep(0)
