"""A loopback Discord (REST API v10 + gateway) that an unmodified discord.py bot talks to.

Usage::

    fake = FakeDiscord()                      # one guild, owner, two text channels, one role
    await fake.start()
    discord.http.Route.BASE = fake.api_base   # before bot.login()
    await bot.login("any-token")
    _, url, _ = await bot.http.get_bot_gateway()
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
    task = asyncio.create_task(bot.connect())
    await fake.ready()
    h = await fake.slash("ping")
    assert (await h.ack())["type"] == 4
    ...
    await bot.close(); await fake.stop()

Everything the bot sends is in ``fake.requests`` (see ``wait_for``); every 4xx the fake produced
on its own (limits, double acks, unknown routes...) is in ``fake.violations``.
"""

from __future__ import annotations

import copy
import re
import secrets
import socket
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from . import limits
from . import payloads as p
from .gateway import Gateway, GatewayActions, UserRef
from .interactions import InteractionHandle, InteractionRoutes
from .server import Fail, Recorded, RecordedFile, RestServer, Violation

__all__ = [
    "FakeDiscord",
    "InteractionHandle",
    "Recorded",
    "RecordedFile",
    "Violation",
    "limits",
    "p",
]


class FakeDiscord(RestServer, InteractionRoutes, GatewayActions):
    """A single-guild Discord on 127.0.0.1 with a random port."""

    def __init__(
        self,
        *,
        guild_id: int = p.GUILD_ID,
        guild_name: str = p.GUILD_NAME,
        owner_id: int = p.OWNER_ID,
        owner_name: str = p.OWNER_NAME,
        channels: Mapping[int, str] | None = None,
        roles: Mapping[int, str] | None = None,
        bot_id: int = p.BOT_ID,
        bot_name: str = p.BOT_NAME,
        token: str | None = None,
        heartbeat_interval: int = 41250,
        interaction_timeout: float = 3.0,
        token_ttl: float = 900.0,
        connect_timeout: float = 5.0,
    ) -> None:
        self.guild_id, self.guild_name, self.owner_id = guild_id, guild_name, owner_id
        self.bot_id = self.app_id = bot_id
        self.token = token  # None accepts any bot token
        # privileged intents enabled for the app in the Developer Portal (4014 otherwise)
        self.allowed_privileged_intents = (1 << 1) | (1 << 8) | (1 << 15)
        self.interaction_timeout = interaction_timeout  # seconds to the initial callback
        self.token_ttl = token_ttl  # seconds an interaction token works for follow-ups
        self.connect_timeout = connect_timeout  # how long actions wait for a connected bot
        self.bot_user = p.bot_user(bot_id, bot_name)
        self.users: dict[int, dict[str, Any]] = {bot_id: p.user(bot_id, bot_name, bot=True)}
        self.application = p.application(self.users[bot_id], p.user(owner_id, owner_name))
        self.joined_at = p.now_iso()
        everyone = p.role(guild_id, "@everyone", permissions=p.EVERYONE_PERMISSIONS, position=0)
        self.roles: dict[int, dict[str, Any]] = {guild_id: everyone}
        for i, (rid, rname) in enumerate((p.ROLES if roles is None else roles).items(), 1):
            self.roles[rid] = p.role(rid, rname, position=i)
        self.bot_role_id = bot_id + 7  # the bot's managed integration role
        bot_role = p.role(
            self.bot_role_id, bot_name, permissions=p.BOT_ROLE_PERMISSIONS, managed=True
        )
        self.roles[self.bot_role_id] = {**bot_role, "tags": {"bot_id": str(bot_id)}}
        self.channels: dict[int, dict[str, Any]] = {}
        for i, (cid, cname) in enumerate((p.CHANNELS if channels is None else channels).items()):
            self.channels[cid] = p.text_channel(cid, cname, guild_id, position=i)
        self.default_channel_id = next(iter(self.channels))
        self.members: dict[int, dict[str, Any]] = {
            bot_id: p.member(self.users[bot_id], [self.bot_role_id])
        }
        self.messages: dict[int, dict[str, Any]] = {}
        self.deleted: dict[int, dict[str, Any]] = {}
        self.files: dict[int, bytes] = {}
        self.interactions: dict[int, InteractionHandle] = {}
        self._dms: dict[int, int] = {}
        self._order: list[int] = []
        self._commands: dict[int | None, list[dict[str, Any]]] = {}
        self.gateway = Gateway(self, heartbeat_interval)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._init_rest()
        self.user(owner_id, owner_name)

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{c}/{a}/{name}", self._attachment)
        app.router.add_route("*", r"/api/v{version:\d+}/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        await self.gateway.disconnect_all(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Assign to ``discord.http.Route.BASE`` before ``bot.login``."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def ready(self, timeout: float = 5.0) -> None:
        """Resolves once a bot is connected and has been sent READY and GUILD_CREATE."""
        await self.gateway.wait_ready(timeout)

    @property
    def identifies(self) -> list[dict[str, Any]]:
        """Every IDENTIFY payload received (``token``, ``intents``, ``properties``...)."""
        return self.gateway.identifies

    async def disconnect_all(self, code: int = 4000) -> int:
        """Close every bot socket; returns how many were open."""
        return await self.gateway.disconnect_all(code)

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.files.get(int(request.match_info["a"]))
        return web.Response(body=data) if data is not None else web.Response(status=404)

    # ---- world -----------------------------------------------------------------------------
    def user(self, user_id: int, name: str, roles: Sequence[int | str] = ()) -> dict[str, Any]:
        """Register (or update) a guild member; ``roles`` are role ids or names. Members added
        before the bot connects are in GUILD_CREATE; later ones reach it via event payloads."""
        by_name = {r["name"]: rid for rid, r in self.roles.items()}
        role_ids = [by_name[r] if isinstance(r, str) else int(r) for r in roles]
        self.users[user_id] = p.user(user_id, name)
        joined = self.members.get(user_id, {}).get("joined_at")
        self.members[user_id] = p.member(self.users[user_id], role_ids, joined_at=joined)
        return copy.deepcopy(self.users[user_id])

    def guild_payload(self) -> dict[str, Any]:
        return p.guild(
            self.guild_id,
            self.guild_name,
            self.owner_id,
            roles=list(self.roles.values()),
            channels=[c for c in self.channels.values() if c["type"] == 0],
            members=list(self.members.values()),
            joined_at=self.joined_at,
            system_channel_id=self.default_channel_id,
        )

    def permissions(self, user_id: int) -> int:
        """A member's guild-level permissions (owner and ADMINISTRATOR get everything)."""
        if user_id == self.owner_id:
            return p.ALL_PERMISSIONS
        member_roles = self.members.get(user_id, {}).get("roles", [])
        perms = 0
        for rid in [self.guild_id, *map(int, member_roles)]:
            perms |= int(self.roles.get(rid, {}).get("permissions", 0))
        return p.ALL_PERMISSIONS if perms & p.ADMINISTRATOR else perms

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """Application commands registered globally (``None``) or for ``guild_id``."""
        return copy.deepcopy(self._commands.get(guild_id, []))

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        """A channel's live messages, oldest first (ephemeral ones included, with flag 64)."""
        cid = str(channel_id)
        return [self.message(i) for i in self._order if self.messages[i]["channel_id"] == cid]

    def message(self, message_id: int | str) -> dict[str, Any]:
        """A message's current state (after edits). KeyError if unknown or deleted."""
        mid = int(message_id)
        if mid not in self.messages:
            raise KeyError(
                f"message {mid} {'was deleted' if mid in self.deleted else 'is unknown'}"
            )
        return copy.deepcopy(self.messages[mid])

    def dm_channel_id(self, user: UserRef) -> int:
        """The DM channel between the bot and ``user`` (created on first use)."""
        author, _ = self._resolve_user(user)
        return int(self._dm_channel(int(author["id"]))["id"])

    # ---- helpers shared by the REST handlers and the gateway actions -----------------------
    def _resolve_user(self, user: UserRef) -> tuple[dict[str, Any], dict[str, Any]]:
        uid = self.owner_id if user is None else p.as_id(user)
        if uid not in self.users:
            raise KeyError(f"user {uid} is not registered; call fake.user({uid}, name) first")
        return self.users[uid], self.members.get(uid, {})

    def _channel(self, channel_id: int | None) -> dict[str, Any]:
        cid = self.default_channel_id if channel_id is None else int(channel_id)
        if cid not in self.channels:
            raise KeyError(f"channel {cid} is unknown to the fake")
        return self.channels[cid]

    def _dm_channel(self, user_id: int) -> dict[str, Any]:
        if user_id not in self._dms:
            cid = p.snowflake()
            self._dms[user_id] = cid
            self.channels[cid] = p.dm_channel(cid, self.users[user_id])
        return self.channels[self._dms[user_id]]

    def _mentions(self, content: str, guild: bool) -> dict[str, Any]:
        return p.mentions(content, self.users, self.members if guild else {})

    def _store(self, msg: dict[str, Any]) -> dict[str, Any]:
        self.messages[int(msg["id"])] = msg
        self._order.append(int(msg["id"]))
        self.channels[int(msg["channel_id"])]["last_message_id"] = msg["id"]
        return msg

    def _inbound_message(
        self, channel: dict[str, Any], author: dict[str, Any], content: str
    ) -> dict[str, Any]:
        guild = channel["type"] == 0
        return self._store(
            p.message(
                message_id=p.snowflake(),
                channel_id=int(channel["id"]),
                author=author,
                content=content,
                guild_id=self.guild_id if guild else None,
                member=self.members.get(int(author["id"])) if guild else None,
                **self._mentions(content, guild),
            )
        )

    def _new_message(
        self,
        chan: dict[str, Any],
        body: dict[str, Any],
        files: list[RecordedFile],
        *,
        interaction: InteractionHandle | None = None,
        followup: bool = False,
    ) -> dict[str, Any]:
        """A message authored by the bot (channel send, interaction reply or follow-up)."""
        guild, extra, kind = chan["type"] == 0, {}, 0
        if interaction is not None:
            h = interaction
            who = h.payload.get("member", {}).get("user") or h.payload.get("user")
            owners = h.payload["authorizing_integration_owners"]
            meta = {
                "id": str(h.id),
                "type": h.type,
                "user": who,
                "authorizing_integration_owners": owners,
            }
            if h.type == 2:
                meta.update(name=h.payload["data"]["name"], command_type=1)
                kind = 0 if followup else 20
            if followup and h.original_id:
                meta["original_response_message_id"] = str(h.original_id)
            extra = {"webhook_id": str(self.app_id), "application_id": str(self.app_id)}
            extra["interaction_metadata"] = meta
        ref = body.get("message_reference")
        if ref and interaction is None:
            target = self.messages.get(int(ref.get("message_id") or 0))
            if target is None:
                if ref.get("fail_if_not_exists", True):
                    errs = limits.FormErrors()
                    errs.add(["message_reference"], "REPLIES_UNKNOWN_MESSAGE", "Unknown message")
                    raise Fail.form(errs)
            else:
                kind, extra["referenced_message"] = 19, copy.deepcopy(target)
                extra["message_reference"] = {
                    "type": 0,
                    "message_id": target["id"],
                    "channel_id": target["channel_id"],
                    **({"guild_id": str(self.guild_id)} if guild else {}),
                }
        msg = p.message(
            message_id=p.snowflake(),
            channel_id=int(chan["id"]),
            author=self.users[self.bot_id],
            guild_id=self.guild_id if guild else None,
            member=self.members[self.bot_id] if guild else None,
            msg_type=kind,
            **extra,
        )
        self._apply(msg, body, files, edit=False)
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        return self._store(msg)

    def _apply(
        self, msg: dict[str, Any], body: dict[str, Any], files: list[RecordedFile], *, edit: bool
    ) -> None:
        """Apply a create/edit body the way Discord does (edits never change EPHEMERAL)."""
        was_loading = int(msg["flags"]) & p.LOADING
        if "content" in body:
            msg["content"] = body["content"] or ""
            msg.update(self._mentions(msg["content"], "guild_id" in msg))
        if "embeds" in body:
            msg["embeds"] = [{"type": "rich", **e} for e in body["embeds"] or []]
        if "components" in body:
            msg["components"] = copy.deepcopy(body["components"] or [])
        if "tts" in body and not edit:
            msg["tts"] = bool(body["tts"])
        if body.get("flags") is not None:
            new = int(body["flags"])
            keep = int(msg["flags"]) & p.EPHEMERAL
            msg["flags"] = keep | (new & ~(p.EPHEMERAL | p.LOADING)) if edit else new
        if files or "attachments" in body:
            msg["attachments"] = self._attachments(msg, body.get("attachments"), files)
        if edit:
            msg["flags"] = int(msg["flags"]) & ~p.LOADING
            if not was_loading:
                msg["edited_timestamp"] = p.now_iso()

    def _attachments(
        self, msg: dict[str, Any], listed: list[dict[str, Any]] | None, files: list[RecordedFile]
    ) -> list[dict[str, Any]]:
        """``attachments`` lists kept ids plus ``{"id": n}`` for the upload in ``files[n]``."""
        uploads = {}
        for i, f in enumerate(files):
            m = re.fullmatch(r"files\[(\d+)\]", f.field)
            uploads[int(m.group(1)) if m else i] = f
        existing = {a["id"]: a for a in msg["attachments"]}
        out = []
        for entry in listed if listed is not None else [{"id": i} for i in sorted(uploads)]:
            aid = str(entry.get("id"))
            if aid in existing:
                out.append(existing[aid])
            elif aid.isdigit() and int(aid) in uploads:
                f, new_id = uploads[int(aid)], p.snowflake()
                self.files[new_id] = f.data
                name = entry.get("filename") or f.filename
                url = f"{self.base_url}/attachments/{msg['channel_id']}/{new_id}/{name}"
                out.append(p.attachment(new_id, name, f.size, url, f.content_type, entry))
        return out

    async def _emit(self, event: str, msg: dict[str, Any]) -> None:
        """Tell connected bots about a message change (ephemeral messages stay private)."""
        if int(msg["flags"]) & p.EPHEMERAL:
            return
        data = msg
        if event == "MESSAGE_DELETE":
            data = {k: msg[k] for k in ("id", "channel_id", "guild_id") if k in msg}
        await self.gateway.dispatch(event, data)

    async def _delete(self, msg: dict[str, Any]) -> None:
        mid = int(msg["id"])
        self.deleted[mid] = self.messages.pop(mid)
        self._order.remove(mid)
        await self._emit("MESSAGE_DELETE", msg)

    def _find_command(self, name: str) -> dict[str, Any]:
        for scope in (self.guild_id, None):
            for cmd in self._commands.get(scope, []):
                if cmd["name"] == name and int(cmd.get("type", 1)) == 1:
                    return cmd
        raise LookupError(f"/{name} is not registered (did the bot sync its command tree?)")

    def _resolved(self, options: list[dict[str, Any]]) -> dict[str, Any]:
        """The ``resolved`` map for user/channel/role/mentionable options."""
        res: dict[str, dict[str, Any]] = {}
        for opt in options:
            if opt.get("focused") or opt["type"] not in (6, 7, 8, 9):
                continue
            oid, kind = int(opt["value"]), opt["type"]
            if kind in (6, 9) and oid in self.users:
                res.setdefault("users", {})[str(oid)] = self.users[oid]
                if oid in self.members:
                    perms = str(self.permissions(oid))
                    part = {**p.partial_member(self.members[oid]), "permissions": perms}
                    res.setdefault("members", {})[str(oid)] = part
            if kind in (8, 9) and oid in self.roles:
                res.setdefault("roles", {})[str(oid)] = self.roles[oid]
            if kind == 7 and oid in self.channels:
                chan = {**self.channels[oid], "permissions": str(self.permissions(self.owner_id))}
                res.setdefault("channels", {})[str(oid)] = chan
        return copy.deepcopy(res)

    def _interaction_payload(
        self,
        kind: int,
        data: dict[str, Any],
        user: UserRef,
        channel: dict[str, Any],
        message: dict[str, Any] | None,
    ) -> dict[str, Any]:
        author, member = self._resolve_user(user)
        guild = channel["type"] == 0
        perms = str(self.permissions(int(author["id"])))
        return copy.deepcopy(
            p.interaction(
                interaction_id=p.snowflake(),
                token="aW50ZXJhY3Rpb246" + secrets.token_urlsafe(96),
                kind=kind,
                data=data,
                channel={**channel, "permissions": perms} if guild else channel,
                application_id=self.app_id,
                guild_id=self.guild_id if guild else None,
                member={**member, "permissions": perms} if guild else None,
                user=None if guild else author,
                app_permissions=self.permissions(self.bot_id),
                message=message,
            )
        )
