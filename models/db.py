"""Engine creation (SQLite in WAL mode by default, any SQLAlchemy URL) and schema upgrades."""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, String, event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back an aware UTC datetime (SQLite drops the zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC time")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class EnumText(TypeDecorator[StrEnum]):
    """A string enum stored as its text value and read back as the enum."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.enum(value)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for an in-memory or URI-style database."""
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _wal(cur: Any) -> None:
    """Put the database in WAL mode (persistent: only a fresh file needs it). Turning it on
    wants the file to itself and SQLite may answer "locked" at once, without waiting, while
    another connection is opening it: wait and try again."""
    if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    for attempt in range(200):
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or attempt == 199:
                raise
            time.sleep(0.05)


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        path = sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # transactions are begun by the hook below
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            _wal(cur)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # Writers (engine.execution_options(begin="IMMEDIATE")) take the write lock up
            # front, so a read-modify-write transaction never interleaves with another's
            # (no lost update, no lock-upgrade deadlock); readers begin deferred and, in WAL
            # mode, never block or wait.
            mode = conn.get_execution_options().get("begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine

    def _json(value: Any) -> str:
        # JSON has no NaN or Infinity: PostgreSQL refuses them where SQLite stores them, so
        # a non-finite number in an event's context or a proposal's facts is stored as null.
        try:
            return json.dumps(value, allow_nan=False)
        except ValueError:

            def finite(v: Any) -> Any:
                if isinstance(v, float):
                    return v if math.isfinite(v) else None
                if isinstance(v, dict):
                    return {k: finite(x) for k, x in v.items()}
                if isinstance(v, list | tuple):
                    return [finite(x) for x in v]
                return v

            return json.dumps(finite(value), allow_nan=False)

    engine = create_engine(url, pool_pre_ping=True, json_serializer=_json)
    if engine.dialect.name == "postgresql":
        write_lock = 0x636F_7472_5752_4954  # the writers' advisory lock key ("cotrWRIT")

        @event.listens_for(engine, "begin")
        def _pg_begin(conn: Any) -> None:
            # The same contract as SQLite's BEGIN IMMEDIATE: a writer's read-modify-write
            # runs alone among writers (of every instance on this database) until it commits
            # or rolls back; readers and compare-and-set UPDATEs never wait for it. A writer
            # waits at most 30 s for the lock, as SQLite's busy timeout.
            if conn.get_execution_options().get("begin") == "IMMEDIATE":
                conn.exec_driver_sql(  # one round trip for both
                    "SELECT set_config('lock_timeout', '30s', true), "
                    f"pg_advisory_xact_lock({write_lock})"
                )

    return engine


class SchemaTooNew(Exception):
    """The database carries a schema revision these migrations do not know."""

    def __init__(self, revision: str) -> None:
        super().__init__(
            f"the database has schema revision {revision!r}, which this cotrader does not know "
            "(a newer version wrote it): upgrade cotrader, or point COTRADER_DATABASE_URL at "
            "another database; it was left unchanged"
        )
        self.revision = revision


MIGRATION_LOCK_KEY = 0x636F7472  # "cotr": PostgreSQL advisory lock held while migrating


def upgrade_schema(url: str, engine: Engine | None = None) -> None:
    """Bring the database at `url` to the newest migration (idempotent).

    Concurrent callers (two first starts at once) wait for each other: on SQLite an
    exclusive file lock next to the database, and the write lock taken up front; on
    PostgreSQL an advisory lock for the transaction. The revision is read again under the
    lock, so whoever comes second finds nothing to do. A revision newer than these
    migrations raises SchemaTooNew before anything is changed."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    eng = engine or make_engine(url)
    sqlite = eng.dialect.name == "sqlite"
    writer = eng.execution_options(begin="IMMEDIATE") if sqlite else eng
    try:
        with _file_lock(url if sqlite else None), writer.begin() as conn:
            if eng.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
            current = _current_heads(conn)
            if current == _heads():
                return
            from models.db_check import known_revisions

            unknown = sorted(current - known_revisions())
            if unknown:
                raise SchemaTooNew(unknown[0])
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        if engine is None:
            eng.dispose()


@contextmanager
def _file_lock(url: str | None) -> Iterator[None]:
    """An exclusive lock on `<database>.lock` (SQLite files; a no-op otherwise, and where
    the platform has no fcntl)."""
    path = sqlite_file(url) if url else None
    try:
        import fcntl
    except ImportError:  # Windows: BEGIN IMMEDIATE alone serialises the upgrade
        fcntl = None  # type: ignore[assignment]
    if path is None or fcntl is None:
        yield
        return
    with open(f"{path}.lock", "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _heads() -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def _current_heads(conn: Connection) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    return set(MigrationContext.configure(conn).get_current_heads())


def schema_is_current(engine: Engine) -> bool:
    """True when the database already carries the newest revision (fast path at start-up)."""
    with engine.connect() as conn:
        return _current_heads(conn) == _heads()
