"""The desk's own clock: periodic jobs the orchestrator runs on one asyncio task.

Front ends never drive it. Each job runs at its interval (the first run one interval after
start); a failing job is logged and runs again next time; `stop()` waits for the job that
is running to finish, then ends the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from loguru import logger

Job = Callable[[], Awaitable[object]]


@dataclass
class _Entry:
    name: str
    seconds: float
    fn: Job
    due: float = 0.0


class DeskLoop:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._jobs: list[_Entry] = []
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._now = monotonic
        self.runs: dict[str, int] = {}

    def every(self, name: str, seconds: float, fn: Job) -> None:
        """Run `fn` every `seconds` once started."""
        self._jobs.append(_Entry(name, seconds, fn))

    def run_soon(self, name: str) -> None:
        """Make job `name` due now (a price or fill event); the loop runs it next."""
        for j in self._jobs:
            if j.name == name:
                j.due = 0.0
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self.running or not self._jobs:
            return
        self._stopping = False
        now = self._now()
        for j in self._jobs:
            j.due = now + j.seconds
        self._task = asyncio.create_task(self._run(), name="desk-loop")

    async def stop(self) -> None:
        """End the loop after the job in progress (if any) finishes."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run(self) -> None:
        while not self._stopping:
            now = self._now()
            for j in self._jobs:
                if self._stopping:
                    return
                if j.due <= now:
                    await self._one(j)
                    j.due = self._now() + j.seconds
            wait = min(j.due for j in self._jobs) - self._now()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.01, wait))

    async def _one(self, j: _Entry) -> None:
        try:
            await j.fn()
        except asyncio.CancelledError:
            raise
        except Exception as e:  # the loop outlives any one failing job
            logger.exception("desk job {} failed: {}", j.name, e)
        self.runs[j.name] = self.runs.get(j.name, 0) + 1
