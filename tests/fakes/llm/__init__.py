"""Loopback OpenAI and Anthropic HTTP APIs that the real SDKs talk to in tests.

Script replies per test, point the SDK's ``base_url`` at the fake, then assert on what the
SDK sent::

    async with FakeOpenAI() as oa, FakeAnthropic() as an:
        oa.push(HttpError.rate_limited(retry_after=0.01), Text("fine"))
        an.push(ToolCall("propose", {"symbol": "NVDA", "side": "buy"}))
        ...
        assert oa.count == 2 and oa.last_request().retry_count == 1

Use ``with FakeOpenAI() as fake:`` (no ``async``) to serve from a background thread for a
sync client. Credentials are never stored: recorded headers show ``<redacted>``.
"""

from .anthropic_server import MESSAGES_PATH, FakeAnthropic
from .base import REDACTED, FakeLLMServer
from .openai_server import CHAT_PATH, FakeOpenAI
from .script import (
    Hang,
    HttpError,
    Item,
    Json,
    Malformed,
    RecordedRequest,
    Refusal,
    Responder,
    Script,
    ScriptError,
    Step,
    Text,
    ToolCall,
    ToolCalls,
    Usage,
    estimate_tokens,
)

__all__ = [
    "CHAT_PATH",
    "MESSAGES_PATH",
    "REDACTED",
    "FakeAnthropic",
    "FakeLLMServer",
    "FakeOpenAI",
    "Hang",
    "HttpError",
    "Item",
    "Json",
    "Malformed",
    "RecordedRequest",
    "Refusal",
    "Responder",
    "Script",
    "ScriptError",
    "Step",
    "Text",
    "ToolCall",
    "ToolCalls",
    "Usage",
    "estimate_tokens",
]
