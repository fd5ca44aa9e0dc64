"""The fake's WebSocket gateway (HELLO/IDENTIFY/READY/RESUME/heartbeats) and the events it
sends the bot on a test's behalf: messages, slash commands, autocomplete, clicks, modal submits."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .interactions import InteractionHandle, find_component, leaves, submitted, typed_options

if TYPE_CHECKING:
    from . import FakeDiscord

GUILDS, GUILD_MEMBERS, GUILD_MESSAGES = 1 << 0, 1 << 1, 1 << 9
DIRECT_MESSAGES, MESSAGE_CONTENT = 1 << 12, 1 << 15
UserRef = int | str | Mapping[str, Any] | None


@dataclass
class Session:
    id: str
    token: str
    intents: int
    ws: web.WebSocketResponse | None = None
    seq: int = 0
    ready: bool = False
    backlog: list[dict[str, Any]] = field(default_factory=list)


class Gateway:
    """Serves ``/gateway``. Sends TEXT frames of plain JSON (the compress query is ignored)."""

    def __init__(self, fake: FakeDiscord, heartbeat_interval: int = 41250) -> None:
        self.fake = fake
        self.heartbeat_interval = heartbeat_interval
        self.sessions: dict[str, Session] = {}
        self.identifies: list[dict[str, Any]] = []
        self.presence_updates: list[dict[str, Any]] = []
        self.connections = 0
        self._ready = asyncio.Event()

    def live(self) -> list[Session]:
        return [
            s for s in self.sessions.values() if s.ready and s.ws is not None and not s.ws.closed
        ]

    def _refresh_ready(self) -> None:
        if self.live():
            self._ready.set()
        else:
            self._ready.clear()

    async def wait_ready(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            raise TimeoutError(f"no bot finished IDENTIFY within {timeout}s") from None

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self.connections += 1
        session: Session | None = None
        await self._send(ws, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval}})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op, d = frame.get("op"), frame.get("d")
                if op == 1:
                    await self._send(ws, {"op": 11})
                elif op == 2:
                    session = await self._identify(ws, d)
                elif op == 6:
                    session = await self._resume(ws, d)
                elif op == 8 and session is not None:
                    await self._members_chunk(session, d)
                elif op == 3:
                    self.presence_updates.append(d)
        finally:
            if session is not None and session.ws is ws:
                session.ws = None
            self._refresh_ready()
            self.fake._changed()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> Session | None:
        self.identifies.append(d)
        expected = self.fake.token
        if expected is not None and d.get("token") != expected:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        privileged = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content
        if int(d.get("intents", 0)) & privileged & ~self.fake.allowed_privileged_intents:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        session = Session(
            id=secrets.token_hex(16), token=d.get("token", ""), intents=d.get("intents", 0)
        )
        session.ws = ws
        self.sessions[session.id] = session
        ready = {
            "v": 10,
            "user": self.fake.bot_user,
            "guilds": [{"id": str(self.fake.guild_id), "unavailable": True}],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.fake.gateway_url,
            "shard": d.get("shard", [0, 1]),
            "application": {"id": str(self.fake.app_id), "flags": self.fake.application["flags"]},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "_trace": ["fake-discord"],
        }
        await self._dispatch_to(session, "READY", ready)
        await self._dispatch_to(session, "GUILD_CREATE", self.fake.guild_payload())
        session.ready = True
        self._refresh_ready()
        self.fake._changed()
        return session

    async def _resume(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> Session | None:
        session = self.sessions.get(d.get("session_id", ""))
        if session is None or session.token != d.get("token"):
            await self._send(ws, {"op": 9, "d": False})
            return None
        session.ws = ws
        for frame in session.backlog:
            if frame["s"] > int(d.get("seq") or 0):
                await self._send(ws, frame)
        await self._dispatch_to(session, "RESUMED", {"_trace": ["fake-discord"]})
        session.ready = True
        self._refresh_ready()
        return session

    async def _members_chunk(self, session: Session, d: dict[str, Any]) -> None:
        query, ids = (d.get("query") or "").lower(), {str(i) for i in d.get("user_ids") or []}
        found = [
            m
            for m in self.fake.members.values()
            if (ids and m["user"]["id"] in ids)
            or (not ids and m["user"]["username"].startswith(query))
        ]
        limit = int(d.get("limit") or 0)
        chunk = {
            "guild_id": str(d.get("guild_id")),
            "members": copy.deepcopy(found[:limit] if limit else found),
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if d.get("nonce"):
            chunk["nonce"] = d["nonce"]
        await self._dispatch_to(session, "GUILD_MEMBERS_CHUNK", chunk)

    async def _send(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        frame = {"op": frame["op"], "d": frame.get("d"), "s": frame.get("s"), "t": frame.get("t")}
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_str(json.dumps(frame))

    async def _dispatch_to(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.backlog = [*session.backlog[-999:], frame]
        if session.ws is not None:
            await self._send(session.ws, frame)

    async def dispatch(
        self, event: str, data: Mapping[str, Any], *, require: float | None = None
    ) -> int:
        """Send an event to every identified bot, honouring intents. With ``require`` wait up to
        that many seconds for a bot to be connected first. Returns how many bots got it."""
        if require is not None:
            await self.wait_ready(require)
        sent = 0
        for session in self.live():
            need = _required_intent(event, data)
            if need and not session.intents & need:
                continue
            await self._dispatch_to(session, event, self._scrub(session, event, data))
            sent += 1
        return sent

    def _scrub(self, session: Session, event: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Without MESSAGE_CONTENT, guild messages arrive empty unless they mention the bot."""
        out = copy.deepcopy(dict(data))
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or session.intents & MESSAGE_CONTENT:
            return out
        bot = str(self.fake.bot_id)
        mentioned = any(m.get("id") == bot for m in out.get("mentions") or [])
        if out.get("guild_id") and out.get("author", {}).get("id") != bot and not mentioned:
            out.update(content="", embeds=[], attachments=[], components=[])
            out.pop("poll", None)
        return out

    async def disconnect_all(self, code: int = 4000) -> int:
        """Close every bot socket (discord.py then reconnects and RESUMEs unless it is closing)."""
        closed = 0
        for session in self.sessions.values():
            if session.ws is not None and not session.ws.closed:
                await session.ws.close(code=code, message=b"fake-discord disconnect")
                closed += 1
            session.ws = None
        self._refresh_ready()
        return closed


def _required_intent(event: str, data: Mapping[str, Any]) -> int:
    if event.startswith("MESSAGE_") and not event.startswith("MESSAGE_REACTION"):
        return GUILD_MESSAGES if data.get("guild_id") else DIRECT_MESSAGES
    if event.startswith("GUILD_MEMBER_") and event != "GUILD_MEMBERS_CHUNK":
        return GUILD_MEMBERS
    return 0


class GatewayActions:
    """Test-facing actions, sent as gateway events; mixed into FakeDiscord."""

    async def say(
        self: FakeDiscord, content: str, *, user: UserRef = None, channel_id: int | None = None
    ) -> dict[str, Any]:
        """A member posts ``content`` in a guild channel (MESSAGE_CREATE)."""
        author, _ = self._resolve_user(user)
        msg = self._inbound_message(self._channel(channel_id), author, content)
        await self.gateway.dispatch("MESSAGE_CREATE", msg, require=self.connect_timeout)
        return copy.deepcopy(msg)

    async def dm(self: FakeDiscord, content: str, *, user: UserRef = None) -> dict[str, Any]:
        """A user DMs the bot (MESSAGE_CREATE without guild_id)."""
        author, _ = self._resolve_user(user)
        msg = self._inbound_message(self._dm_channel(int(author["id"])), author, content)
        await self.gateway.dispatch("MESSAGE_CREATE", msg, require=self.connect_timeout)
        return copy.deepcopy(msg)

    async def slash(
        self: FakeDiscord,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        sub: str | None = None,
        group: str | None = None,
        user: UserRef = None,
        channel_id: int | None = None,
    ) -> InteractionHandle:
        """Invoke a registered chat-input command; ``sub="grp sub"`` is short for group+sub."""
        data = self._command_data(name, options or {}, sub, group, focused=None)
        return await self._interact(2, data, user=user, channel_id=channel_id)

    async def autocomplete(
        self: FakeDiscord,
        name: str,
        focused: str,
        options: Mapping[str, Any] | None = None,
        *,
        sub: str | None = None,
        group: str | None = None,
        user: UserRef = None,
        channel_id: int | None = None,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """Type into option ``focused``; returns the choices of the bot's type-8 callback."""
        values = {focused: "", **(options or {})}
        data = self._command_data(name, values, sub, group, focused=focused)
        h = await self._interact(4, data, user=user, channel_id=channel_id)
        await h.ack(timeout)
        return list(h.choices or [])

    async def click(
        self: FakeDiscord,
        message_id: int | str,
        custom_id: str,
        *,
        user: UserRef = None,
        values: list[str] | None = None,
        as_seen: dict[str, Any] | None = None,
        forged: bool = False,
    ) -> InteractionHandle:
        """Press a button (or pick ``values`` in a select) on a stored message. ``as_seen`` is
        the message as a client that missed later edits still shows it; ``forged`` sends a
        custom_id the message does not carry (a tampered or outdated client)."""
        msg = as_seen or self.message(message_id)
        comp = find_component(msg.get("components") or [], custom_id)
        if comp is None and forged:
            comp = {"type": 2, "custom_id": custom_id}
        if comp is None:
            raise LookupError(f"message {message_id} has no component {custom_id!r}")
        if comp.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled; Discord would not send it")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": comp["type"]}
        if comp["type"] != 2:
            data["values"] = list(values or [])
        channel = self._channel(int(msg["channel_id"]))
        return await self._interact(3, data, user=user, channel=channel, message=msg)

    async def submit_modal(
        self: FakeDiscord,
        custom_id: str,
        values: Mapping[str, Any],
        *,
        user: UserRef = None,
        message_id: int | str | None = None,
    ) -> InteractionHandle:
        """Submit the modal the bot opened (callback type 9) with ``{field_custom_id: value}``."""
        opener = next(
            (
                h
                for h in reversed(self.interactions.values())
                if h.modal is not None and h.modal.get("custom_id") == custom_id
            ),
            None,
        )
        if opener is not None:
            assert opener.modal is not None
            components = [submitted(c, values) for c in opener.modal.get("components") or []]
            if message_id is None and opener.message_id is not None:
                message_id = opener.message_id
        else:
            components = [
                {"type": 1, "components": [{"type": 4, "custom_id": k, "value": str(v)}]}
                for k, v in values.items()
            ]
        known = {c.get("custom_id") for c in leaves(components)}
        if set(values) - known:
            raise ValueError(f"modal {custom_id!r} has no field(s) {sorted(set(values) - known)}")
        data = {"custom_id": custom_id, "components": components}
        msg = self.message(message_id) if message_id is not None else None
        if msg is not None:
            channel = self._channel(int(msg["channel_id"]))
        else:
            channel = self._channel(opener.channel_id if opener is not None else None)
        return await self._interact(5, data, user=user, channel=channel, message=msg)

    def _command_data(
        self: FakeDiscord,
        name: str,
        values: Mapping[str, Any],
        sub: str | None,
        group: str | None,
        focused: str | None,
    ) -> dict[str, Any]:
        if sub and " " in sub:
            group, sub = sub.split(" ", 1)
        cmd = self._find_command(name)
        schema: list[dict[str, Any]] = cmd.get("options") or []
        for wanted, kind in ((group, 2), (sub, 1)):
            if wanted is None:
                continue
            node = next((o for o in schema if o["name"] == wanted and o["type"] == kind), None)
            if node is None:
                raise LookupError(
                    f"/{name} has no {'group' if kind == 2 else 'subcommand'} {wanted!r}"
                )
            schema = node.get("options") or []
        if any(o.get("type") in (1, 2) for o in schema):
            raise ValueError(f"/{name} has subcommands; pass sub=")
        opts = typed_options(schema, values, focused=focused)
        leaf_opts = opts
        if sub:
            opts = [{"name": sub, "type": 1, "options": opts}]
        if group:
            opts = [{"name": group, "type": 2, "options": opts}]
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": opts}
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        resolved = self._resolved(leaf_opts)
        if resolved:
            data["resolved"] = resolved
        return data

    async def _interact(
        self: FakeDiscord,
        kind: int,
        data: dict[str, Any],
        *,
        user: UserRef = None,
        channel_id: int | None = None,
        channel: dict[str, Any] | None = None,
        message: dict[str, Any] | None = None,
    ) -> InteractionHandle:
        chan = channel or self._channel(channel_id)
        h = InteractionHandle(self, self._interaction_payload(kind, data, user, chan, message))
        self.interactions[h.id] = h
        await self.gateway.wait_ready(self.connect_timeout)
        h.dispatched_at = time.perf_counter()
        if not await self.gateway.dispatch("INTERACTION_CREATE", h.payload):
            raise RuntimeError("no bot is connected to the fake gateway")
        self._changed()
        return h
