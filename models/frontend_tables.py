"""Tables a front end keeps: where each card was posted, and which scheduled runs happened."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.tables import ts_field


class CardPost(SQLModel, table=True):
    """One posted copy of a proposal card (a proposal may be posted in several places)."""

    __tablename__ = "card_posts"

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: str = Field(index=True)
    surface: str = "discord"
    channel_id: str
    message_id: str = Field(unique=True)
    posted_at: datetime = ts_field()
    shown_status: str = "pending"  # the proposal status the message shows now
    shown_revision: int = 0  # the proposal revision the message shows now


class JobRun(SQLModel, table=True):
    """A claimed run of a scheduled job or one-off action, keyed so it happens once."""

    __tablename__ = "job_runs"

    key: str = Field(primary_key=True)
    started_at: datetime = ts_field()
    detail: str = ""
