"""Self-test of the loopback Anthropic API: the real ``anthropic`` SDK parses every reply.

Each test uses an unmodified client pointed at the fake, so a wire format the SDK could not
parse, or an error it would classify differently, fails here.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anthropic
import pydantic
import pytest

from tests.fakes.llm import (
    MESSAGES_PATH,
    REDACTED,
    FakeAnthropic,
    Hang,
    HttpError,
    Json,
    Malformed,
    Refusal,
    Text,
    ToolCall,
    Usage,
)
from tests.fakes.llm.clients import TEST_ANTHROPIC_KEY as AN_KEY
from tests.fakes.llm.clients import ClientPool

USER = [{"role": "user", "content": "<user_text>should I buy NVDA?</user_text>"}]
AN_TOOL = {
    "name": "propose_trade",
    "description": "Propose a trade",
    "input_schema": {
        "type": "object",
        "properties": {"symbol": {"type": "string"}, "qty": {"type": "integer"}},
        "required": ["symbol", "qty"],
    },
}


class Intent(pydantic.BaseModel):
    action: str
    symbol: str
    qty: int


@pytest.fixture
async def an() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
async def pool() -> AsyncIterator[ClientPool]:
    async with ClientPool() as p:
        yield p


async def message(client: anthropic.AsyncAnthropic, **kw: Any) -> Any:
    kw.setdefault("messages", USER)
    return await client.messages.create(model="claude-haiku-4-5", max_tokens=256, **kw)


# ---- messages --------------------------------------------------------------------------------
async def test_anthropic_text_usage_and_recording(an: FakeAnthropic, pool: ClientPool) -> None:
    an.push(Text("Hold NVDA.", usage=Usage(input_tokens=30, output_tokens=5)))
    out = await message(pool.anthropic_client(an), system="You explain trades.")
    assert [(b.type, b.text) for b in out.content] == [("text", "Hold NVDA.")]
    assert (out.stop_reason, out.model, out.role) == ("end_turn", "claude-haiku-4-5", "assistant")
    assert (out.usage.input_tokens, out.usage.output_tokens) == (30, 5)
    rec = an.last_request(MESSAGES_PATH)
    assert rec.texts("system") == ["You explain trades."]
    assert rec.body["max_tokens"] == 256
    assert rec.headers["anthropic-version"]
    assert rec.auth_present and AN_KEY not in repr(an.requests)
    assert all(REDACTED in v for k, v in rec.headers.items() if k in ("x-api-key", "authorization"))


async def test_anthropic_tool_use_parsed(an: FakeAnthropic, pool: ClientPool) -> None:
    an.push(
        ToolCall("propose_trade", {"symbol": "NVDA", "qty": 3}, text="Proposing."),
        ToolCall("propose_trade", "not json at all"),
    )
    client = pool.anthropic_client(an)
    out = await message(client, tools=[AN_TOOL])
    assert out.stop_reason == "tool_use"
    text, use = out.content
    assert (text.type, text.text) == ("text", "Proposing.")
    assert (use.type, use.name, use.input) == (
        "tool_use",
        "propose_trade",
        {"symbol": "NVDA", "qty": 3},
    )
    assert use.id.startswith("toolu_")
    assert an.last_request().tool_names == ["propose_trade"]
    broken = await message(client, tools=[AN_TOOL])
    assert broken.content[0].input == "not json at all"


async def test_anthropic_structured_output_via_parse(an: FakeAnthropic, pool: ClientPool) -> None:
    an.push(Json({"action": "sell", "symbol": "AAPL", "qty": 1}))
    out = await pool.anthropic_client(an).messages.parse(
        model="claude-haiku-4-5", max_tokens=100, messages=USER, output_format=Intent
    )
    assert out.parsed_output == Intent(action="sell", symbol="AAPL", qty=1)
    assert an.last_request().body["output_config"]["format"]["type"] == "json_schema"


async def test_anthropic_429_retried_then_surfaced(an: FakeAnthropic, pool: ClientPool) -> None:
    an.push(HttpError.rate_limited(retry_after=0.01), Text("after retry"))
    out = await message(pool.anthropic_client(an, max_retries=1))
    assert out.content[0].text == "after retry"
    assert [(r.status, r.retry_count) for r in an.requests] == [(429, 0), (200, 1)]

    an.push(HttpError.rate_limited(retry_after=7))
    with pytest.raises(anthropic.RateLimitError) as err:
        await message(pool.anthropic_client(an))
    e = err.value
    assert (e.status_code, e.type, e.response.headers["retry-after"]) == (
        429,
        "rate_limit_error",
        "7",
    )
    assert e.request_id and e.body["request_id"] == e.request_id


@pytest.mark.parametrize(
    ("item", "cls", "kind"),
    [
        (HttpError.overloaded(), anthropic.OverloadedError, "overloaded_error"),
        (HttpError.server_error(), anthropic.InternalServerError, "api_error"),
        (HttpError.unavailable(), anthropic.ServiceUnavailableError, "api_error"),
    ],
)
async def test_anthropic_5xx(
    an: FakeAnthropic, item: HttpError, cls: type[Exception], kind: str, pool: ClientPool
) -> None:
    an.push(item)
    with pytest.raises(cls) as err:
        await message(pool.anthropic_client(an))
    assert isinstance(err.value, anthropic.InternalServerError)
    assert err.value.type == kind


async def test_anthropic_hang_times_out(an: FakeAnthropic, pool: ClientPool) -> None:
    an.push(Hang(5))
    with pytest.raises(anthropic.APITimeoutError):
        await message(pool.anthropic_client(an, timeout=0.2))
    assert an.last_request().read_timeout == 0.2


async def test_anthropic_malformed_body(an: FakeAnthropic, pool: ClientPool) -> None:
    an.push(Malformed())
    with pytest.raises(json.JSONDecodeError):  # not wrapped in an anthropic error
        await message(pool.anthropic_client(an))


async def test_anthropic_auth_and_validation_errors(an: FakeAnthropic, pool: ClientPool) -> None:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(
            f"{an.base_url}/v1/messages",
            json={"model": "m", "max_tokens": 1, "messages": USER},
            headers={"anthropic-version": "2023-06-01"},
        )
        body = await resp.json()
    assert resp.status == 401
    assert body["type"] == "error" and body["error"]["type"] == "authentication_error"
    assert body["request_id"] == resp.headers["request-id"]
    with pytest.raises(anthropic.BadRequestError, match="system"):
        await message(
            pool.anthropic_client(an), messages=[{"role": "system", "content": "x"}, *USER]
        )
    async with FakeAnthropic(api_key=AN_KEY) as strict:
        with pytest.raises(anthropic.AuthenticationError):
            await message(pool.anthropic_client(strict, api_key="wrong"))
        assert strict.last_request().auth_ok is False
        assert (await message(pool.anthropic_client(strict))).content[0].text == "OK"


async def test_anthropic_base_url_from_env(
    an: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, pool: ClientPool
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", an.base_url)
    an.push(Refusal("no"))
    client = pool.anthropic_client()
    out = await message(client)
    assert out.stop_reason == "refusal"
    page = await client.models.list()
    assert [m.id for m in page.data] == an.models
