"""Proposals and their legs. Status changes are atomic compare-and-set writes."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from models.audit import emit
from models.tables import Proposal, ProposalLeg

PROPOSALS = Proposal.__table__  # type: ignore[attr-defined]

if TYPE_CHECKING:
    from models.store import Store


class ProposalRepo:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(
        self,
        proposal: Proposal,
        legs: list[ProposalLeg],
        actor: str,
        context: dict[str, Any],
        prior_events: list[tuple[str, str, dict[str, Any]]] = (),  # type: ignore[assignment]
    ) -> Proposal:
        """Insert a proposal, its legs, the events that led to it (type, actor, context:
        signal, risk decision, rationale) and `proposal.created`, in one transaction."""
        with self._store.session() as s:
            s.add(proposal)
            s.flush()
            for leg in legs:
                leg.proposal_id = proposal.id
                s.add(leg)
            for type_, who, ctx in prior_events:
                emit(s, type_, who, proposal_id=proposal.id, context=ctx)
            emit(s, "proposal.created", actor, proposal_id=proposal.id, context=context)
            s.commit()
            s.refresh(proposal)
        return proposal

    def get(self, proposal_id: str) -> Proposal | None:
        with self._store.session() as s:
            return s.get(Proposal, proposal_id)

    def transition(
        self,
        proposal_id: str,
        expected: str | Collection[str],
        to: str,
        *,
        actor: str,
        event_type: str,
        context: dict[str, Any] | None = None,
        fields: dict[str, Any] | None = None,
        unexpired_at: datetime | None = None,
    ) -> Proposal | None:
        """Compare-and-set: move to `to` only if the status is still `expected` (and, with
        `unexpired_at`, the proposal expires after that moment).

        One UPDATE ... WHERE id=? AND status IN (...) decides; the event is written in the
        same transaction. Returns the updated row, or None when another writer got there
        first (or the proposal does not exist).
        """
        with self._store.session() as s:
            row = cas(
                s,
                proposal_id,
                expected,
                to,
                actor,
                event_type,
                context,
                fields,
                unexpired_at,
                returning=True,
            )
            if not isinstance(row, Proposal):
                s.rollback()
                return None
            s.commit()
            return row

    def list(
        self, statuses: Collection[str] | None = None, limit: int | None = 50
    ) -> list[Proposal]:
        """Newest first; limit=None for all of them."""
        with self._store.session() as s:
            q = select(Proposal).order_by(col(Proposal.created_at).desc()).limit(limit)
            if statuses:
                q = q.where(col(Proposal.status).in_(list(statuses)))
            return list(s.exec(q).all())

    def pending_like(
        self,
        symbol: str,
        kind: str,
        exclude: str,
        strategy: str | None = None,
        not_strategies: Collection[str] = (),
    ) -> list[str]:
        """Ids of other pending proposals for the same symbol and kind (to supersede), of
        `strategy` only when given, never of `not_strategies` (an option card and a stock
        card on one underlying do not replace each other)."""
        with self._store.session() as s:
            q = select(Proposal.id).where(
                Proposal.status == "pending",
                Proposal.symbol == symbol,
                Proposal.kind == kind,
                Proposal.id != exclude,
            )
            if strategy is not None:
                q = q.where(Proposal.strategy == strategy)
            if not_strategies:
                q = q.where(col(Proposal.strategy).not_in(list(not_strategies)))
            return list(s.exec(q).all())

    def count(self, status: str) -> int:
        with self._store.session() as s:
            return int(
                s.exec(
                    select(func.count()).select_from(Proposal).where(Proposal.status == status)  # type: ignore[arg-type]
                ).one()
            )

    def approved(self) -> list[Proposal]:
        """Approvals not yet acknowledged by a venue (in flight, or interrupted), oldest first."""
        with self._store.session() as s:
            q = select(Proposal).where(Proposal.status == "approved")
            return list(s.exec(q.order_by(col(Proposal.decided_at))).all())

    def take_lease(self, p: Proposal, owner: str, until: datetime) -> Proposal | None:
        """Take an approval over from the owner `p` was read with (compare-and-set on the
        lease as read): the new row, or None when its status or lease changed meanwhile."""
        owner_col, until_col = PROPOSALS.c.lease_owner, PROPOSALS.c.lease_until
        with self._store.session(write=True) as s:
            done = s.connection().execute(
                update(PROPOSALS)
                .where(
                    PROPOSALS.c.id == p.id,
                    PROPOSALS.c.status == "approved",
                    owner_col.is_(None) if p.lease_owner is None else owner_col == p.lease_owner,
                    until_col.is_(None) if p.lease_until is None else until_col == p.lease_until,
                )
                .values(lease_owner=owner, lease_until=until, version=PROPOSALS.c.version + 1)
            )
            if done.rowcount != 1:
                s.rollback()
                return None
            emit(
                s,
                "recovery.taken_over",
                "agent:recovery",
                proposal_id=p.id,
                context={"from": p.lease_owner, "to": owner, "lease_until": until.isoformat()},
            )
            row = s.get(Proposal, p.id, populate_existing=True)
            s.commit()
            return row

    def expired_pending(self, now: datetime) -> list[str]:
        """Ids of pending proposals whose expiry has passed."""
        with self._store.session() as s:
            return list(
                s.exec(
                    select(Proposal.id).where(
                        Proposal.status == "pending", col(Proposal.expires_at) <= now
                    )
                ).all()
            )


@dataclass(frozen=True, slots=True)
class Step:
    """One compare-and-set of a proposal's status, applied inside a larger transaction."""

    expected: str | Collection[str]
    to: str
    event_type: str
    context: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] | None = None


def cas(
    s: Session,
    proposal_id: str,
    expected: str | Collection[str],
    to: str,
    actor: str,
    event_type: str,
    context: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
    unexpired_at: datetime | None = None,
    returning: bool = False,
) -> Proposal | bool:
    """UPDATE proposals SET status=to WHERE id=? AND status IN expected, plus its event, in
    the caller's transaction. False if another writer got there first; else True, or with
    `returning` the proposal as it now is (UPDATE ... RETURNING: no second read)."""
    allowed = [expected] if isinstance(expected, str) else list(expected)
    values: dict[str, Any] = {"status": to, "version": PROPOSALS.c.version + 1}
    values.update(fields or {})
    q = (
        update(PROPOSALS)
        .where(
            PROPOSALS.c.id == proposal_id,
            PROPOSALS.c.status.in_(allowed),
            *([PROPOSALS.c.expires_at > unexpired_at] if unexpired_at else []),
        )
        .values(**values)
    )
    if returning:
        row = s.connection().execute(q.returning(*PROPOSALS.c)).first()
        moved: Proposal | bool = Proposal(**row._mapping) if row is not None else False
    else:
        moved = s.connection().execute(q).rowcount == 1
    if moved:
        ctx = {"from": allowed if len(allowed) > 1 else allowed[0], "to": to, **(context or {})}
        emit(s, event_type, actor, proposal_id=proposal_id, context=ctx)
    return moved
