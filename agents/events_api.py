"""The orchestrator's event methods (a mixin: the orchestrator is the one API): front ends
subscribe to the desk's typed events and to card updates; agents publish through it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from agents import events as ev

if TYPE_CHECKING:
    from agents.orchestrator import Orchestrator


class EventsApi:
    """Mixed into Orchestrator (its bus and rationale updater)."""

    def subscribe(self: Orchestrator, fn: ev.Listener) -> None:
        """Receive the desk's events (fills, expiries, kill, state changes, jobs...)."""
        self.bus.subscribe(fn)

    def unsubscribe(self: Orchestrator, fn: ev.Listener) -> None:
        self.bus.unsubscribe(fn)

    async def publish(self: Orchestrator, event: ev.DeskEvent) -> None:
        await self.bus.publish(event)

    async def _llm_budget(self: Orchestrator, provider: str, spent_usd: float, tokens: int) -> None:
        await self.publish(
            ev.LlmBudgetReached(
                mode_label=self.mode.label, provider=provider, spent_usd=spent_usd, tokens=tokens
            )
        )

    def on_card_update(self: Orchestrator, fn: Callable[[str], Awaitable[None]]) -> None:
        """Be told (proposal id) when a card's content changed after it was returned."""
        self.rationales.listeners.append(fn)

    def off_card_update(self: Orchestrator, fn: Callable[[str], Awaitable[None]]) -> None:
        if fn in self.rationales.listeners:
            self.rationales.listeners.remove(fn)
