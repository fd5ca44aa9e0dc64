"""Alembic environment: runs against a connection handed in, or the configured URL."""

from __future__ import annotations

import os

from alembic import context
from sqlmodel import SQLModel

import models.bar_tables
import models.broker_tables
import models.frontend_tables
import models.iv_tables
import models.learning_tables
import models.llm_tables
import models.monitor_tables
import models.news_tables
import models.sim_tables
import models.tables  # noqa: F401  (registers the tables)
from models.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    env = os.environ.get("COTRADER_DATABASE_URL")
    if env:
        return env
    home = os.path.expanduser(os.environ.get("COTRADER_HOME", "~/.cotrader"))
    return f"sqlite:///{home}/cotrader-sim.db"


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    conn = config.attributes.get("connection")
    if conn is not None:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
