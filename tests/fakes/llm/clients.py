"""Real SDK clients pointed at the fakes, closed together at the end of a test.

An ``AsyncOpenAI`` / ``AsyncAnthropic`` left open is closed by the garbage collector after the
test's event loop is gone, which logs "Event loop is closed" errors; a pool avoids that::

    @pytest.fixture
    async def clients() -> AsyncIterator[ClientPool]:
        async with ClientPool() as pool:
            yield pool

    client = clients.openai_client(fake, max_retries=0, timeout=0.2)
"""

from __future__ import annotations

from typing import Any, Self

import anthropic
import openai

from .anthropic_server import FakeAnthropic
from .openai_server import FakeOpenAI

TEST_OPENAI_KEY = "test-openai-key-not-real"
TEST_ANTHROPIC_KEY = "fake-anthropic-key-0123456789"


class ClientPool:
    """Builds async SDK clients (``max_retries=0`` unless given) and closes them all."""

    def __init__(self) -> None:
        self._open: list[openai.AsyncOpenAI | anthropic.AsyncAnthropic] = []

    def openai_client(
        self, fake: FakeOpenAI | None = None, *, api_key: str = TEST_OPENAI_KEY, **kw: Any
    ) -> openai.AsyncOpenAI:
        """An ``AsyncOpenAI`` on ``fake`` (or on ``OPENAI_BASE_URL`` when ``fake`` is None)."""
        kw.setdefault("max_retries", 0)
        if fake is not None:
            kw.setdefault("base_url", fake.base_url)
        return self.track(openai.AsyncOpenAI(api_key=api_key, **kw))

    def anthropic_client(
        self, fake: FakeAnthropic | None = None, *, api_key: str = TEST_ANTHROPIC_KEY, **kw: Any
    ) -> anthropic.AsyncAnthropic:
        """An ``AsyncAnthropic`` on ``fake`` (or on ``ANTHROPIC_BASE_URL`` when None)."""
        kw.setdefault("max_retries", 0)
        if fake is not None:
            kw.setdefault("base_url", fake.base_url)
        return self.track(anthropic.AsyncAnthropic(api_key=api_key, **kw))

    def track[C: (openai.AsyncOpenAI, anthropic.AsyncAnthropic)](self, client: C) -> C:
        """Close ``client`` with the pool."""
        self._open.append(client)
        return client

    async def aclose(self) -> None:
        while self._open:
            await self._open.pop().close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
