"""The provider interface and the mapping of SDK exceptions onto ProviderError kinds."""

from __future__ import annotations

import asyncio
import importlib
import sys
from types import ModuleType
from typing import Any, Protocol

from agents.llm.types import LLMTask, ProviderError, RawReply


class Provider(Protocol):
    """One LLM endpoint. `call` answers a task with one tool call or raises ProviderError."""

    name: str
    model: str

    async def call(self, task: LLMTask, timeout: float) -> RawReply: ...

    async def warm(self) -> Any:
        """Import the SDK (off the loop) and build the client; returns the client."""
        ...

    async def aclose(self) -> None: ...


async def import_sdk(name: str) -> ModuleType:
    """Import an SDK off the event loop (openai/anthropic take seconds to import)."""
    if name in sys.modules:
        return sys.modules[name]
    return await asyncio.to_thread(importlib.import_module, name)


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    for key in ("retry-after-ms", "retry-after"):
        raw = headers.get(key)
        if raw is None:
            continue
        try:
            value = float(raw)
        except ValueError:
            continue
        return value / 1000 if key.endswith("-ms") else value
    return None


def classify(exc: BaseException, provider: str) -> ProviderError:
    """Turn an openai/anthropic SDK exception into a ProviderError (never echoing secrets)."""
    if isinstance(exc, ProviderError):
        return exc
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        if status == 429:
            return ProviderError("rate_limit", f"{provider}: rate limited (429)", _retry_after(exc))
        if status >= 500:
            return ProviderError("server", f"{provider}: server error ({status})")
        if status in (401, 403):
            return ProviderError("auth", f"{provider}: authentication refused ({status})")
        return ProviderError("bad_request", f"{provider}: request refused ({status})")
    if "Timeout" in name:
        return ProviderError("timeout", f"{provider}: no answer in time")
    if "Connection" in name:
        return ProviderError("server", f"{provider}: cannot connect")
    return ProviderError("malformed", f"{provider}: unreadable response ({name})")
