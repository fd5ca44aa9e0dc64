"""The provider interface and the mapping of SDK exceptions onto ProviderError kinds."""

from __future__ import annotations

import asyncio
import importlib
import threading
from concurrent.futures import Future, ThreadPoolExecutor
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


# SDK imports run on one worker thread, so one at a time across the process: two imports
# racing on two threads can hand out a half-initialised module (a shared dependency being
# imported by the other thread). Each name has one shared future; every caller, on any
# event loop or thread, awaits that future, so it only ever sees the finished module.
_importer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sdk-import")
_imports: dict[str, Future[ModuleType]] = {}
_imports_lock = threading.Lock()


def _sdk_future(name: str) -> Future[ModuleType]:
    """The one import of `name`: started on first use, started again if it failed."""
    with _imports_lock:
        fut = _imports.get(name)
        if fut is None or (fut.done() and (fut.cancelled() or fut.exception() is not None)):
            fut = _importer.submit(importlib.import_module, name)
            _imports[name] = fut
        return fut


async def import_sdk(name: str) -> ModuleType:
    """The SDK module `name`, fully imported, without blocking the event loop.

    openai/anthropic take seconds to import. Concurrent callers share one import and all
    await its end; a module still initialising (present in sys.modules) is never returned.
    Cancelling one caller does not cancel the import for the others. A failed import
    raises to its callers and is tried again on the next call.
    """
    fut = _sdk_future(name)
    if fut.done():
        return fut.result()
    return await asyncio.shield(asyncio.wrap_future(fut))  # a cancelled caller cancels no import


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


def unexpected(exc: BaseException, provider: str) -> ProviderError:
    """A provider failing outside its SDK's error types (a broken import, a bug).

    Not retried (a timeout excepted). Only the exception's type is named: its message may
    carry anything.
    """
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, TimeoutError):
        return ProviderError("timeout", f"{provider}: no answer in time")
    return ProviderError("malformed", f"{provider}: failed ({type(exc).__name__})")


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
