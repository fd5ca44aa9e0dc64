"""Building and reading audit-trail rows (shared by every repository)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
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
    """Append an event inside the caller's transaction (one INSERT, no ORM unit of work)."""
    s.connection().execute(
        insert(_EVENTS).values(
            ts=utcnow(),
            type=type_,
            actor=actor,
            proposal_id=proposal_id,
            order_id=order_id,
            context=context or {},
        )
    )
