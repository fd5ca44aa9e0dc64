"""iv_daily: each underlying's 30-day at-the-money implied vol per day (IV rank)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    s = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "iv_daily",
        sa.Column("symbol", s(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("iv30", sa.Float(), nullable=False),
        sa.Column("source", s(), nullable=False),
        sa.Column("recorded_at", models.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("symbol", "day"),
    )


def downgrade() -> None:
    op.drop_table("iv_daily")
