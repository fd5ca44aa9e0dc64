"""monitor: price_alerts, monitor_rule_states, position_marks

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    s = sqlmodel.sql.sqltypes.AutoString
    ts = models.db.UTCDateTime
    op.create_table(
        "price_alerts",
        sa.Column("id", s(), nullable=False),
        sa.Column("symbol", s(), nullable=False),
        sa.Column("condition", s(), nullable=False),
        sa.Column("level", sa.Float(), nullable=False),
        sa.Column("status", s(), nullable=False),
        sa.Column("created_by", s(), nullable=False),
        sa.Column("created_at", ts(), nullable=False),
        sa.Column("fired_at", ts(), nullable=True),
        sa.Column("observed", sa.Float(), nullable=True),
        sa.Column("reason", s(), nullable=False),
        sa.Column("updated_at", ts(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_price_alerts_symbol"), "price_alerts", ["symbol"], unique=False)
    op.create_index(op.f("ix_price_alerts_status"), "price_alerts", ["status"], unique=False)
    op.create_table(
        "monitor_rule_states",
        sa.Column("position", s(), nullable=False),
        sa.Column("rule", s(), nullable=False),
        sa.Column("armed", sa.Boolean(), nullable=False),
        sa.Column("level", sa.Float(), nullable=True),
        sa.Column("fired_at", ts(), nullable=True),
        sa.PrimaryKeyConstraint("position", "rule"),
    )
    op.create_table(
        "position_marks",
        sa.Column("position", s(), nullable=False),
        sa.Column("symbol", s(), nullable=False),
        sa.Column("high", sa.Float(), nullable=False),
        sa.Column("low", sa.Float(), nullable=False),
        sa.Column("updated_at", ts(), nullable=False),
        sa.PrimaryKeyConstraint("position"),
    )
    op.create_index(op.f("ix_position_marks_symbol"), "position_marks", ["symbol"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_position_marks_symbol"), table_name="position_marks")
    op.drop_table("position_marks")
    op.drop_table("monitor_rule_states")
    op.drop_index(op.f("ix_price_alerts_status"), table_name="price_alerts")
    op.drop_index(op.f("ix_price_alerts_symbol"), table_name="price_alerts")
    op.drop_table("price_alerts")
