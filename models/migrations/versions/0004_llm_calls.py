"""llm calls: usage, budget ledger and response cache; proposal revisions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    s = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "llm_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ts", models.db.UTCDateTime(), nullable=False),
        sa.Column("day", s(), nullable=False),
        sa.Column("provider", s(), nullable=False),
        sa.Column("model", s(), nullable=False),
        sa.Column("purpose", s(), nullable=False),
        sa.Column("prompt_version", s(), nullable=False),
        sa.Column("request_hash", s(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("cached", sa.Boolean(), nullable=False),
        sa.Column("error", s(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("proposal_id", s(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_llm_calls_hash", "llm_calls", ["request_hash", "ok"])
    op.create_index("ix_llm_calls_day", "llm_calls", ["day", "provider"])
    op.create_index("ix_llm_calls_proposal_id", "llm_calls", ["proposal_id"])
    with op.batch_alter_table("proposals") as b:
        b.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("card_posts") as b:
        b.add_column(sa.Column("shown_revision", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("card_posts") as b:
        b.drop_column("shown_revision")
    with op.batch_alter_table("proposals") as b:
        b.drop_column("revision")
    op.drop_index("ix_llm_calls_proposal_id", table_name="llm_calls")
    op.drop_index("ix_llm_calls_day", table_name="llm_calls")
    op.drop_index("ix_llm_calls_hash", table_name="llm_calls")
    op.drop_table("llm_calls")
