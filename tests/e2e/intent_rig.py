"""The intent rig: the LLM intent parser over the real openai SDK and the loopback fake
(one provider, one attempt, no back-off), for tests of what a tool call becomes. A plugin
(tests/conftest.py): `rig` is a fixture."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agents.llm.chain import ChainConfig, LLMChain
from agents.llm.guard import ReplyGuard
from agents.llm.intent_llm import IntentLLM
from agents.llm.providers.openai_provider import OpenAIProvider
from models.intents import Intent
from models.store import Store
from tests.conftest import Clock
from tests.fakes.llm import FakeOpenAI, ToolCall

KEY = "test-openai-key-not-real-0002"
KNOWN = {"AAPL", "MSFT", "NVDA", "TSLA"}
FACTS: dict[str, Any] = {"equity": 100000.0, "positions": []}


@dataclass
class Rig:
    fake: FakeOpenAI
    llm: IntentLLM

    async def ask(self, text: str, *calls: ToolCall) -> tuple[Intent, tuple[str, ...]]:
        self.fake.push(*calls)
        intent, result = await self.llm.parse(text, KNOWN, FACTS)
        return intent, result.failures if result else ()


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    store = Store(f"sqlite:///{tmp_path / 'llm.db'}")
    store.upgrade()
    async with FakeOpenAI(api_key=KEY) as fake:
        provider = OpenAIProvider("openai", "gpt-4o-mini", KEY, fake.base_url)

        async def no_sleep(_: float) -> None:
            return None

        chain = LLMChain([provider], store, ChainConfig(attempts=1), clock=Clock(), sleep=no_sleep)
        try:
            yield Rig(fake, IntentLLM(chain, ReplyGuard([KEY])))
        finally:
            await provider.aclose()
