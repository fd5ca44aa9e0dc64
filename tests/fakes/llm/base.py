"""The loopback HTTP server both LLM fakes share: lifecycle (async or a background thread),
recording with credential redaction, API-key checks and the scripted-item dispatch.

A provider subclass supplies its routes, request validation and the wire rendering of items
and errors; everything else lives here.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import re
import secrets
import socket
import threading
import time
from typing import Any, ClassVar, Self

from aiohttp import web

from .script import (
    Hang,
    HttpError,
    Item,
    Malformed,
    RecordedRequest,
    Script,
    Step,
    Usage,
    check_step,
    estimate_tokens,
    resolve,
)

REDACTED = "<redacted>"
_SECRET_HEADER = re.compile(r"authorization|api-key|token|secret|cookie", re.IGNORECASE)


def redact_headers(headers: Any) -> dict[str, str]:
    """Lower-case header names; credential values replaced (a Bearer scheme is kept)."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        if _SECRET_HEADER.search(key):
            scheme = value.split(" ", 1)[0] if " " in value else ""
            out[key] = f"{scheme} {REDACTED}" if scheme.lower() == "bearer" else REDACTED
        else:
            out[key] = value
    return out


def prompt_tokens(body: dict[str, Any]) -> int:
    """Rough input token count: the JSON of system, messages and tools over 4."""
    parts = {k: body.get(k) for k in ("system", "messages", "tools") if body.get(k) is not None}
    return estimate_tokens(json.dumps(parts))


def token_counts(usage: Usage | None, body: dict[str, Any], out: str) -> tuple[int, int]:
    """(input, output) tokens: the scripted ``usage`` where given, else estimates."""
    usage = usage or Usage()
    inp = usage.input_tokens if usage.input_tokens is not None else prompt_tokens(body)
    outp = usage.output_tokens if usage.output_tokens is not None else estimate_tokens(out)
    return inp, outp


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class FakeLLMServer:
    """Base of :class:`FakeOpenAI` and :class:`FakeAnthropic` (see those for the wire side).

    ``default`` is served when the queue is empty (``Text("OK")`` if omitted). ``api_key``,
    when given, is the only key accepted (only its SHA-256 is kept); otherwise any non-empty
    key is. A missing key is always a 401 in the provider's shape.
    """

    provider: ClassVar[str] = "llm"

    def __init__(self, *, default: Step | None = None, api_key: str | None = None) -> None:
        self.script = Script(default)
        self.requests: list[RecordedRequest] = []
        self.responder_errors: list[BaseException] = []
        self.port = 0
        self._key_digest = _digest(api_key) if api_key is not None else None
        self._runner: web.AppRunner | None = None
        self._closing: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ---- provider hooks --------------------------------------------------------------------
    def _routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def _credential(self, request: web.Request) -> str | None:
        """The API key or token the request carries, or None."""
        raise NotImplementedError

    def _render_error(
        self, err: HttpError, request_id: str
    ) -> tuple[dict[str, Any] | str, dict[str, str]]:
        """The body and extra headers of an error response."""
        raise NotImplementedError

    def _render(self, item: Item, body: dict[str, Any]) -> dict[str, Any]:
        """The 200 body for a text/json/tool/refusal item."""
        raise NotImplementedError

    def _validate(self, request: web.Request, body: Any) -> HttpError | None:
        """An error for a request the real API would refuse, or None."""
        return None

    def _missing_key_error(self) -> HttpError:
        return HttpError(401, message="No API key provided.")

    def _bad_key_error(self) -> HttpError:
        return HttpError(401, message="Invalid API key.")

    def _request_id(self) -> tuple[str, str]:
        """Header name and value of the provider's request id."""
        return "x-request-id", f"req_{secrets.token_hex(12)}"

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> Self:
        """Listen on 127.0.0.1 at a free port (in the running event loop)."""
        self._closing = asyncio.Event()
        app = web.Application(client_max_size=32 * 1024 * 1024)
        self._routes(app)
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
        """Wake any hanging handler and close the server."""
        if self._closing is not None:
            self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def __enter__(self) -> Self:
        """Serve from a background thread (own event loop), for sync clients and sync tests."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=loop.run_forever, name=f"fake-{self.provider}", daemon=True
        )
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout=10)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout=10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()
            self._loop = self._thread = None

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What to pass as the SDK's ``base_url``."""
        return self.root_url

    # ---- scripting and inspection ----------------------------------------------------------
    def push(self, *steps: Step) -> None:
        """Queue replies (shortcut for ``script.push``)."""
        self.script.push(*steps)

    def set_default(self, step: Step) -> None:
        """What to serve once the queue is empty."""
        self.script.default = check_step(step)

    @property
    def count(self) -> int:
        """How many requests arrived (all paths)."""
        return len(self.requests)

    def last_request(self, path: str | None = None) -> RecordedRequest:
        """The newest request (to ``path`` if given). AssertionError if there is none."""
        hits = [r for r in self.requests if path is None or r.path == path]
        if not hits:
            where = f" to {path}" if path else ""
            raise AssertionError(f"the fake {self.provider} server received no request{where}")
        return hits[-1]

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def reset(self) -> None:
        """Forget recorded requests and queued steps (the default stays)."""
        self.requests.clear()
        self.responder_errors.clear()
        self.script.clear()

    # ---- request handling ------------------------------------------------------------------
    async def _record(self, request: web.Request) -> RecordedRequest:
        raw = await request.read()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        cred = self._credential(request)
        ok = None
        if cred and self._key_digest is not None:
            ok = hmac.compare_digest(_digest(cred), self._key_digest)
        rec = RecordedRequest(
            index=len(self.requests),
            method=request.method,
            path=request.path,
            headers=redact_headers(request.headers),
            body=body,
            auth_present=bool(cred),
            auth_ok=ok,
            at=time.monotonic(),
        )
        self.requests.append(rec)
        return rec

    def _auth_error(self, rec: RecordedRequest) -> HttpError | None:
        if not rec.auth_present:
            return self._missing_key_error()
        if rec.auth_ok is False:
            return self._bad_key_error()
        return None

    async def _guarded(
        self, request: web.Request, *, validate: bool = False
    ) -> tuple[RecordedRequest, HttpError | None]:
        """Record the request, check auth (and the body when ``validate``); returns the
        fake's own error, if any."""
        rec = await self._record(request)
        own = self._auth_error(rec)
        if own is None and validate:
            own = self._validate(request, rec.body)
        if own is not None:
            rec.error = own.message
        return rec, own

    async def _complete(self, request: web.Request) -> web.StreamResponse:
        """The generation endpoint: auth, validation, then the next scripted step."""
        rec, own = await self._guarded(request, validate=True)
        if own is not None:
            return self._respond(rec, own)
        step = self.script.next_step()
        while True:
            try:
                item = resolve(step, rec.body)
            except Exception as exc:  # a test's responder failed: answer 500, keep the error
                self.responder_errors.append(exc)
                msg = f"fake responder raised {type(exc).__name__}: {exc}"
                rec.error = msg
                return self._respond(rec, HttpError(500, message=msg))
            if not isinstance(item, Hang):
                return self._respond(rec, item)
            rec.hang = item
            assert self._closing is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), item.seconds)
            step = item.then if item.then is not None else self.script.default

    def _respond(self, rec: RecordedRequest, item: Item) -> web.Response:
        rec.item = item
        rid_name, rid = self._request_id()
        headers = {rid_name: rid}
        if isinstance(item, Malformed):
            rec.status = item.status
            headers["content-type"] = item.content_type
            return web.Response(status=item.status, text=item.body, headers=headers)
        if isinstance(item, HttpError):
            body, extra = self._render_error(item, rid) if item.body is None else (item.body, {})
            headers.update(extra)
            if (ra := item.retry_after_header()) is not None:
                headers["retry-after"] = ra
            headers.update(item.headers)
            rec.status = item.status
            if isinstance(body, str):
                return web.Response(status=item.status, text=body, headers=headers)
            return web.json_response(body, status=item.status, headers=headers)
        assert isinstance(rec.body, dict)
        rec.status = 200
        return web.json_response(self._render(item, rec.body), headers=headers)
