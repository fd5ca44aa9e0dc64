"""The kill switch's two steps for a front end with buttons: a request (by an approver) that
only the asker may confirm, within two minutes, once, whatever the clicks, restarts or
instances (the request and its confirmation are claims in the database)."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from datetime import datetime, timedelta

from agents.errors import BadInput
from agents.gate import Gate
from models.domain import Actor
from models.store import Store

CONFIRM_WITHIN = timedelta(minutes=2)


def new_nonce() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(8))


class KillConfirmation:
    def __init__(self, store: Store, gate: Gate, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.gate = gate
        self.clock = clock

    def request(self, actor: Actor, flatten: bool) -> str:
        """An approver asks: the nonce their confirmation must carry."""
        self.gate.check(actor, "kill", "use the kill switch")
        nonce = new_nonce()
        self.store.frontend.claim(f"kill-request:{nonce}", self.clock(), actor.id)
        self.store.events.add(
            "kill.requested", actor.id, context={"flatten": flatten, "nonce": nonce}
        )
        return nonce

    def confirm(self, actor: Actor, nonce: str) -> None:
        """The asker confirms, in time, once; else a refusal saying why (nothing done)."""
        asked = self.store.frontend.claimed(f"kill-request:{nonce}")
        if asked is None or asked.detail != actor.id:
            self.gate.refuse(
                actor, "kill", "Only the person who asked for the kill can confirm it."
            )
        assert asked is not None
        if self.clock() - asked.started_at > CONFIRM_WITHIN:
            raise BadInput("That confirmation timed out; nothing was done. /kill again.")
        if not self.store.frontend.claim(f"kill:{nonce}", self.clock(), actor.id):
            raise BadInput("That kill was already confirmed; nothing more was done.")

    def cancel(self, nonce: str) -> None:
        """The asker changed their mind: the nonce can never confirm a kill now."""
        self.store.frontend.claim(f"kill:{nonce}", self.clock(), "canceled")
