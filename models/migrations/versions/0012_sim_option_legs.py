"""sim_order_legs, sim_leg_fills: the simulator's options orders (their legs and the legs'
fills)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-12 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    s = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "sim_order_legs",
        sa.Column("broker_order_id", s(), nullable=False),
        sa.Column("leg", sa.Integer(), nullable=False),
        sa.Column("symbol", s(), nullable=False),
        sa.Column("side", s(), nullable=False),
        sa.Column("ratio", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Boolean(), nullable=False),
        sa.Column("filled_quantity", sa.Integer(), nullable=False),
        sa.Column("avg_fill_price", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["broker_order_id"], ["sim_orders.broker_order_id"]),
        sa.PrimaryKeyConstraint("broker_order_id", "leg"),
    )
    op.create_index(op.f("ix_sim_order_legs_symbol"), "sim_order_legs", ["symbol"], unique=False)
    op.create_table(
        "sim_leg_fills",
        sa.Column("fill_id", s(), nullable=False),
        sa.Column("broker_order_id", s(), nullable=False),
        sa.Column("leg", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("commission", sa.Float(), nullable=False),
        sa.Column("ts", models.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["broker_order_id"], ["sim_orders.broker_order_id"]),
        sa.PrimaryKeyConstraint("fill_id"),
    )
    op.create_index(
        op.f("ix_sim_leg_fills_broker_order_id"), "sim_leg_fills", ["broker_order_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sim_leg_fills_broker_order_id"), table_name="sim_leg_fills")
    op.drop_table("sim_leg_fills")
    op.drop_index(op.f("ix_sim_order_legs_symbol"), table_name="sim_order_legs")
    op.drop_table("sim_order_legs")
