"""A loopback OpenAI API: ``POST /v1/chat/completions`` and ``GET /v1/models[/{id}]``.

Usage::

    async with FakeOpenAI() as fake:
        fake.push(Text("hello"), HttpError.rate_limited(retry_after=0.01))
        client = AsyncOpenAI(api_key="test-key", base_url=fake.base_url, max_retries=0)
        ...

    with FakeOpenAI() as fake:          # served from a background thread, for openai.OpenAI
        ...

Errors use OpenAI's documented body ``{"error": {"message", "type", "param", "code"}}`` with an
``x-request-id`` header. Requests the real API would refuse (no key, no model, no messages,
``stream: true`` which the fake does not implement, a ``json_schema`` response format without
a name or schema) get a 400/401 in that shape, with ``RecordedRequest.error`` set.
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from .base import FakeLLMServer, token_counts
from .script import (
    HttpError,
    Item,
    Json,
    Refusal,
    Step,
    Text,
    ToolCall,
    ToolCalls,
)

CHAT_PATH = "/v1/chat/completions"
DEFAULT_MODELS = ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini")

# status -> (type, code, message) as the real API sends them
_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests. Please try again in 20ms.",
    ),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}
_ALNUM = string.ascii_letters + string.digits


def _rand(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def _bad(message: str, param: str | None = None) -> HttpError:
    return HttpError(
        400,
        message=message,
        body={
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": param,
                "code": None,
            }
        },
    )


class FakeOpenAI(FakeLLMServer):
    """OpenAI on 127.0.0.1; ``base_url`` is ``http://127.0.0.1:PORT/v1``."""

    provider = "openai"

    def __init__(
        self,
        *,
        default: Step | None = None,
        api_key: str | None = None,
        models: Sequence[str] = DEFAULT_MODELS,
    ) -> None:
        super().__init__(default=default, api_key=api_key)
        self.models = list(models)

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def _routes(self, app: web.Application) -> None:
        app.router.add_post(CHAT_PATH, self._complete)
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_get("/v1/models/{model}", self._get_model)

    def _credential(self, request: web.Request) -> str | None:
        auth = request.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        return (token.strip() or None) if scheme.lower() == "bearer" else None

    def _missing_key_error(self) -> HttpError:
        msg = (
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        )
        return HttpError(401, message=msg, code=None)

    def _bad_key_error(self) -> HttpError:
        # the real message echoes a masked key; the fake never echoes any part of it
        return HttpError(401, message="Incorrect API key provided.", code="invalid_api_key")

    def _validate(self, request: web.Request, body: Any) -> HttpError | None:
        if not isinstance(body, dict):
            return _bad("We could not parse the JSON body of your request.")
        if not body.get("model"):
            return _bad("you must provide a model parameter", "model")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _bad("Missing required parameter: 'messages'.", "messages")
        if body.get("stream"):
            return _bad("the fake OpenAI server does not implement streaming", "stream")
        fmt = body.get("response_format")
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            schema = fmt.get("json_schema")
            if not isinstance(schema, dict) or not schema.get("name"):
                return _bad(
                    "Missing required parameter: 'response_format.json_schema.name'.",
                    "response_format.json_schema.name",
                )
        for i, tool in enumerate(body.get("tools") or []):
            fn = tool.get("function") if isinstance(tool, dict) else None
            if not isinstance(fn, dict) or not fn.get("name"):
                return _bad(
                    f"Missing required parameter: 'tools[{i}].function.name'.",
                    f"tools[{i}].function.name",
                )
        return None

    def _render_error(
        self, err: HttpError, request_id: str
    ) -> tuple[dict[str, Any] | str, dict[str, str]]:
        kind, code, message = _ERRORS.get(
            err.status,
            ("server_error" if err.status >= 500 else "invalid_request_error", None, "Error."),
        )
        body = {
            "error": {
                "message": err.message or message,
                "type": err.error_type or kind,
                "param": None,
                "code": err.code if err.code is not None else code,
            }
        }
        headers = {}
        if err.status == 429:
            headers = {
                "x-ratelimit-limit-requests": "500",
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-reset-requests": "20ms",
            }
        return body, headers

    def _render(self, item: Item, body: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None,
            "refusal": None,
            "annotations": [],
        }
        finish, usage, out = "stop", None, ""
        match item:
            case Text(text=text, usage=usage, stop=stop):
                message["content"], out, finish = text, text, stop or "stop"
            case Json(usage=usage, stop=stop):
                out = item.encoded()
                message["content"], finish = out, stop or "stop"
            case Refusal(text=text, usage=usage):
                message["refusal"], out = text, text
            case ToolCall() | ToolCalls():
                calls = item.calls if isinstance(item, ToolCalls) else [item]
                usage = item.usage
                message["content"] = item.text
                message["tool_calls"] = [
                    {
                        "id": c.call_id or f"call_{_rand(24)}",
                        "type": "function",
                        "function": {"name": c.name, "arguments": c.encoded()},
                    }
                    for c in calls
                ]
                out = (item.text or "") + "".join(c.name + c.encoded() for c in calls)
                finish = "tool_calls"
            case _:
                raise TypeError(f"cannot render {item!r} as a chat completion")
        prompt, completion = token_counts(usage, body, out)
        return {
            "id": f"chatcmpl-{_rand(29)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": 0,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            },
            "service_tier": "default",
            "system_fingerprint": "fp_fake0000",
        }

    # ---- models ----------------------------------------------------------------------------
    def _model(self, model_id: str) -> dict[str, Any]:
        return {"id": model_id, "object": "model", "created": 1700000000, "owned_by": "system"}

    async def _list_models(self, request: web.Request) -> web.StreamResponse:
        rec, own = await self._guarded(request)
        if own is not None:
            return self._respond(rec, own)
        rec.status = 200
        data = [self._model(m) for m in self.models]
        return web.json_response({"object": "list", "data": data})

    async def _get_model(self, request: web.Request) -> web.StreamResponse:
        rec, own = await self._guarded(request)
        model = request.match_info["model"]
        if own is None and model not in self.models:
            own = HttpError(404, message=f"The model '{model}' does not exist")
        if own is not None:
            return self._respond(rec, own)
        rec.status = 200
        return web.json_response(self._model(model))
