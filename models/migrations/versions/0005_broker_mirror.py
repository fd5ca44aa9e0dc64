"""broker mirror: venue accounts (one per broker and account number) and their holdings

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    s = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "broker_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broker", s(), nullable=False),
        sa.Column("account_id", s(), nullable=False),
        sa.Column("mode", s(), nullable=False),
        sa.Column("cash", sa.Float(), nullable=False),
        sa.Column("equity", sa.Float(), nullable=False),
        sa.Column("buying_power", sa.Float(), nullable=False),
        sa.Column("currency", s(), nullable=False),
        sa.Column("first_seen", models.db.UTCDateTime(), nullable=False),
        sa.Column("synced_at", models.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("broker", "account_id", name="uq_broker_accounts"),
    )
    op.create_table(
        "broker_holdings",
        sa.Column("account_ref", sa.Integer(), nullable=False),
        sa.Column("symbol", s(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("avg_price", sa.Float(), nullable=False),
        sa.Column("synced_at", models.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_ref"], ["broker_accounts.id"]),
        sa.PrimaryKeyConstraint("account_ref", "symbol"),
    )


def downgrade() -> None:
    op.drop_table("broker_holdings")
    op.drop_table("broker_accounts")
