"""card posts and job runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "card_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("surface", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("posted_at", models.db.UTCDateTime(), nullable=False),
        sa.Column("shown_status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("card_posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_posts_proposal_id"), ["proposal_id"])
        batch_op.create_index(batch_op.f("ix_card_posts_message_id"), ["message_id"], unique=True)
    op.create_table(
        "job_runs",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("started_at", models.db.UTCDateTime(), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
    with op.batch_alter_table("card_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_posts_message_id"))
        batch_op.drop_index(batch_op.f("ix_card_posts_proposal_id"))
    op.drop_table("card_posts")
