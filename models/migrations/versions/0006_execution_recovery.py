"""execution recovery: the approval's lease, and the send/look-up bookkeeping of an order

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    s = sqlmodel.sql.sqltypes.AutoString
    with op.batch_alter_table("proposals") as b:
        b.add_column(sa.Column("lease_owner", s(), nullable=True))
        b.add_column(sa.Column("lease_until", models.db.UTCDateTime(), nullable=True))
    with op.batch_alter_table("orders") as b:
        b.add_column(sa.Column("sends", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("sent_at", models.db.UTCDateTime(), nullable=True))
        b.add_column(sa.Column("checks", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("next_check_at", models.db.UTCDateTime(), nullable=True))
        b.create_index("ix_orders_next_check_at", ["next_check_at"])
        b.create_index("ix_orders_submitted_at", ["submitted_at"])  # the day's trade count
    # an order row from before this revision that is still being sent was sent once
    op.execute("UPDATE orders SET sends = 1, sent_at = submitted_at WHERE status = 'pending_submit'")


def downgrade() -> None:
    with op.batch_alter_table("orders") as b:
        b.drop_index("ix_orders_submitted_at")
        b.drop_index("ix_orders_next_check_at")
        b.drop_column("next_check_at")
        b.drop_column("checks")
        b.drop_column("sent_at")
        b.drop_column("sends")
    with op.batch_alter_table("proposals") as b:
        b.drop_column("lease_until")
        b.drop_column("lease_owner")
