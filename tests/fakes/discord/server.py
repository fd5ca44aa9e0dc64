"""The fake's REST API v10: routing, recording, failure injection and the handlers.

Every request lands in ``requests``; every 4xx the server produced on its own (not injected
with ``fail_next``) also lands in ``violations``. World state lives on
:class:`tests.fakes.discord.FakeDiscord`, which mixes this class in.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import limits

if TYPE_CHECKING:
    from . import FakeDiscord


@dataclass
class RecordedFile:
    field: str
    filename: str
    size: int
    content_type: str
    data: bytes = field(repr=False)


@dataclass
class Recorded:
    """One HTTP request the bot made; ``path`` is relative to the API base (``/channels/1/...``)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[RecordedFile]
    at: float
    index: int = 0
    status: int = 0
    response: Any = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass
class Violation:
    """A 4xx the fake answered on its own: bad payload, double ack, late ack, unknown route..."""

    method: str
    path: str
    status: int
    code: int
    message: str
    errors: dict[str, Any]
    payload: Any


@dataclass
class _Failure:
    method: str
    path: re.Pattern[str]
    status: int
    retry_after: float
    times: int
    body: Any


@dataclass
class Req:
    method: str
    path: str
    m: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[RecordedFile]


class Fail(Exception):
    """Raised by handlers to answer with Discord's JSON error body."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.body: dict[str, Any] = {"message": message, "code": code}
        if errors:
            self.body["errors"] = errors

    @classmethod
    def form(cls, errs: limits.FormErrors) -> Fail:
        return cls(400, 50035, "Invalid Form Body", errs.tree)


Handler = Callable[[Req], Awaitable[tuple[int, Any]]]
_C = r"/channels/(?P<c>\d+)"


class RestServer:
    """HTTP side of FakeDiscord (mixin; ``self`` is the FakeDiscord)."""

    def _init_rest(self: FakeDiscord) -> None:
        self.requests: list[Recorded] = []
        self.violations: list[Violation] = []
        self._failures: list[_Failure] = []
        self._pulse = asyncio.Event()
        table = self._route_table() + self._interaction_routes()
        self._routes = [(verb, re.compile(rx), handler) for verb, rx, handler in table]

    # ---- recording, waiting, failure injection ---------------------------------------------
    def mark(self: FakeDiscord) -> int:
        """Index of the next request; pass it as ``after=`` to wait only for newer ones."""
        return len(self.requests)

    def _changed(self: FakeDiscord) -> None:
        self._pulse.set()
        self._pulse = asyncio.Event()

    async def wait_until(
        self: FakeDiscord,
        cond: Callable[[], bool],
        *,
        timeout: float = 5.0,
        what: str = "a condition",
    ) -> None:
        """Wait until ``cond()`` is true; re-checked on every fake event and every 20 ms, so
        it may also look at bot-side state. Raises TimeoutError listing the last requests."""
        deadline = time.monotonic() + timeout
        while not cond():
            left, pulse = deadline - time.monotonic(), self._pulse
            if left <= 0:
                last = "\n  ".join(f"{r.method} {r.path} -> {r.status}" for r in self.requests[-8:])
                raise TimeoutError(
                    f"timed out after {timeout}s waiting for {what}; last:\n  {last}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pulse.wait(), min(left, 0.02))

    async def wait_for(
        self: FakeDiscord,
        method: str,
        path_regex: str,
        *,
        predicate: Callable[[Recorded], bool] | None = None,
        timeout: float = 5.0,
        after: int = 0,
    ) -> Recorded:
        """The first answered request at index >= ``after`` with this method (``*`` = any)
        whose path ``re.search``-es ``path_regex`` (anchor with ``^...$``) and that passes
        ``predicate``. Use ``after=fake.mark()`` taken before an action to skip older ones."""
        rx = re.compile(path_regex)

        def find() -> Recorded | None:
            for rec in self.requests[after:]:
                hit = rec.status and method.upper() in ("*", rec.method) and rx.search(rec.path)
                if hit and (predicate is None or predicate(rec)):
                    return rec
            return None

        await self.wait_until(
            lambda: find() is not None, timeout=timeout, what=f"{method} {path_regex}"
        )
        found = find()
        assert found is not None
        return found

    def fail_next(
        self: FakeDiscord,
        method: str,
        path_regex: str,
        status: int,
        *,
        retry_after: float | None = None,
        times: int = 1,
        body: Any = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status``. 429 sends Discord's
        rate-limit body and headers (``retry_after`` defaults to 0.1 s); 5xx a plain-text error."""
        wait = 0.1 if retry_after is None else retry_after
        self._failures.append(
            _Failure(method.upper(), re.compile(path_regex), status, wait, times, body)
        )

    def _take_failure(self: FakeDiscord, method: str, path: str) -> _Failure | None:
        for f in self._failures:
            if f.times > 0 and f.method in ("*", method) and f.path.search(path):
                f.times -= 1
                return f
        return None

    # ---- HTTP plumbing ---------------------------------------------------------------------
    async def _read_body(self: FakeDiscord, request: web.Request) -> tuple[Any, list[RecordedFile]]:
        files: list[RecordedFile] = []
        if request.content_type.startswith("multipart/"):
            body: Any = None
            async for part in await request.multipart():
                data = await part.read()  # type: ignore[union-attr]
                if part.name == "payload_json":
                    body = json.loads(data)
                else:
                    ct = part.headers.get("Content-Type", "application/octet-stream")
                    files.append(
                        RecordedFile(part.name or "", part.filename or "", len(data), ct, data)
                    )
            return body, files
        raw = await request.read()
        return (json.loads(raw) if raw else None), files

    async def _handle(self: FakeDiscord, request: web.Request) -> web.StreamResponse:
        method, path = request.method, "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        query = dict(request.query)
        rec = Recorded(method, path, query, body, files, time.perf_counter(), len(self.requests))
        rec.headers = dict(request.headers)
        self.requests.append(rec)
        route, handler, m = self._route(method, path)
        headers = _rate_headers(route)
        failure = self._take_failure(method, path)
        if failure is not None:
            status, out = failure.status, copy.deepcopy(failure.body)
            if status == 429:
                out = out or {"message": "You are being rate limited.", "global": False}
                out.setdefault("retry_after", failure.retry_after)
                headers.update(_limited_headers(route, failure.retry_after))
            elif out is None and status < 500:
                out = {"message": f"{status}: {HTTPStatus(status).phrase}", "code": 0}
        elif handler is None:
            status, out = 404, {"message": "404: Not Found", "code": 0}
        elif not self._authorized(path, request):
            status, out = 401, {"message": "401: Unauthorized", "code": 0}
        else:
            try:
                status, out = await handler(Req(method, path, m, query, body, files))
            except Fail as exc:
                status, out = exc.status, exc.body
        rec.status, rec.response = status, copy.deepcopy(out)
        if 400 <= status < 500 and failure is None:
            o = out if isinstance(out, dict) else {}
            code, msg = int(o.get("code", 0)), str(o.get("message", ""))
            self.violations.append(
                Violation(method, path, status, code, msg, o.get("errors", {}), body)
            )
        self._changed()
        if out is None and status < 300:
            return web.Response(status=204, headers=headers)
        if status >= 500 and not isinstance(out, dict):
            text = out if isinstance(out, str) else f"{status}: Internal Server Error"
            return web.Response(status=status, text=text, headers=headers)
        headers["Content-Type"] = "application/json"  # exactly; discord.py compares verbatim
        return web.Response(status=status, body=json.dumps(out).encode(), headers=headers)

    def _authorized(self: FakeDiscord, path: str, request: web.Request) -> bool:
        if path.startswith(("/interactions/", "/webhooks/")):
            return True
        auth = request.headers.get("Authorization", "")
        return auth.startswith("Bot ") and (self.token is None or auth == f"Bot {self.token}")

    def _route(
        self: FakeDiscord, method: str, path: str
    ) -> tuple[str, Handler | None, dict[str, str]]:
        for verb, rx, handler in self._routes:
            match = rx.fullmatch(path)
            if match and verb == method:
                return rx.pattern, handler, {k: v for k, v in match.groupdict().items() if v}
        return path, None, {}

    def _route_table(self: FakeDiscord) -> list[tuple[str, str, Handler]]:
        msg, react = _C + r"/messages/(?P<m>\d+)", _C + r"/messages/\d+/reactions/[^/]+/@me"
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/users/@me", self._me),
            ("GET", r"/users/(?P<user>\d+)", self._get_user),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/oauth2/applications/@me", self._app_info),
            ("GET", "/applications/@me", self._app_info),
            ("GET", "/gateway", self._gateway),
            ("GET", "/gateway/bot", self._gateway),
            ("GET", r"/guilds/(?P<g>\d+)", self._get_guild),
            ("GET", r"/guilds/(?P<g>\d+)/members/(?P<user>\d+)", self._get_member),
            ("GET", _C, self._get_channel),
            ("POST", _C + "/typing", self._no_content),
            ("GET", _C + "/messages", self._history),
            ("POST", _C + "/messages", self._create_message),
            ("GET", msg, self._get_message),
            ("PATCH", msg, self._edit_message),
            ("DELETE", msg, self._delete_message),
            ("PUT", react, self._no_content),
            ("DELETE", react, self._no_content),
        ]
        return table

    # ---- users, application, gateway, guild ------------------------------------------------
    async def _me(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        return 200, self.bot_user

    async def _get_user(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        return 200, self._known_user(req.m["user"])

    def _known_user(self: FakeDiscord, user_id: Any) -> dict[str, Any]:
        if int(user_id or 0) not in self.users:
            raise Fail(404, 10013, "Unknown User")
        return self.users[int(user_id)]

    async def _create_dm(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        user = self._known_user((req.json or {}).get("recipient_id"))
        return 200, self._dm_channel(int(user["id"]))

    async def _app_info(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        return 200, self.application

    async def _gateway(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        if not req.path.endswith("/bot"):
            return 200, {"url": self.gateway_url}
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}

    def _guild(self: FakeDiscord, req: Req) -> None:
        if int(req.m.get("g") or req.m.get("guild") or self.guild_id) != self.guild_id:
            raise Fail(403, 50001, "Missing Access")

    async def _get_guild(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        self._guild(req)
        guild = self.guild_payload()
        return 200, {k: v for k, v in guild.items() if k not in ("members", "channels", "threads")}

    async def _get_member(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        self._guild(req)
        if int(req.m["user"]) not in self.members:
            raise Fail(404, 10007, "Unknown Member")
        return 200, self.members[int(req.m["user"])]

    # ---- channels and messages -------------------------------------------------------------
    def _chan(self: FakeDiscord, req: Req) -> dict[str, Any]:
        if int(req.m["c"]) not in self.channels:
            raise Fail(404, 10003, "Unknown Channel")
        return self.channels[int(req.m["c"])]

    def _msg(self: FakeDiscord, req: Req) -> dict[str, Any]:
        chan, msg = self._chan(req), self.messages.get(int(req.m["m"]))
        if msg is None or msg["channel_id"] != chan["id"]:
            raise Fail(404, 10008, "Unknown Message")
        return msg

    def _validate(
        self: FakeDiscord, body: Any, files: list[RecordedFile], *, create: bool, base=()
    ) -> None:
        if not isinstance(body, dict):
            raise Fail(400, 50109, "The request body contains invalid JSON.")
        if errs := limits.check_message(body, base):
            raise Fail.form(errs)
        if create and limits.is_empty_message(body, len(files)):
            raise Fail(400, 50006, "Cannot send an empty message")

    async def _no_content(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        return 204, None

    async def _get_channel(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        return 200, self._chan(req)

    async def _history(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        cid, limit = self._chan(req)["id"], int(req.query.get("limit", 50))
        found = [
            self.messages[i] for i in reversed(self._order) if self.messages[i]["channel_id"] == cid
        ]
        return 200, found[:limit]

    async def _create_message(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        chan, body = self._chan(req), req.json or {}
        self._validate(body, req.files, create=True)
        msg = self._new_message(chan, body, req.files)
        await self._emit("MESSAGE_CREATE", msg)
        return 200, msg

    async def _get_message(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        return 200, self._msg(req)

    async def _edit_message(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        msg = self._msg(req)
        if msg["author"]["id"] != str(self.bot_id):
            raise Fail(403, 50005, "Cannot edit a message authored by another user")
        self._validate(req.json or {}, req.files, create=False)
        self._apply(msg, req.json or {}, req.files, edit=True)
        await self._emit("MESSAGE_UPDATE", msg)
        return 200, msg

    async def _delete_message(self: FakeDiscord, req: Req) -> tuple[int, Any]:
        await self._delete(self._msg(req))
        return 204, None


def _rate_headers(route: str, remaining: int = 49) -> dict[str, str]:
    return {
        "Via": "1.1 google",  # discord.py treats a 429 without Via as a Cloudflare ban
        "X-RateLimit-Bucket": hashlib.md5(route.encode()).hexdigest(),
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Reset-After": "1.000",
    }


def _limited_headers(route: str, retry_after: float) -> dict[str, str]:
    return {
        **_rate_headers(route, remaining=0),
        "Retry-After": str(max(1, int(retry_after + 0.999))),
        "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Scope": "user",
    }
