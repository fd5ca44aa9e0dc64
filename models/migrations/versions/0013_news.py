"""news_items, news_symbols, news_alerts: the news agent's headlines, the symbols each names,
and the alerts raised once per headline and held symbol

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    s = sqlmodel.sql.sqltypes.AutoString
    ts = models.db.UTCDateTime
    op.create_table(
        "news_items",
        sa.Column("id", s(), nullable=False),
        sa.Column("source", s(), nullable=False),
        sa.Column("headline", s(), nullable=False),
        sa.Column("summary", s(), nullable=False),
        sa.Column("url", s(), nullable=False),
        sa.Column("author", s(), nullable=False),
        sa.Column("symbols", s(), nullable=False),
        sa.Column("created_at", ts(), nullable=False),
        sa.Column("stored_at", ts(), nullable=False),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("norm", s(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("label", s(), nullable=False),
        sa.Column("why", s(), nullable=False),
        sa.Column("scorer", s(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_news_items_created_at", "news_items", ["created_at"], unique=False)
    op.create_index("ix_news_items_norm_created", "news_items", ["norm", "created_at"])
    op.create_table(
        "news_symbols",
        sa.Column("news_id", s(), nullable=False),
        sa.Column("symbol", s(), nullable=False),
        sa.Column("created_at", ts(), nullable=False),
        sa.ForeignKeyConstraint(["news_id"], ["news_items.id"]),
        sa.PrimaryKeyConstraint("news_id", "symbol"),
    )
    op.create_index("ix_news_symbols_symbol_created", "news_symbols", ["symbol", "created_at"])
    op.create_table(
        "news_alerts",
        sa.Column("news_id", s(), nullable=False),
        sa.Column("symbol", s(), nullable=False),
        sa.Column("at", ts(), nullable=False),
        sa.ForeignKeyConstraint(["news_id"], ["news_items.id"]),
        sa.PrimaryKeyConstraint("news_id", "symbol"),
    )


def downgrade() -> None:
    op.drop_table("news_alerts")
    op.drop_index("ix_news_symbols_symbol_created", table_name="news_symbols")
    op.drop_table("news_symbols")
    op.drop_index("ix_news_items_norm_created", table_name="news_items")
    op.drop_index("ix_news_items_created_at", table_name="news_items")
    op.drop_table("news_items")
