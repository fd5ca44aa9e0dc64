"""The one authorisation gate: every decision a person makes passes here (approve, reject,
resize, pause, resume, the kill switch and its confirmation). A refusal is recorded as an
event (`<verb>.unauthorized`) and raised as NotAuthorized; nothing is changed."""

from __future__ import annotations

from agents.errors import NotAuthorized
from models.domain import Actor
from models.store import Store


class Gate:
    def __init__(self, store: Store) -> None:
        self.store = store

    def check(self, actor: Actor, verb: str, what: str, proposal_id: str | None = None) -> None:
        """Let an approver through; refuse (recorded) anyone else: "Only approvers may
        {what}; nothing was changed."."""
        if actor.can_approve:
            return
        self.refuse(actor, verb, f"Only approvers may {what}; nothing was changed.", proposal_id)

    def refuse(self, actor: Actor, verb: str, message: str, proposal_id: str | None = None) -> None:
        """Record a refused decision and raise it."""
        self.store.events.add(
            f"{verb}.unauthorized", actor.id, proposal_id=proposal_id, context={"name": actor.name}
        )
        raise NotAuthorized(message)
