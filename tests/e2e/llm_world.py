"""A desk wired to the loopback OpenAI and Anthropic fakes, and model behaviours to script.

The real openai and anthropic SDKs talk HTTP to tests/fakes/llm; nothing is mocked between
the orchestrator and the wire.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anthropic  # noqa: F401  (imported once here: the SDKs take seconds to import)
import openai  # noqa: F401

from bot.app import App
from tests.fakes.llm import FakeAnthropic, FakeOpenAI, Json, ToolCall

OPENAI_KEY = "test-openai-key-not-real-0001"
ANTHROPIC_KEY = "test-anthropic-key-not-real-0001"


def data_of(body: dict[str, Any]) -> dict[str, Any]:
    """The JSON inside <data>…</data> of the request's user message (either wire format)."""
    for msg in body.get("messages", []):
        content = msg.get("content")
        texts = [content] if isinstance(content, str) else [b.get("text", "") for b in content]
        for t in texts:
            if "\n<data>\n" in t:
                return json.loads(t.split("\n<data>\n", 1)[1].rsplit("\n</data>", 1)[0])
    raise AssertionError("no <data> block in the request")


def grounded_draft(facts: dict[str, Any], extra: str = "") -> dict[str, str]:
    """A rationale that states only numbers from the facts."""
    verb = "Buy" if facts["side"] == "buy" else "Sell short"
    return {
        "symbol": facts["symbol"],
        "side": facts["side"],
        "thesis": f"{verb} {facts['quantity']} {facts['symbol']} near {facts['entry']}: "
        f"{facts['strategy']} setup with a score of {facts['score']}. {extra}".strip(),
        "invalidation": f"A move through the stop at {facts['stop']} ends the idea.",
        "risks": f"{facts['risk_amount']} dollars at risk; a gap can skip the stop.",
    }


def rationale_reply(kind: str = "openai", mutate: Callable[[dict[str, str]], None] | None = None):
    """A responder answering a rationale request from its own facts (optionally spoiled)."""

    def respond(body: dict[str, Any]) -> Any:
        draft = grounded_draft(data_of(body)["facts"])
        if mutate:
            mutate(draft)
        return Json(draft) if kind == "openai" else ToolCall("write_rationale", draft)

    return respond


@dataclass
class LLMDesk:
    app: App
    openai: FakeOpenAI
    anthropic: FakeAnthropic

    @property
    def orch(self):
        return self.app.orchestrator


@asynccontextmanager
async def llm_desk(
    make_app: Callable[..., App], clock: Any, **overrides: Any
) -> AsyncIterator[LLMDesk]:
    """Both fakes running and an app whose chain is openai -> anthropic -> offline."""
    async with FakeOpenAI(api_key=OPENAI_KEY) as oa, FakeAnthropic(api_key=ANTHROPIC_KEY) as an:
        settings: dict[str, Any] = {
            "openai_api_key": OPENAI_KEY,
            "openai_base_url": oa.base_url,
            "anthropic_api_key": ANTHROPIC_KEY,
            "anthropic_base_url": an.base_url,
            "llm_timeout_s": 0.5,
            "llm_retries": 1,
            "llm_rationale_wait_s": 5.0,
            "llm_reply_budget_s": 5.0,
        }
        settings.update(overrides)
        app = make_app(clock, **settings)
        try:
            yield LLMDesk(app, oa, an)
        finally:
            await app.orchestrator.rationales.drain(5)
            await app.orchestrator.llm.aclose()
