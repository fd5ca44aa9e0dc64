"""Issue 12 §5, below the process: SDK imports are shared and serialised, and a provider that
raises anything at all is a failed provider (the chain moves on), never an error to the user.

The slow "SDKs" here are throw-away packages on sys.path whose ``__init__`` sleeps before it
defines its attributes, so a caller handed the half-built module would see it.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel

from agents.llm.chain import ChainConfig, LLMChain
from agents.llm.providers.base import import_sdk
from agents.llm.types import LLMTask, RawReply, ToolSpec
from models.store import Store
from tests.conftest import Clock

SLOW_S = 0.4

BODY = """\
import sys
import time

_probe = sys.modules[{probe!r}]
_probe.log.append(("start", __name__))
time.sleep({slow})
READY = True


def make() -> str:
    return "made"


_probe.log.append(("end", __name__))
"""


class SlowPackages:
    """Creates slow-importing packages under a temporary sys.path entry; cleans up after."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tag = uuid.uuid4().hex[:10]
        self.probe = ModuleType(f"_sdk_probe_{self.tag}")
        self.probe.log = []  # type: ignore[attr-defined]
        self.names: list[str] = []

    @property
    def log(self) -> list[tuple[str, str]]:
        return self.probe.log  # type: ignore[attr-defined, no-any-return]

    def name(self, label: str) -> str:
        """A fresh, unused module name (created on disk only by `make`)."""
        name = f"slowsdk_{label}_{self.tag}"
        self.names.append(name)
        return name

    def make(self, name: str, slow: float = SLOW_S) -> str:
        pkg = self.root / name
        pkg.mkdir(parents=True, exist_ok=True)
        (pkg / "__init__.py").write_text(BODY.format(probe=self.probe.__name__, slow=slow))
        return name


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[SlowPackages]:
    root = tmp_path / "sdks"
    root.mkdir()
    pkgs = SlowPackages(root)
    sys.modules[pkgs.probe.__name__] = pkgs.probe
    sys.path.insert(0, str(root))
    try:
        yield pkgs
    finally:
        sys.path.remove(str(root))
        for name in [pkgs.probe.__name__, *pkgs.names]:
            sys.modules.pop(name, None)


def complete(mod: ModuleType) -> bool:
    """The module finished its body (a half-initialised one lacks these)."""
    return getattr(mod, "READY", False) is True and callable(getattr(mod, "make", None))


async def test_every_concurrent_caller_gets_the_fully_initialised_module(
    slow: SlowPackages,
) -> None:
    """Tasks on this loop and on other threads' loops ask while the import is under way."""
    name = slow.make(slow.name("hammer"))
    results: list[tuple[ModuleType, bool]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    async def ask(delay: float) -> tuple[ModuleType, bool]:
        """The module and whether it was complete when handed over (not later)."""
        await asyncio.sleep(delay)
        mod = await import_sdk(name)
        return mod, complete(mod)

    delays = [i * SLOW_S / 12 for i in range(12)]  # spread over the import's lifetime

    def other_thread(offset: float) -> None:
        async def many() -> list[tuple[ModuleType, bool]]:
            return list(await asyncio.gather(*(ask(d + offset) for d in delays)))

        try:
            got = asyncio.run(many())
        except BaseException as e:  # reported below, not swallowed
            with lock:
                errors.append(e)
            return
        with lock:
            results.extend(got)

    threads = [
        threading.Thread(target=other_thread, args=(i * 0.01,), daemon=True) for i in range(6)
    ]
    for t in threads:
        t.start()
    here = await asyncio.gather(*(ask(d) for d in delays))
    for t in threads:
        await asyncio.to_thread(t.join, 30)
    assert errors == []
    results.extend(here)
    assert len(results) == len(delays) * (len(threads) + 1)
    incomplete = [m for m, ok in results if not ok]
    assert incomplete == [], f"{len(incomplete)} callers got a half-initialised module"
    assert len({id(m) for m, _ in results}) == 1
    assert slow.log == [("start", name), ("end", name)]  # the body ran once


async def test_a_caller_arriving_mid_import_waits_for_the_finished_module(
    slow: SlowPackages,
) -> None:
    name = slow.make(slow.name("late"))
    first = asyncio.create_task(import_sdk(name))
    while name not in sys.modules:  # the import is under way (its module is registered)
        await asyncio.sleep(0.005)
    late = await import_sdk(name)
    assert complete(late)  # at the moment it is handed over
    assert complete(await first)


async def test_two_sdks_are_imported_one_at_a_time(slow: SlowPackages) -> None:
    a = slow.make(slow.name("a"))
    b = slow.make(slow.name("b"))
    mods = await asyncio.gather(import_sdk(a), import_sdk(b), import_sdk(a), import_sdk(b))
    assert all(complete(m) for m in mods)
    log = slow.log
    assert len(log) == 4
    # no interleaving: each import ends before the next one starts
    assert log[0][0] == "start" and log[1] == ("end", log[0][1])
    assert log[2][0] == "start" and log[3] == ("end", log[2][1])
    assert {log[0][1], log[2][1]} == {a, b}


async def test_a_cancelled_caller_does_not_cancel_the_import_for_the_others(
    slow: SlowPackages,
) -> None:
    a = slow.make(slow.name("busy"))
    b = slow.make(slow.name("queued"))
    busy = asyncio.create_task(import_sdk(a))
    await asyncio.sleep(0)
    impatient = asyncio.create_task(import_sdk(b))  # queued behind `a`
    patient = asyncio.create_task(import_sdk(b))
    await asyncio.sleep(0.05)
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    assert complete(await patient)
    assert complete(await busy)


async def test_a_failed_import_raises_to_every_caller_and_is_tried_again_later(
    slow: SlowPackages,
) -> None:
    name = slow.name("missing")
    got = await asyncio.gather(import_sdk(name), import_sdk(name), return_exceptions=True)
    assert all(isinstance(g, ModuleNotFoundError) for g in got), got
    slow.make(name, slow=0.01)  # installed since
    assert complete(await import_sdk(name))


# ---------------------------------------------------------------- the chain


class Pick(BaseModel):
    side: str
    quantity: int


TOOL = ToolSpec("pick", "pick one", Pick)


def task() -> LLMTask:
    return LLMTask("test", "t.v1", "system", {"n": 1}, (TOOL,), max_output_tokens=50)


def fallback() -> tuple[str, BaseModel]:
    return "pick", Pick(side="none", quantity=0)


class Raising:
    """A provider whose call (and warm-up and close) raise whatever it is given."""

    def __init__(self, name: str, exc: BaseException) -> None:
        self.name = name
        self.model = "m"
        self.exc = exc
        self.calls = 0
        self.closed = False

    async def call(self, task: LLMTask, timeout: float) -> RawReply:
        self.calls += 1
        raise self.exc

    async def warm(self) -> None:
        raise self.exc

    async def aclose(self) -> None:
        self.closed = True
        raise self.exc


class Answering:
    def __init__(self, name: str, reply: object) -> None:
        self.name = name
        self.model = "m"
        self.reply = reply
        self.calls = 0
        self.closed = False

    async def call(self, task: LLMTask, timeout: float) -> object:
        self.calls += 1
        return self.reply

    async def warm(self) -> None:
        return None

    async def aclose(self) -> None:
        self.closed = True


GOOD = RawReply("pick", {"side": "buy", "quantity": 5}, "gpt-4o-mini", 10, 10)


@pytest.fixture
def make_chain(tmp_path: Path) -> Callable[..., LLMChain]:
    store = Store(f"sqlite:///{tmp_path / 'llm.db'}")
    store.upgrade()

    def make(*providers: Any) -> LLMChain:
        async def no_sleep(_s: float) -> None:
            return None

        return LLMChain(list(providers), store, ChainConfig(), clock=Clock(), sleep=no_sleep)

    return make


PLAIN = [
    AttributeError("partially initialized module 'openai' has no attribute 'AsyncOpenAI'"),
    ImportError("No module named 'anthropic'"),
    TypeError("'NoneType' object is not subscriptable"),
    RuntimeError("event loop is closed"),
]


@pytest.mark.parametrize("exc", PLAIN, ids=lambda e: type(e).__name__)
async def test_a_provider_raising_any_exception_falls_through_to_the_next(
    make_chain: Callable[..., LLMChain], exc: Exception
) -> None:
    broken = Raising("openai", exc)
    ok = Answering("anthropic", GOOD)
    chain = make_chain(broken, ok)
    r = await chain.run(task(), fallback)
    assert (r.provider, r.tool, r.value) == ("anthropic", "pick", Pick(side="buy", quantity=5))
    assert broken.calls == 1 and ok.calls == 1  # not retried: an unknown failure is not transient
    assert len(r.failures) == 1 and type(exc).__name__ in r.failures[0]
    assert r.failures[0].startswith("malformed: openai:")
    assert chain.usage()["calls_today"] == 2  # the failed call is on the record too


async def test_when_every_provider_raises_the_offline_answer_serves(
    make_chain: Callable[..., LLMChain],
) -> None:
    chain = make_chain(Raising("openai", PLAIN[0]), Answering("anthropic", None))
    r = await chain.run(task(), fallback)  # None is not a reply: a failure too
    assert r.provider == "offline" and r.value == Pick(side="none", quantity=0)
    assert len(r.failures) == 2
    assert "AttributeError" in r.failures[0]


async def test_repeated_plain_failures_open_the_breaker(
    make_chain: Callable[..., LLMChain],
) -> None:
    broken = Raising("openai", PLAIN[0])
    chain = make_chain(broken)
    for _ in range(4):
        assert (await chain.run(task(), fallback)).provider == "offline"
    assert broken.calls == 3  # the fourth was skipped: circuit open
    assert chain.health() and "openai" in chain.health()[0]


async def test_warm_up_and_close_survive_a_provider_that_raises(
    make_chain: Callable[..., LLMChain],
) -> None:
    broken = Raising("openai", PLAIN[0])
    ok = Answering("anthropic", GOOD)
    chain = make_chain(broken, ok)
    await chain.warm()  # logged, not raised
    chain.warm_in_background()
    await chain.aclose()
    assert broken.closed and ok.closed  # one provider failing to close does not stop the next
