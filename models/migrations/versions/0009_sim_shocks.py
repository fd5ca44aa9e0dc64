"""sim_shocks: moves of the simulated market (`/sim shock`), seen by every process on the
database

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    s = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "sim_shocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("symbol", s(), nullable=False),
        sa.Column("pct", sa.Float(), nullable=False),
        sa.Column("at", models.db.UTCDateTime(), nullable=False),
        sa.Column("by", s(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_sim_shocks_symbol"), "sim_shocks", ["symbol"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sim_shocks_symbol"), table_name="sim_shocks")
    op.drop_table("sim_shocks")
