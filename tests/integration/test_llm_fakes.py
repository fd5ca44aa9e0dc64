"""Self-test of the loopback OpenAI API: the real ``openai`` SDK parses every scripted reply.

Each test uses an unmodified client pointed at the fake, so a wire format the SDK could not
parse, or an error it would classify differently, fails here. (Anthropic: the sibling file.)
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import openai
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes.llm import (
    CHAT_PATH,
    REDACTED,
    FakeOpenAI,
    Hang,
    HttpError,
    Json,
    Malformed,
    Refusal,
    Text,
    ToolCall,
    ToolCalls,
    Usage,
)
from tests.fakes.llm.clients import TEST_OPENAI_KEY as OA_KEY
from tests.fakes.llm.clients import ClientPool

USER = [{"role": "user", "content": "<user_text>should I buy NVDA?</user_text>"}]
PARAMS = {
    "type": "object",
    "properties": {"symbol": {"type": "string"}, "qty": {"type": "integer"}},
    "required": ["symbol", "qty"],
}
OA_TOOL = {"type": "function", "function": {"name": "propose_trade", "parameters": PARAMS}}


class Intent(pydantic.BaseModel):
    action: str
    symbol: str
    qty: int


@pytest.fixture
async def oa() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def pool() -> AsyncIterator[ClientPool]:
    async with ClientPool() as p:
        yield p


async def chat(client: openai.AsyncOpenAI, **kw: Any) -> Any:
    return await client.chat.completions.create(model="gpt-4o-mini", messages=USER, **kw)


# ---- OpenAI ----------------------------------------------------------------------------------
async def test_openai_text_usage_and_recording(oa: FakeOpenAI, pool: ClientPool) -> None:
    oa.push(Text("Hold NVDA.", usage=Usage(input_tokens=42, output_tokens=7)))
    out = await chat(pool.openai_client(oa), temperature=0.2)
    assert out.choices[0].message.content == "Hold NVDA."
    assert out.choices[0].finish_reason == "stop"
    assert out.model == "gpt-4o-mini"
    assert (out.usage.prompt_tokens, out.usage.completion_tokens, out.usage.total_tokens) == (
        42,
        7,
        49,
    )
    rec = oa.last_request(CHAT_PATH)
    assert (oa.count, rec.method, rec.status, rec.model) == (1, "POST", 200, "gpt-4o-mini")
    assert rec.body["temperature"] == 0.2
    assert rec.texts("user") == ["<user_text>should I buy NVDA?</user_text>"]
    assert rec.auth_present and rec.headers["authorization"] == f"Bearer {REDACTED}"
    assert OA_KEY not in repr(oa.requests)


async def test_openai_usage_is_estimated_when_not_scripted(
    oa: FakeOpenAI, pool: ClientPool
) -> None:
    oa.push(Text("x" * 40))
    out = await chat(pool.openai_client(oa))
    assert out.usage.completion_tokens == 10
    assert out.usage.prompt_tokens > 0


async def test_openai_tool_calls_parsed(oa: FakeOpenAI, pool: ClientPool) -> None:
    oa.push(
        ToolCall("propose_trade", {"symbol": "NVDA", "qty": 3}, call_id="call_1"),
        ToolCalls([ToolCall("a", {"x": 1}), ToolCall("b", '{"y": 2}')], text="two calls"),
    )
    client = pool.openai_client(oa)
    first = (await chat(client, tools=[OA_TOOL])).choices[0]
    assert first.finish_reason == "tool_calls"
    (call,) = first.message.tool_calls
    assert (call.id, call.type, call.function.name) == ("call_1", "function", "propose_trade")
    assert json.loads(call.function.arguments) == {"symbol": "NVDA", "qty": 3}
    assert oa.last_request().tool_names == ["propose_trade"]
    second = (await chat(client, tools=[OA_TOOL])).choices[0].message
    assert second.content == "two calls"
    assert [c.function.name for c in second.tool_calls] == ["a", "b"]
    assert second.tool_calls[1].function.arguments == '{"y": 2}'


async def test_openai_tool_call_arguments_may_be_broken_on_purpose(
    oa: FakeOpenAI, pool: ClientPool
) -> None:
    oa.push(ToolCall("propose_trade", "{not json"), ToolCall("propose_trade", {"qty": "lots"}))
    client = pool.openai_client(oa)
    raw = (await chat(client, tools=[OA_TOOL])).choices[0].message.tool_calls[0]
    assert raw.function.arguments == "{not json"
    bad = (await chat(client, tools=[OA_TOOL])).choices[0].message.tool_calls[0]
    assert json.loads(bad.function.arguments) == {"qty": "lots"}


async def test_openai_structured_output_via_parse(oa: FakeOpenAI, pool: ClientPool) -> None:
    oa.push(Json({"action": "buy", "symbol": "NVDA", "qty": 2}), Json('{"action": "buy"'))
    client = pool.openai_client(oa)
    out = await client.chat.completions.parse(
        model="gpt-4o-mini", messages=USER, response_format=Intent
    )
    assert out.choices[0].message.parsed == Intent(action="buy", symbol="NVDA", qty=2)
    fmt = oa.last_request().body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "Intent"
    assert fmt["json_schema"]["strict"] is True
    assert "symbol" in fmt["json_schema"]["schema"]["properties"]
    with pytest.raises(pydantic.ValidationError):
        await client.chat.completions.parse(
            model="gpt-4o-mini", messages=USER, response_format=Intent
        )


async def test_openai_refusal_and_truncation(oa: FakeOpenAI, pool: ClientPool) -> None:
    oa.push(Refusal("no"), Json({"action": "b"}, stop="length"))
    client = pool.openai_client(oa)
    out = await client.chat.completions.parse(
        model="gpt-4o-mini", messages=USER, response_format=Intent
    )
    msg = out.choices[0].message
    assert (msg.refusal, msg.content, msg.parsed) == ("no", None, None)
    with pytest.raises(openai.LengthFinishReasonError):
        await client.chat.completions.parse(
            model="gpt-4o-mini", messages=USER, response_format=Intent
        )


async def test_openai_429_retried_then_surfaced(oa: FakeOpenAI, pool: ClientPool) -> None:
    oa.push(HttpError.rate_limited(retry_after=0.01), Text("after retry"))
    out = await chat(pool.openai_client(oa, max_retries=1))
    assert out.choices[0].message.content == "after retry"
    assert [r.retry_count for r in oa.requests] == [0, 1]
    assert [r.status for r in oa.requests] == [429, 200]

    oa.push(HttpError.rate_limited(retry_after=7))
    with pytest.raises(openai.RateLimitError) as err:
        await chat(pool.openai_client(oa))
    assert err.value.status_code == 429
    assert err.value.response.headers["retry-after"] == "7"
    assert err.value.code == "rate_limit_exceeded"
    assert oa.count == 3


@pytest.mark.parametrize("status", [500, 503])
async def test_openai_5xx_is_internal_server_error(
    oa: FakeOpenAI, status: int, pool: ClientPool
) -> None:
    oa.push(HttpError(status, message="boom"))
    with pytest.raises(openai.InternalServerError) as err:
        await chat(pool.openai_client(oa))
    assert err.value.status_code == status
    assert err.value.type == "server_error" and "boom" in str(err.value)


async def test_openai_hang_times_out_and_retry_gets_next_item(
    oa: FakeOpenAI, pool: ClientPool
) -> None:
    oa.push(Hang(5))
    with pytest.raises(openai.APITimeoutError):
        await chat(pool.openai_client(oa, timeout=0.2))
    assert oa.last_request().read_timeout == 0.2
    assert oa.last_request().hang == Hang(5)

    oa.push(Hang(5), Text("second try"))
    out = await chat(pool.openai_client(oa, timeout=0.2, max_retries=1))
    assert out.choices[0].message.content == "second try"
    assert [r.retry_count for r in oa.requests[1:]] == [0, 1]


async def test_openai_malformed_bodies(oa: FakeOpenAI, pool: ClientPool) -> None:
    """What the SDK does with a broken 200 (the provider chain must guard all three)."""
    oa.push(Malformed(), Malformed("<html>bad gateway</html>", content_type="text/html"))
    with pytest.raises(json.JSONDecodeError):  # not wrapped in an openai error
        await chat(pool.openai_client(oa))
    assert await chat(pool.openai_client(oa)) == "<html>bad gateway</html>"  # returned as a str!
    oa.push(Malformed("<html>bad gateway</html>", content_type="text/html"))
    with pytest.raises(openai.APIResponseValidationError):
        await chat(pool.openai_client(oa, _strict_response_validation=True))


async def test_openai_auth_and_validation_errors(pool: ClientPool) -> None:
    async with FakeOpenAI(api_key=OA_KEY) as fake:
        with pytest.raises(openai.AuthenticationError) as err:
            await chat(pool.openai_client(fake, api_key="sk-wrong", max_retries=2))
        assert err.value.code == "invalid_api_key" and "sk-wrong" not in str(err.value)
        assert fake.last_request().auth_ok is False
        async with aiohttp.ClientSession() as http:
            resp = await http.post(f"{fake.base_url}/chat/completions", json={"model": "m"})
            body = await resp.json()
        assert resp.status == 401 and body["error"]["type"] == "invalid_request_error"
        assert not fake.last_request().auth_present
        with pytest.raises(openai.BadRequestError, match="streaming"):
            await chat(pool.openai_client(fake), stream=True)
        assert fake.last_request().auth_ok is True and fake.script.pending == 0


async def test_openai_responder_sees_request_and_failures_surface(
    oa: FakeOpenAI, pool: ClientPool
) -> None:
    def answer(body: dict[str, Any]) -> Text:
        return Text("bullish" if "NVDA" in json.dumps(body["messages"]) else "?")

    def broken(body: dict[str, Any]) -> Text:
        raise RuntimeError("test bug")

    oa.set_default(answer)
    oa.push(broken)
    with pytest.raises(openai.InternalServerError, match="test bug"):
        await chat(pool.openai_client(oa))
    assert [type(e) for e in oa.responder_errors] == [RuntimeError]
    assert (await chat(pool.openai_client(oa))).choices[0].message.content == "bullish"


async def test_openai_base_url_from_env_and_models(
    oa: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, pool: ClientPool
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", oa.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", OA_KEY)
    client = pool.openai_client()
    assert [m.id async for m in client.models.list()] == oa.models
    assert (await chat(client)).choices[0].message.content == "OK"  # the default reply


def test_openai_sync_client_against_threaded_fake() -> None:
    with (
        FakeOpenAI() as fake,
        openai.OpenAI(api_key=OA_KEY, base_url=fake.base_url, max_retries=0) as client,
    ):
        fake.push(ToolCall("propose_trade", {"symbol": "AAPL", "qty": 1}), Text("done"))
        first = client.chat.completions.create(model="gpt-4o", messages=USER, tools=[OA_TOOL])
        assert first.choices[0].message.tool_calls[0].function.name == "propose_trade"
        second = client.chat.completions.create(model="gpt-4o", messages=USER)
        assert second.choices[0].message.content == "done"
        assert fake.count == 2 and fake.last_request().headers["x-stainless-async"] == "false"


def test_openai_round_trips_any_text_and_arguments() -> None:
    """Any unicode text and any argument dict reach the SDK unchanged (one fake for all)."""
    with (
        FakeOpenAI() as fake,
        openai.OpenAI(api_key=OA_KEY, base_url=fake.base_url, max_retries=0) as client,
    ):

        @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(
            text=st.text(max_size=200), args=st.dictionaries(st.text(max_size=10), st.integers())
        )
        def check(text: str, args: dict[str, int]) -> None:
            fake.push(Text(text), ToolCall("f", args))
            reply = client.chat.completions.create(model="m", messages=USER).choices[0]
            assert reply.message.content == text
            call = client.chat.completions.create(model="m", messages=USER).choices[0]
            assert json.loads(call.message.tool_calls[0].function.arguments) == args

        check()
