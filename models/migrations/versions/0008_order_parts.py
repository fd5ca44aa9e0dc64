"""every part of an order: time in force, protective children (stop/target) in our books
and the simulator's, realised P&L per fill

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    s = sqlmodel.sql.sqltypes.AutoString
    with op.batch_alter_table("proposals") as b:
        b.add_column(sa.Column("time_in_force", s(), nullable=False, server_default="day"))
    with op.batch_alter_table("orders") as b:
        b.add_column(sa.Column("time_in_force", s(), nullable=False, server_default="day"))
        b.add_column(sa.Column("role", s(), nullable=False, server_default="main"))
    with op.batch_alter_table("fills") as b:
        b.add_column(sa.Column("realized_pnl", sa.Float(), nullable=False, server_default="0"))
    with op.batch_alter_table("sim_orders") as b:
        b.add_column(sa.Column("time_in_force", s(), nullable=False, server_default="day"))
        b.add_column(sa.Column("role", s(), nullable=False, server_default="main"))
        b.add_column(sa.Column("parent_client_id", s(), nullable=True))
        b.add_column(sa.Column("take_profit", sa.Float(), nullable=True))
        b.add_column(sa.Column("stop_loss", sa.Float(), nullable=True))
        b.add_column(sa.Column("oco", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("sim_orders") as b:
        for c in ("oco", "stop_loss", "take_profit", "parent_client_id", "role", "time_in_force"):
            b.drop_column(c)
    with op.batch_alter_table("fills") as b:
        b.drop_column("realized_pnl")
    with op.batch_alter_table("orders") as b:
        b.drop_column("role")
        b.drop_column("time_in_force")
    with op.batch_alter_table("proposals") as b:
        b.drop_column("time_in_force")
