"""The orchestrator's records for its front ends (a mixin: the orchestrator is the one API):
where each card was posted and what it shows, once-only claims, and notes of what a front
end did."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.results import Card
from models.frontend_tables import CardPost

if TYPE_CHECKING:
    from agents.orchestrator import Orchestrator


class FrontendRecords:
    """Mixed into Orchestrator (its store and clock)."""

    def record_post(
        self: Orchestrator, card: Card, channel_id: int | str, message_id: int | str
    ) -> None:
        """Where a card was posted (a front end keeps every copy up to date)."""
        self.store.frontend.add_post(
            card.id, channel_id, message_id, self.clock(), card.status, revision=card.revision
        )

    def posts(self: Orchestrator, proposal_id: str) -> list[CardPost]:
        return self.store.frontend.posts(proposal_id)

    def mark_shown(self: Orchestrator, message_id: int | str, card: Card) -> None:
        """That posted copy now shows the card's status and revision."""
        self.store.frontend.mark_shown(message_id, card.status, card.revision)

    def outdated_posts(self: Orchestrator) -> list[str]:
        """Proposals with a posted copy showing an older status or revision."""
        return self.store.frontend.outdated()

    def claim_once(self: Orchestrator, key: str, detail: str = "") -> bool:
        """True for the first caller with this key, in any instance (a job's run, a command
        sync); False for every later one."""
        return self.store.frontend.claim(key, self.clock(), detail)

    def claimed(self: Orchestrator, key: str) -> bool:
        return self.store.frontend.claimed(key) is not None

    def note(self: Orchestrator, event_type: str, actor: str, context: dict[str, object]) -> None:
        """Record something a front end did (a command sync, a refused owner command)."""
        self.store.events.add(event_type, actor, context=context)
