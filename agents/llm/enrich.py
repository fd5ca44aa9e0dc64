"""Never hold a card back for the LLM: wait a moment for its rationale, else post and edit.

A proposal is stored with the offline rationale. If an LLM is configured, its rationale is
written in the background; the caller waits at most `wait_s` (and never past the reply
deadline a front end set). A rationale that arrives later replaces the text, bumps the
proposal's revision, and the card listeners are told so the posted cards are edited.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable, Sequence

from loguru import logger

from agents.llm.analyst import Analyst
from models.domain import RiskDecision, TradeIdea
from models.store import Store

# A monotonic time by which the front end wants its answer (set per request).
reply_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "reply_deadline", default=None
)
Listener = Callable[[str], Awaitable[None]]


class RationaleUpdater:
    def __init__(self, analyst: Analyst, store: Store, wait_s: float = 3.0) -> None:
        self.analyst = analyst
        self.store = store
        self.wait_s = wait_s
        self.listeners: list[Listener] = []
        self._tasks: set[asyncio.Task[bool]] = set()

    def _wait(self) -> float:
        deadline = reply_deadline.get()
        if deadline is None:
            return self.wait_s
        return max(0.0, min(self.wait_s, deadline - time.monotonic()))

    async def attach(
        self,
        proposal_id: str,
        idea: TradeIdea,
        decision: RiskDecision,
        kind: str,
        headlines: Sequence[str] = (),
    ) -> bool:
        """Start the LLM rationale; True when it replaced the offline one before returning."""
        if not self.analyst.chain.online:
            return False
        task = asyncio.create_task(self._write(proposal_id, idea, decision, kind, headlines))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            return await asyncio.wait_for(asyncio.shield(task), self._wait())
        except TimeoutError:
            self.store.events.add(
                "rationale.deferred",
                "agent:analyst",
                proposal_id=proposal_id,
                context={"waited_s": round(self._wait(), 2)},
            )
            return False

    async def _write(
        self,
        pid: str,
        idea: TradeIdea,
        decision: RiskDecision,
        kind: str,
        headlines: Sequence[str],
    ) -> bool:
        try:
            r = await self.analyst.write(idea, decision, kind, pid, headlines)
        except Exception as e:  # the offline rationale stays; never break the proposal
            logger.warning("LLM rationale for {} failed: {}", pid, e)
            return False
        if r.provider == "offline":
            self.store.events.add(
                "rationale.fallback",
                "agent:analyst",
                proposal_id=pid,
                context={"reason": r.fallback_reason or "no LLM provider answered"},
            )
            return False
        if self.store.llm.set_rationale(pid, r.text, r.meta()) is None:
            return False
        self.store.events.add(
            "rationale",
            f"agent:analyst:{r.provider}",
            proposal_id=pid,
            context={**r.meta(), "text": r.text},
        )
        for fn in self.listeners:
            try:
                await fn(pid)
            except Exception as e:  # a front end failing to edit must not lose the rationale
                logger.warning("card listener failed for {}: {}", pid, e)
        return True

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for rationales still being written (tests, shutdown)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
