"""A loopback Anthropic API: ``POST /v1/messages`` and ``GET /v1/models[/{id}]``.

Usage::

    async with FakeAnthropic() as fake:
        fake.push(ToolCall("propose", {"symbol": "NVDA"}), HttpError.overloaded())
        client = AsyncAnthropic(api_key="test-key", base_url=fake.base_url, max_retries=0)
        ...

Errors use Anthropic's documented body
``{"type": "error", "error": {"type", "message"}, "request_id"}`` with a ``request-id`` header.
Requests the real API refuses get the same shape, with ``RecordedRequest.error`` set: no
``x-api-key`` (nor ``Authorization: Bearer``) -> 401 ``authentication_error``; no
``anthropic-version`` header, no ``model``/``max_tokens``/``messages``, a ``"system"`` role
inside ``messages``, a tool without a name, or ``stream: true`` (not implemented by the fake)
-> 400 ``invalid_request_error``.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from .base import FakeLLMServer, token_counts
from .script import HttpError, Item, Json, Refusal, Step, Text, ToolCall, ToolCalls

MESSAGES_PATH = "/v1/messages"
DEFAULT_MODELS = ("claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1")

# status -> (error.type, message) as documented
_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    402: ("billing_error", "Your credit balance is too low to access the Anthropic API."),
    403: ("permission_error", "Your API key does not have permission to use this resource."),
    404: ("not_found_error", "Not found."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of requests has exceeded your per-minute rate limit."),
    500: ("api_error", "Internal server error"),
    503: ("api_error", "Service unavailable"),
    504: ("timeout_error", "Request timed out"),
    529: ("overloaded_error", "Overloaded"),
}
_ALNUM = string.ascii_letters + string.digits


def _rand(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def _bad(message: str) -> HttpError:
    return HttpError(400, message=message, error_type="invalid_request_error")


class FakeAnthropic(FakeLLMServer):
    """Anthropic on 127.0.0.1; ``base_url`` is ``http://127.0.0.1:PORT`` (the SDK adds /v1)."""

    provider = "anthropic"

    def __init__(
        self,
        *,
        default: Step | None = None,
        api_key: str | None = None,
        models: Sequence[str] = DEFAULT_MODELS,
    ) -> None:
        super().__init__(default=default, api_key=api_key)
        self.models = list(models)

    def _routes(self, app: web.Application) -> None:
        app.router.add_post(MESSAGES_PATH, self._complete)
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_get("/v1/models/{model}", self._get_model)

    def _request_id(self) -> tuple[str, str]:
        return "request-id", f"req_011C{_rand(20)}"

    def _credential(self, request: web.Request) -> str | None:
        key = request.headers.get("x-api-key", "").strip()
        if key:
            return key
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return (token.strip() or None) if scheme.lower() == "bearer" else None

    def _missing_key_error(self) -> HttpError:
        return HttpError(401, message="x-api-key header is required")

    def _bad_key_error(self) -> HttpError:
        return HttpError(401, message="invalid x-api-key")

    def _validate(self, request: web.Request, body: Any) -> HttpError | None:
        if not request.headers.get("anthropic-version"):
            return _bad("anthropic-version: header is required")
        if not isinstance(body, dict):
            return _bad("The request body is not valid JSON.")
        for name in ("model", "max_tokens", "messages"):
            if name not in body:
                return _bad(f"{name}: Field required")
        messages = body["messages"]
        if not isinstance(messages, list) or not messages:
            return _bad("messages: at least one message is required")
        for i, msg in enumerate(messages):
            role = msg.get("role") if isinstance(msg, dict) else None
            if role not in ("user", "assistant"):
                return _bad(
                    f"messages.{i}.role: Input should be 'user' or 'assistant' (got {role!r}); "
                    "put system text in the top-level `system` parameter"
                )
        if body.get("stream"):
            return _bad("the fake Anthropic server does not implement streaming")
        for i, tool in enumerate(body.get("tools") or []):
            if not isinstance(tool, dict) or not tool.get("name"):
                return _bad(f"tools.{i}.name: Field required")
        return None

    def _render_error(
        self, err: HttpError, request_id: str
    ) -> tuple[dict[str, Any] | str, dict[str, str]]:
        kind, message = _ERRORS.get(
            err.status, ("api_error" if err.status >= 500 else "invalid_request_error", "Error.")
        )
        body = {
            "type": "error",
            "error": {"type": err.error_type or kind, "message": err.message or message},
            "request_id": request_id,
        }
        headers = {}
        if err.status == 429:
            headers = {
                "anthropic-ratelimit-requests-limit": "50",
                "anthropic-ratelimit-requests-remaining": "0",
            }
        return body, headers

    def _render(self, item: Item, body: dict[str, Any]) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        stop, usage, out = "end_turn", None, ""
        match item:
            case Text(text=text, usage=usage, stop=override):
                content, out, stop = [_text(text)], text, override or "end_turn"
            case Json(usage=usage, stop=override):
                out = item.encoded()
                content, stop = [_text(out)], override or "end_turn"
            case Refusal(text=text, usage=usage):
                content, out, stop = [_text(text)], text, "refusal"
            case ToolCall() | ToolCalls():
                calls = item.calls if isinstance(item, ToolCalls) else [item]
                usage = item.usage
                content = [_text(item.text)] if item.text else []
                content += [
                    {
                        "type": "tool_use",
                        "id": c.call_id or f"toolu_01{_rand(22)}",
                        "name": c.name,
                        "input": _tool_input(c),
                    }
                    for c in calls
                ]
                out = (item.text or "") + "".join(c.name + c.encoded() for c in calls)
                stop = "tool_use"
            case _:
                raise TypeError(f"cannot render {item!r} as a message")
        inp, outp = token_counts(usage, body, out)
        return {
            "id": f"msg_01{_rand(22)}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {
                "input_tokens": inp,
                "output_tokens": outp,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "service_tier": "standard",
            },
        }

    # ---- models ----------------------------------------------------------------------------
    def _model(self, model_id: str) -> dict[str, Any]:
        return {
            "type": "model",
            "id": model_id,
            "display_name": model_id,
            "created_at": "2025-01-01T00:00:00Z",
        }

    async def _list_models(self, request: web.Request) -> web.StreamResponse:
        rec, own = await self._guarded(request)
        if own is not None:
            return self._respond(rec, own)
        rec.status = 200
        data = [self._model(m) for m in self.models]
        first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
        return web.json_response(
            {"data": data, "has_more": False, "first_id": first, "last_id": last}
        )

    async def _get_model(self, request: web.Request) -> web.StreamResponse:
        rec, own = await self._guarded(request)
        model = request.match_info["model"]
        if own is None and model not in self.models:
            own = HttpError(404, message=f"model: {model}")
        if own is not None:
            return self._respond(rec, own)
        rec.status = 200
        return web.json_response(self._model(model))


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _tool_input(call: ToolCall) -> Any:
    """An object for ``input``; a str that is not a JSON object is passed through raw."""
    if not isinstance(call.arguments, str):
        return dict(call.arguments)
    try:
        decoded = json.loads(call.arguments)
    except ValueError:
        return call.arguments
    return decoded if isinstance(decoded, dict) else call.arguments
