"""What a fake LLM server answers (scripted items) and what it saw (recorded requests).

Both fakes share these types; each renders an item in its own wire format:

* :class:`Text`, :class:`Json`, :class:`ToolCall` / :class:`ToolCalls`, :class:`Refusal` -> a 200
  completion / message;
* :class:`HttpError` -> the provider's documented error body, status and headers;
* :class:`Hang` -> sleep, then answer (so a client timeout fires first);
* :class:`Malformed` -> a body that is not valid JSON, sent with a JSON content type;
* a :data:`Responder` ``fn(request_json) -> item`` -> called with the request body.
"""

from __future__ import annotations

import json
import math
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts to report; ``None`` means "estimate" (about 4 characters a token)."""

    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class Text:
    """A plain assistant reply. ``stop`` overrides finish_reason / stop_reason
    (e.g. ``"length"`` for OpenAI, ``"max_tokens"`` for Anthropic)."""

    text: str
    usage: Usage | None = None
    stop: str | None = None


@dataclass(frozen=True, slots=True)
class Json:
    """A structured-output reply. A dict/list is JSON-encoded; a ``str`` is sent verbatim, so
    ``Json('{"side": "buy"')`` simulates malformed JSON and ``Json({"wrong": 1})`` a schema
    violation. OpenAI puts it in ``message.content``; Anthropic in a text block."""

    value: Any
    usage: Usage | None = None
    stop: str | None = None

    def encoded(self) -> str:
        return self.value if isinstance(self.value, str) else json.dumps(self.value)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """The model calls one tool. A mapping ``arguments`` is JSON-encoded; a ``str`` is sent
    verbatim (OpenAI ``function.arguments``), so it may be non-JSON on purpose. Anthropic's
    ``input`` is an object: a ``str`` that decodes to an object is sent as that object,
    anything else is sent as the raw string (the real API never does that; guards should
    still cope). ``text`` is optional prose sent alongside the call."""

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    call_id: str | None = None
    text: str | None = None
    usage: Usage | None = None

    def encoded(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass(frozen=True, slots=True)
class ToolCalls:
    """Several tool calls in one reply (parallel tool use)."""

    calls: Sequence[ToolCall]
    text: str | None = None
    usage: Usage | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    """The model refuses: OpenAI ``message.refusal`` (content null); Anthropic
    ``stop_reason: "refusal"`` with the text as its only block."""

    text: str = "I can't help with that."
    usage: Usage | None = None


@dataclass(frozen=True, slots=True)
class HttpError:
    """An HTTP error in the provider's documented shape. ``retry_after`` (seconds; a float, an
    int or a raw string such as an HTTP date) becomes the ``retry-after`` header.
    ``error_type``/``code`` default per provider and status; ``body`` replaces the whole body
    (a dict is JSON-encoded, a str sent verbatim)."""

    status: int
    message: str | None = None
    retry_after: float | str | None = None
    error_type: str | None = None
    code: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None

    @classmethod
    def rate_limited(cls, retry_after: float | str | None = 0.01, **kw: Any) -> HttpError:
        """429 with ``retry-after`` (small by default so SDK retries stay fast)."""
        return cls(429, retry_after=retry_after, **kw)

    @classmethod
    def server_error(cls, **kw: Any) -> HttpError:
        return cls(500, **kw)

    @classmethod
    def unavailable(cls, **kw: Any) -> HttpError:
        return cls(503, **kw)

    @classmethod
    def overloaded(cls, **kw: Any) -> HttpError:
        """529, Anthropic's "overloaded" status (OpenAI clients see a plain 5xx)."""
        return cls(529, **kw)

    @classmethod
    def unauthorized(cls, **kw: Any) -> HttpError:
        return cls(401, **kw)

    def retry_after_header(self) -> str | None:
        if self.retry_after is None or isinstance(self.retry_after, str):
            return self.retry_after
        return f"{self.retry_after:g}"


@dataclass(frozen=True, slots=True)
class Hang:
    """Sleep ``seconds`` before answering with ``then`` (default: the script's default, so a
    retry after the client timed out gets the next queued item). Stopping the fake wakes it."""

    seconds: float
    then: Step | None = None


@dataclass(frozen=True, slots=True)
class Malformed:
    """A body that does not parse, sent with ``content_type`` and ``status``."""

    body: str = '{"id": "truncated", "choices": [{"message": '
    status: int = 200
    content_type: str = "application/json"


Item = Text | Json | ToolCall | ToolCalls | Refusal | HttpError | Hang | Malformed
Responder = Callable[[Any], Item]
"""Called with the request's JSON body; returns the item to serve."""
Step = Item | Responder
_ITEMS = (Text, Json, ToolCall, ToolCalls, Refusal, HttpError, Hang, Malformed)


class ScriptError(TypeError):
    """A scripted step is not an item nor a responder, or a responder returned a non-item."""


class Script:
    """A FIFO of steps, then ``default`` forever. Thread-safe (the sync runner serves from a
    background thread while the test pushes from its own)."""

    def __init__(self, default: Step | None = None) -> None:
        self.default: Step = Text("OK") if default is None else check_step(default)
        self._queue: deque[Step] = deque()
        self._lock = threading.Lock()

    def push(self, *steps: Step) -> None:
        """Queue steps; each request consumes one."""
        checked = [check_step(s) for s in steps]
        with self._lock:
            self._queue.extend(checked)

    @property
    def pending(self) -> int:
        """Steps not consumed yet."""
        with self._lock:
            return len(self._queue)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    def next_step(self) -> Step:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default


def check_step(step: Step) -> Step:
    """``step`` itself if it is an item or a callable; ScriptError otherwise."""
    if isinstance(step, _ITEMS) or callable(step):
        return step
    raise ScriptError(f"not a scripted item or responder: {step!r}")


def resolve(step: Step, body: Any) -> Item:
    """Call a responder (once) and check that it produced an item."""
    item = step if isinstance(step, _ITEMS) else step(body)
    if not isinstance(item, _ITEMS):
        raise ScriptError(f"responder {step!r} returned {item!r}, not a scripted item")
    return item


def estimate_tokens(text: str) -> int:
    """Roughly 4 characters a token, at least 1."""
    return max(1, math.ceil(len(text) / 4))


@dataclass
class RecordedRequest:
    """One request the SDK made. Header names are lower-case; credentials are replaced by
    ``<redacted>`` (``auth_present`` says one was sent; ``auth_ok`` whether it matched the
    fake's ``api_key`` when one was configured, else ``None``)."""

    index: int
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    auth_present: bool
    auth_ok: bool | None
    at: float
    item: Item | None = None  # what was served (after any hang)
    status: int = 0  # 0 while a hang is pending
    hang: Hang | None = None  # set when the answer was delayed on purpose
    error: str | None = None  # message of an error the fake produced on its own (401, 400...)

    @property
    def model(self) -> str | None:
        return self.body.get("model") if isinstance(self.body, dict) else None

    @property
    def retry_count(self) -> int | None:
        """The SDK's ``x-stainless-retry-count`` (0 on the first attempt)."""
        raw = self.headers.get("x-stainless-retry-count")
        return int(raw) if raw is not None else None

    @property
    def read_timeout(self) -> float | None:
        """The SDK's ``x-stainless-read-timeout`` (the client's read timeout, seconds)."""
        raw = self.headers.get("x-stainless-read-timeout")
        return float(raw) if raw is not None else None

    def texts(self, role: str | None = None) -> list[str]:
        """Every text part of the prompt, in order, optionally for one role. Understands both
        wire shapes: OpenAI ``messages`` (system/developer/user/assistant/tool, string or parts)
        and Anthropic top-level ``system`` (role ``"system"``) plus ``messages`` blocks."""
        if not isinstance(self.body, dict):
            return []
        out: list[str] = []
        if role in (None, "system"):
            out += _block_texts(self.body.get("system"))
        for msg in self.body.get("messages") or []:
            if isinstance(msg, dict) and role in (None, msg.get("role")):
                out += _block_texts(msg.get("content"))
        return out

    @property
    def prompt(self) -> str:
        """All prompt text joined with newlines."""
        return "\n".join(self.texts())

    @property
    def tool_names(self) -> list[str]:
        """Names of the declared tools (OpenAI ``function.name`` or Anthropic ``name``)."""
        if not isinstance(self.body, dict):
            return []
        names = []
        for tool in self.body.get("tools") or []:
            fn = tool.get("function") if isinstance(tool.get("function"), dict) else tool
            names.append(str(fn.get("name")))
        return names


def _block_texts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        blocks = [b for b in content if isinstance(b, dict)]
        return [b["text"] for b in blocks if isinstance(b.get("text"), str)]
    return []
