"""trade_reviews, suggestions, setting_changes, idea_outcomes: the learning loop's books

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    s = sqlmodel.sql.sqltypes.AutoString
    ts = models.db.UTCDateTime
    op.create_table(
        "trade_reviews",
        sa.Column("trade_id", sa.Integer(), nullable=False),
        sa.Column("symbol", s(), nullable=False),
        sa.Column("strategy", s(), nullable=False),
        sa.Column("closed_at", ts(), nullable=False),
        sa.Column("pnl", sa.Float(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("reviewed_at", ts(), nullable=False),
        sa.ForeignKeyConstraint(["trade_id"], ["trades.id"]),
        sa.PrimaryKeyConstraint("trade_id"),
    )
    op.create_index("ix_trade_reviews_closed_at", "trade_reviews", ["closed_at"], unique=False)
    op.create_table(
        "suggestions",
        sa.Column("id", s(), nullable=False),
        sa.Column("created_at", ts(), nullable=False),
        sa.Column("key", s(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("current", sa.Float(), nullable=True),
        sa.Column("title", s(), nullable=False),
        sa.Column("evidence", s(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("tag", s(), nullable=False),
        sa.Column("strategy", s(), nullable=False),
        sa.Column("trades", sa.Integer(), nullable=False),
        sa.Column("losses", sa.Integer(), nullable=False),
        sa.Column("status", s(), nullable=False),
        sa.Column("decided_by", s(), nullable=True),
        sa.Column("decided_at", ts(), nullable=True),
        sa.Column("change_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_suggestions_created_at", "suggestions", ["created_at"], unique=False)
    op.create_index("ix_suggestions_status", "suggestions", ["status"], unique=False)
    op.create_table(
        "setting_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", s(), nullable=False),
        sa.Column("old_value", sa.Float(), nullable=True),
        sa.Column("new_value", sa.Float(), nullable=False),
        sa.Column("actor", s(), nullable=False),
        sa.Column("reason", s(), nullable=False),
        sa.Column("suggestion_id", s(), nullable=True),
        sa.Column("applied_at", ts(), nullable=False),
        sa.Column("reverted_at", ts(), nullable=True),
        sa.Column("reverted_by", s(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_setting_changes_key", "setting_changes", ["key"], unique=False)
    op.create_table(
        "idea_outcomes",
        sa.Column("proposal_id", s(), nullable=False),
        sa.Column("symbol", s(), nullable=False),
        sa.Column("status", s(), nullable=False),
        sa.Column("created_at", ts(), nullable=False),
        sa.Column("outcome", s(), nullable=False),
        sa.Column("pnl", sa.Float(), nullable=True),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("updated_at", ts(), nullable=False),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"]),
        sa.PrimaryKeyConstraint("proposal_id"),
    )
    op.create_index("ix_idea_outcomes_created_at", "idea_outcomes", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_idea_outcomes_created_at", table_name="idea_outcomes")
    op.drop_table("idea_outcomes")
    op.drop_index("ix_setting_changes_key", table_name="setting_changes")
    op.drop_table("setting_changes")
    op.drop_index("ix_suggestions_status", table_name="suggestions")
    op.drop_index("ix_suggestions_created_at", table_name="suggestions")
    op.drop_table("suggestions")
    op.drop_index("ix_trade_reviews_closed_at", table_name="trade_reviews")
    op.drop_table("trade_reviews")
