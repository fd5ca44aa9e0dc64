"""The learning loop's store: trade reviews, suggestions, setting changes (each with its
event, in one transaction) and the outcomes of the ideas a person passed on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import Session, col, select

from models.audit import emit
from models.learning_tables import IdeaOutcome, SettingChange, SuggestionRow, TradeReview
from models.tables import Proposal, Trade

if TYPE_CHECKING:
    from models.store import Store

SUGGESTIONS = SuggestionRow.__table__  # type: ignore[attr-defined]
CHANGES = SettingChange.__table__  # type: ignore[attr-defined]
PASSED = ("rejected", "expired")


class LearningError(Exception):
    """A decision the books refuse (already decided, reverted, superseded); the message says
    why and nothing was written."""


class LearningRepo:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ reviews
    def unreviewed(self, limit: int = 500) -> list[Trade]:
        """Closed round trips with no review yet, oldest first."""
        with self.store.session() as s:
            reviewed = select(TradeReview.trade_id)
            q = (
                select(Trade)
                .where(Trade.status == "closed", col(Trade.id).not_in(reviewed))
                .order_by(col(Trade.closed_at), col(Trade.id))
                .limit(limit)
            )
            return list(s.exec(q).all())

    def add_reviews(self, rows: Sequence[TradeReview]) -> int:
        """Store reviews not stored yet (by trade); how many were new."""
        if not rows:
            return 0
        with self.store.session(write=True) as s:
            have = set(
                s.exec(
                    select(TradeReview.trade_id).where(
                        col(TradeReview.trade_id).in_([r.trade_id for r in rows])
                    )
                ).all()
            )
            new = [r for r in rows if r.trade_id not in have]
            s.add_all(new)
            s.commit()
            return len(new)

    def reviews(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[TradeReview]:
        with self.store.session() as s:
            q = select(TradeReview)
            if since is not None:
                q = q.where(TradeReview.closed_at >= since)
            if until is not None:
                q = q.where(TradeReview.closed_at < until)
            return list(s.exec(q.order_by(col(TradeReview.closed_at))).all())

    # ------------------------------------------------------------------ suggestions
    def add_suggestion(self, row: SuggestionRow, actor: str) -> SuggestionRow | None:
        """Store a suggestion unless the same change is pending already (None then)."""
        with self.store.session(write=True) as s:
            twin = s.exec(
                select(SuggestionRow.id).where(
                    SuggestionRow.status == "pending",
                    SuggestionRow.key == row.key,
                    SuggestionRow.value == row.value,
                )
            ).first()
            if twin is not None:
                return None
            s.add(row)
            emit(
                s,
                "suggestion.created",
                actor,
                context={"id": row.id, "key": row.key, "value": row.value, "title": row.title},
            )
            s.commit()
            return row

    def suggestion(self, sid: str) -> SuggestionRow | None:
        with self.store.session() as s:
            return s.get(SuggestionRow, sid)

    def suggestions(self, status: str | None = None, limit: int = 20) -> list[SuggestionRow]:
        with self.store.session() as s:
            q = select(SuggestionRow)
            if status is not None:
                q = q.where(SuggestionRow.status == status)
            q = q.order_by(col(SuggestionRow.created_at).desc(), col(SuggestionRow.id)).limit(limit)
            return list(s.exec(q).all())

    def dismiss(self, sid: str, actor: str, at: datetime) -> SuggestionRow:
        """pending → dismissed (compare-and-set, with its event)."""
        with self.store.session(write=True) as s:
            self._decide(s, sid, "dismissed", actor, at, None)
            s.commit()
            row = s.get(SuggestionRow, sid)
            assert row is not None
            return row

    def _decide(
        self, s: Session, sid: str, to: str, actor: str, at: datetime, change_id: int | None
    ) -> None:
        q = (
            update(SUGGESTIONS)
            .where(SUGGESTIONS.c.id == sid, SUGGESTIONS.c.status == "pending")
            .values(status=to, decided_by=actor, decided_at=at, change_id=change_id)
        )
        if s.connection().execute(q).rowcount != 1:
            row = s.get(SuggestionRow, sid)
            if row is None:
                raise LearningError(f"No suggestion {sid}.")
            raise LearningError(f"Suggestion {sid} was {row.status} already.")
        emit(s, f"suggestion.{to}", actor, context={"id": sid, "change_id": change_id})

    # ------------------------------------------------------------------ setting changes
    def apply(
        self,
        key: str,
        old: float | None,
        new: float,
        actor: str,
        reason: str,
        at: datetime,
        suggestion_id: str | None = None,
    ) -> SettingChange:
        """Record one setting change (and, for a suggestion, its pending → applied) in one
        transaction with their events."""
        with self.store.session(write=True) as s:
            row = SettingChange(
                key=key, old_value=old, new_value=new, actor=actor, reason=reason,
                suggestion_id=suggestion_id, applied_at=at,
            )  # fmt: skip
            s.add(row)
            s.flush()
            if suggestion_id is not None:
                self._decide(s, suggestion_id, "applied", actor, at, row.id)
            emit(s, "settings.applied", actor, context={
                "id": row.id, "key": key, "old": old, "new": new, "reason": reason,
                "suggestion_id": suggestion_id,
            })  # fmt: skip
            s.commit()
            return row

    def revert(self, change_id: int, actor: str, at: datetime) -> SettingChange:
        """Mark a change reverted; refused when it is reverted already or a later change of
        the same setting is still in force (revert that one first)."""
        with self.store.session(write=True) as s:
            row = s.get(SettingChange, change_id)
            if row is None:
                raise LearningError(f"No setting change {change_id}.")
            if row.reverted_at is not None:
                raise LearningError(f"Setting change {change_id} was reverted already.")
            later = s.exec(
                select(SettingChange.id).where(
                    SettingChange.key == row.key,
                    col(SettingChange.id) > change_id,
                    col(SettingChange.reverted_at).is_(None),
                )
            ).first()
            if later is not None:
                raise LearningError(
                    f"Change {later} set {row.key} after this one: revert {later} first."
                )
            row.reverted_at, row.reverted_by = at, actor
            s.add(row)
            emit(s, "settings.reverted", actor, context={
                "id": change_id, "key": row.key, "restored": row.old_value,
                "undone": row.new_value,
            })  # fmt: skip
            s.commit()
            return row

    def change(self, change_id: int) -> SettingChange | None:
        with self.store.session() as s:
            return s.get(SettingChange, change_id)

    def changes(self, active_only: bool = False, limit: int = 50) -> list[SettingChange]:
        """Setting changes, newest first."""
        with self.store.session() as s:
            q = select(SettingChange)
            if active_only:
                q = q.where(col(SettingChange.reverted_at).is_(None))
            return list(s.exec(q.order_by(col(SettingChange.id).desc()).limit(limit)).all())

    def in_force(self) -> dict[str, float]:
        """Each changed setting's value now: its latest change that is not reverted."""
        out: dict[str, float] = {}
        for row in reversed(self.changes(active_only=True, limit=10_000)):
            out[row.key] = row.new_value
        return out

    # ------------------------------------------------------------------ passed-on ideas
    def to_follow(self, since: datetime) -> list[Proposal]:
        """Stock entry cards rejected or expired since `since` whose follow-up is not final."""
        with self.store.session() as s:
            done = select(IdeaOutcome.proposal_id).where(IdeaOutcome.final)
            q = (
                select(Proposal)
                .where(
                    col(Proposal.status).in_(PASSED),
                    Proposal.kind == "entry",
                    Proposal.created_at >= since,
                    col(Proposal.id).not_in(done),
                )
                .order_by(col(Proposal.created_at))
            )
            return [p for p in s.exec(q).all() if not (p.facts or {}).get("option")]

    def save_outcomes(self, rows: Sequence[IdeaOutcome]) -> None:
        if not rows:
            return
        with self.store.session(write=True) as s:
            for r in rows:
                s.merge(r)
            s.commit()

    def outcomes(self, since: datetime, until: datetime) -> list[IdeaOutcome]:
        """Outcomes of the ideas passed on in [since, until) (by the card's creation)."""
        with self.store.session() as s:
            q = select(IdeaOutcome).where(
                IdeaOutcome.created_at >= since, IdeaOutcome.created_at < until
            )
            return list(s.exec(q.order_by(col(IdeaOutcome.created_at))).all())
