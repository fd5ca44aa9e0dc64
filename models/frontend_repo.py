"""Card posts and once-only job claims, for the Discord front end and the scheduler."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from models.frontend_tables import CardPost, JobRun
from models.tables import Proposal

if TYPE_CHECKING:
    from models.store import Store


class FrontendRepo:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add_post(
        self,
        proposal_id: str,
        channel_id: int | str,
        message_id: int | str,
        at: datetime,
        status: str = "pending",
        surface: str = "discord",
        revision: int = 0,
    ) -> None:
        """Remember where a card was posted (idempotent on the message id)."""
        try:
            with self.store.session(write=True) as s:
                s.add(
                    CardPost(
                        proposal_id=proposal_id,
                        surface=surface,
                        channel_id=str(channel_id),
                        message_id=str(message_id),
                        posted_at=at,
                        shown_status=status,
                        shown_revision=revision,
                    )
                )
                s.commit()
        except IntegrityError:
            pass

    def posts(self, proposal_id: str) -> list[CardPost]:
        with self.store.session() as s:
            q = select(CardPost).where(CardPost.proposal_id == proposal_id)
            return list(s.exec(q.order_by(col(CardPost.id))))

    def outdated(self, limit: int = 200) -> list[str]:
        """Proposals with a posted card that shows another status or revision than theirs."""
        with self.store.session() as s:
            q = (
                select(CardPost.proposal_id)
                .join(Proposal, col(Proposal.id) == col(CardPost.proposal_id))
                .where(
                    (col(Proposal.status) != col(CardPost.shown_status))
                    | (col(Proposal.revision) != col(CardPost.shown_revision))
                )
                .distinct()
                .limit(limit)
            )
            return list(s.exec(q))

    def mark_shown(self, message_id: int | str, status: str, revision: int = 0) -> None:
        with self.store.session(write=True) as s:
            s.execute(
                update(CardPost)
                .where(col(CardPost.message_id) == str(message_id))
                .values(shown_status=status, shown_revision=revision)
            )
            s.commit()

    def claim(self, key: str, at: datetime, detail: str = "") -> bool:
        """True for the first caller with this key, False for every later one (any process)."""
        try:
            with self.store.session(write=True) as s:
                s.add(JobRun(key=key, started_at=at, detail=detail[:500]))
                s.commit()
            return True
        except IntegrityError:
            return False

    def claimed(self, key: str) -> JobRun | None:
        with self.store.session() as s:
            return s.get(JobRun, key)
