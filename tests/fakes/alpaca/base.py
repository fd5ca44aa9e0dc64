"""What every loopback Alpaca API shares: lifecycle, key check, recording, scripted faults.

Alpaca serves market data and trading from different hosts, so each fake is its own server:
``FakeAlpacaData`` (data_server.py) now, a ``FakeAlpacaTrading`` (trading_server.py) later.
A subclass lists its routes in ``routes()`` and keeps its world state; this base answers
auth failures (401 without keys, 403 with wrong ones), injected faults and its optional
per-minute limit before a handler runs, records every request with the keys redacted, and
puts Alpaca's X-RateLimit-* headers on every answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
KEY_HEADER = "APCA-API-KEY-ID"
SECRET_HEADER = "APCA-API-SECRET-KEY"
REDACTED = "***"


@dataclass
class Recorded:
    """One request as the fake saw it; auth header values are replaced by ``***``."""

    index: int
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float
    status: int = 0
    fault: str = ""  # "", "injected", "hang", "rate_limit", "auth"


@dataclass
class Fault:
    """A scripted answer for the next ``times`` requests whose path matches ``path``."""

    path: re.Pattern[str]
    method: str
    times: int
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # JSON body; None gives Alpaca's {"code", "message"} for the status
    raw: str | None = None  # a raw (possibly malformed) body instead of JSON
    hang: float | None = None  # seconds to hold the request open without answering


def error_body(status: int, message: str) -> dict[str, Any]:
    """Alpaca's error shape: an 8-digit code starting with the status, and a message."""
    return {"code": status * 100_000 + 1, "message": message}


def json_error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(error_body(status, message), status=status, headers=headers)


class ApiError(Exception):
    """Raised by handlers to answer with Alpaca's JSON error body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message


class FakeAlpacaServer:
    """Base of the loopback Alpaca servers (127.0.0.1, random port)."""

    # Paths that authenticate in-band (websockets): recorded, but no header check or faults.
    open_paths: frozenset[str] = frozenset()

    def __init__(
        self,
        *,
        key_id: str = "test-alpaca-key-id",
        secret_key: str = "fake-secret-0123456789abcdefghijklmn",
        rate_limit_per_minute: int | None = None,
        wall: Callable[[], float] = time.time,
        echo_keys: bool = False,
    ) -> None:
        self.key_id = key_id
        self.secret_key = secret_key
        # a careless venue: auth errors quote back the key id and secret the client sent
        self.echo_keys = echo_keys
        self.rate_limit_per_minute = rate_limit_per_minute
        self.wall = wall
        self.requests: list[Recorded] = []
        self._faults: list[Fault] = []
        self._window: deque[float] = deque()
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- subclass API -------------------------------------------------------------------
    def routes(self) -> list[tuple[str, str, Handler]]:
        """(method, aiohttp path pattern, handler) triples."""
        raise NotImplementedError

    # ---- lifecycle ------------------------------------------------------------------------
    async def start(self) -> FakeAlpacaServer:
        app = web.Application(middlewares=[self._middleware])
        for method, path, handler in self.routes():
            app.router.add_route(method, path, handler)
        self._released = asyncio.Event()
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeAlpacaServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What the SDK's url_override (and APCA_API_DATA_URL) should be: no /v2 suffix."""
        return f"http://127.0.0.1:{self.port}"

    # ---- faults ---------------------------------------------------------------------------
    def fail_next(
        self,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        body: Any = None,
        retry_after: float | None = None,
        reset_in: float | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status``. For 429, ``retry_after``
        adds Retry-After (seconds) and ``reset_in`` sets X-RateLimit-Reset that far ahead."""
        h = dict(headers or {})
        if retry_after is not None:
            h["Retry-After"] = f"{retry_after:g}"
        if reset_in is not None:
            h["X-RateLimit-Reset"] = str(math.ceil(self.wall() + reset_in))
            h["X-RateLimit-Remaining"] = "0"
        self._faults.append(Fault(re.compile(path_regex), method.upper(), times, status, h, body))

    def malformed_next(self, path_regex: str, *, times: int = 1, raw: str = "{not json") -> None:
        """Answer 200 with a body that is not valid JSON."""
        self._faults.append(Fault(re.compile(path_regex), "GET", times, 200, raw=raw))

    def hang_next(self, path_regex: str, *, times: int = 1, seconds: float = 30.0) -> None:
        """Hold the next matching requests open without answering (until ``release()``)."""
        self._faults.append(Fault(re.compile(path_regex), "GET", times, 504, hang=seconds))

    def release(self) -> None:
        """End every hanging request now."""
        self._released.set()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for f in self._faults:
            if f.times > 0 and f.method in ("*", method) and f.path.search(path):
                f.times -= 1
                return f
        return None

    # ---- recording ------------------------------------------------------------------------
    def calls(self, path_regex: str = "", method: str = "GET") -> list[Recorded]:
        """Recorded requests whose path ``re.search``-es ``path_regex``."""
        rx = re.compile(path_regex)
        return [r for r in self.requests if r.method == method and rx.search(r.path)]

    def _rate_headers(self) -> dict[str, str]:
        limit = self.rate_limit_per_minute or 200
        now = self.wall()
        while self._window and self._window[0] <= now - 60:
            self._window.popleft()
        reset = math.ceil((self._window[0] + 60) if self._window else now + 60)
        left = max(0, limit - len(self._window))
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(left),
            "X-RateLimit-Reset": str(reset),
        }

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        headers = {
            k: (REDACTED if k.upper() in (KEY_HEADER, SECRET_HEADER) else v)
            for k, v in request.headers.items()
        }
        rec = Recorded(
            len(self.requests),
            request.method,
            request.path,
            dict(request.query),
            headers,
            time.monotonic(),
        )
        self.requests.append(rec)
        resp = await self._answer(request, handler, rec)
        rec.status = resp.status
        return resp

    async def _answer(
        self, request: web.Request, handler: Handler, rec: Recorded
    ) -> web.StreamResponse:
        if request.path in self.open_paths:
            return await handler(request)
        key, secret = request.headers.get(KEY_HEADER), request.headers.get(SECRET_HEADER)
        echo = f" (key id {key}, secret {secret})" if self.echo_keys else ""
        if not key or not secret:
            rec.fault = "auth"
            return json_error(401, "request is not authorized" + echo)
        if key != self.key_id or secret != self.secret_key:
            rec.fault = "auth"
            return json_error(403, "forbidden" + echo)
        fault = self._take_fault(request.method, request.path)
        if fault is not None and fault.hang is not None:
            rec.fault = "hang"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), fault.hang)
            return json_error(504, "gateway timeout")
        self._window.append(self.wall())
        limits = self._rate_headers()
        if fault is not None:
            rec.fault = "injected"
            if fault.raw is not None:
                return web.Response(
                    text=fault.raw, status=fault.status, content_type="application/json"
                )
            body = fault.body if fault.body is not None else error_body(fault.status, "injected")
            return web.json_response(body, status=fault.status, headers={**limits, **fault.headers})
        if self.rate_limit_per_minute and len(self._window) > self.rate_limit_per_minute:
            rec.fault = "rate_limit"
            return json_error(429, "too many requests", {**limits, "X-RateLimit-Remaining": "0"})
        try:
            resp = await handler(request)
        except ApiError as e:
            return json_error(e.status, e.message, limits)
        except web.HTTPException as e:
            return json_error(e.status, e.reason or "error", limits)
        resp.headers.update(limits)
        return resp
