"""the desk's risk state as its own column (no "REDUCING: " prefix on the pause reason)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX = "REDUCING: "


def _table(*extra: sa.Column) -> sa.TableClause:
    return sa.table(
        "system_state",
        sa.column("paused", sa.Boolean),
        sa.column("paused_reason", sa.String),
        sa.column("risk_state", sa.String),
        sa.column("risk_reason", sa.String),
        *extra,
    )


def upgrade() -> None:
    s = sqlmodel.sql.sqltypes.AutoString
    with op.batch_alter_table("system_state") as b:
        b.add_column(sa.Column("risk_state", s(), nullable=False, server_default="active"))
        b.add_column(sa.Column("risk_reason", s(), nullable=False, server_default=""))
    t = _table(sa.column("halted", sa.Boolean), sa.column("halted_reason", sa.String))
    op.execute(
        t.update()
        .where(t.c.halted == sa.true())
        .values(risk_state="halted", risk_reason=t.c.halted_reason)
    )
    reducing = t.c.paused_reason.like(PREFIX + "%")
    op.execute(  # REDUCING used to live on the pause, as a prefixed reason
        t.update()
        .where(t.c.halted == sa.false(), t.c.paused == sa.true(), reducing)
        .values(
            risk_state="reducing",
            risk_reason=sa.func.substr(t.c.paused_reason, len(PREFIX) + 1),
            paused=False,
            paused_reason="",
        )
    )
    op.execute(t.update().where(reducing).values(paused=False, paused_reason=""))
    with op.batch_alter_table("system_state") as b:
        b.drop_column("halted_reason")
        b.drop_column("halted")


def downgrade() -> None:
    s = sqlmodel.sql.sqltypes.AutoString
    with op.batch_alter_table("system_state") as b:
        b.add_column(sa.Column("halted", sa.Boolean(), nullable=False, server_default=sa.false()))
        b.add_column(sa.Column("halted_reason", s(), nullable=False, server_default=""))
    t = _table(sa.column("halted", sa.Boolean), sa.column("halted_reason", sa.String))
    op.execute(
        t.update()
        .where(t.c.risk_state == "halted")
        .values(halted=True, halted_reason=t.c.risk_reason)
    )
    op.execute(
        t.update()
        .where(t.c.risk_state == "reducing")
        .values(paused=True, paused_reason=PREFIX + t.c.risk_reason)
    )
    with op.batch_alter_table("system_state") as b:
        b.drop_column("risk_reason")
        b.drop_column("risk_state")
