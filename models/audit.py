"""Building and reading audit-trail rows (shared by every repository)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, insert
from sqlmodel import Session

from models.domain import Event
from models.tables import EventRow, utcnow

_EVENTS = EventRow.__table__  # type: ignore[attr-defined]


def event_row(
    type_: str,
    actor: str,
    *,
    proposal_id: str | None = None,
    order_id: str | None = None,
    context: dict[str, Any] | None = None,
    ts: datetime | None = None,
) -> EventRow:
    return EventRow(
        ts=ts or utcnow(),
        type=type_,
        actor=actor,
        proposal_id=proposal_id,
        order_id=order_id,
        context=context or {},
    )


def to_event(row: EventRow) -> Event:
    return Event(
        id=row.id or 0,
        ts=row.ts,
        type=row.type,
        actor=row.actor,
        proposal_id=row.proposal_id,
        order_id=row.order_id,
        context=dict(row.context),
    )


def emit(
    s: Session,
    type_: str,
    actor: str,
    *,
    proposal_id: str | None = None,
    order_id: str | None = None,
    context: dict[str, Any] | None = None,
) -> None:
    """Append an event inside the caller's transaction. The transaction's events are written
    together (one multi-row INSERT, in emit order) just before it commits, and dropped with
    it if it rolls back."""
    s.info.setdefault(_PENDING, []).append(
        {
            "ts": utcnow(),
            "type": type_,
            "actor": actor,
            "proposal_id": proposal_id,
            "order_id": order_id,
            "context": context or {},
        }
    )


_PENDING = "cotrader.events"


@event.listens_for(Session, "before_commit")
def _write_events(s: Session) -> None:
    rows = s.info.pop(_PENDING, None)
    if rows:
        s.connection().execute(insert(_EVENTS), rows)


@event.listens_for(Session, "after_transaction_end")
def _drop_events(s: Session, transaction: Any) -> None:
    if transaction.parent is None:  # rolled back or closed without a commit
        s.info.pop(_PENDING, None)
