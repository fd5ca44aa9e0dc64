"""Read-only checks of a database before anything opens it for writing.

`check_database(url)` says what kind of database it is, whether it is reachable, its server
version and schema revision, and names every problem that would make a start fail or write
into something it should not: an unparseable URL, a missing driver, an unreachable server, a
file that is unreadable, read-only, a directory or not a database, a schema written by a
newer version, another program's tables, amounts that are not finite. Nothing is written:
SQLite files are opened read-only by the standard library (no WAL switch, no journal), and a
server is only asked questions. Messages never carry the URL's password.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from models.db import MIGRATIONS_DIR

Query = Callable[[str], list[tuple[Any, ...]]]
# a finite amount, as SQL: NaN and ±Infinity fail it (NULL is left alone)
FINITE = "BETWEEN -1e300 AND 1e300"
# files up to this size get PRAGMA quick_check at every start (~2 ms a MB); larger ones
# only from `cotrader doctor`
QUICK_CHECK_AT_START = 64 * 1024 * 1024
ASIDE = "move it aside to start afresh, or point COTRADER_DATABASE_URL at another database"


@dataclass
class DbReport:
    """What `check_database` found; `problems` holds one sentence per problem."""

    kind: str  # "sqlite", "postgresql", ... ("unknown" when the URL does not parse)
    where: str  # the URL with its password hidden
    exists: bool = False  # the file (or the server's database) is there already
    reachable: bool | None = None  # servers only: could we connect
    server_version: str | None = None
    revision: str | None = None
    integrity: str | None = None  # "ok" or what PRAGMA quick_check found (when asked)
    problems: list[str] = field(default_factory=list)


@cache
def known_revisions() -> frozenset[str]:
    """Every schema revision this version's migrations know."""
    from alembic.script import ScriptDirectory

    return frozenset(r.revision for r in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions())


@cache
def head_revisions() -> frozenset[str]:
    """The newest schema revision(s): what a start upgrades to."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def check_database(
    url: str, *, integrity_up_to: float = QUICK_CHECK_AT_START, timeout_s: float = 5.0
) -> DbReport:
    """Everything wrong with the database at `url`, without changing it. A SQLite file of
    at most `integrity_up_to` bytes also gets PRAGMA quick_check, which reads all of it
    (`cotrader doctor` checks every size)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        u = make_url(url)
    except (ArgumentError, ValueError):
        return DbReport(
            "unknown",
            "(unparseable URL)",
            problems=[
                "COTRADER_DATABASE_URL is not a database URL (sqlite:///… or postgresql://…)"
            ],
        )
    report = DbReport(u.get_backend_name(), u.render_as_string(hide_password=True))
    if report.kind == "sqlite":
        _check_sqlite(u.database or "", report, integrity_up_to)
    else:
        _check_server(url, report, timeout_s)
    return report


# ---------------------------------------------------------------- SQLite
def _check_sqlite(database: str, report: DbReport, integrity_up_to: float) -> None:
    report.server_version = f"SQLite {sqlite3.sqlite_version}"
    if database in ("", ":memory:") or database.startswith("file:"):
        return  # in memory (or a URI we leave to SQLite itself)
    path = Path(database)
    if not path.exists():
        _check_creatable(path, report)
        return
    report.exists = True
    if path.is_dir():
        report.problems.append(f"the database {path} is a directory, not a database file")
        return
    if not os.access(path, os.R_OK):
        report.problems.append(
            f"the database file {path} is not readable: fix its permissions (chmod u+rw) "
            "or point COTRADER_DATABASE_URL elsewhere"
        )
        return
    if not os.access(path, os.W_OK):
        report.problems.append(
            f"the database file {path} is read-only: make it writable (chmod u+w) "
            "or point COTRADER_DATABASE_URL elsewhere"
        )
    parent = path.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        report.problems.append(
            f"the directory {parent} of the database is read-only (SQLite writes its "
            "journal next to the file): make it writable or move the database"
        )
    # No -wal beside it: nobody has it open, so read it as immutable (no -wal/-shm files
    # created next to it). With one: in use, read it through the existing ones.
    in_use = Path(f"{path}-wal").exists()
    query = "mode=ro" if in_use else "mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?{query}", uri=True, timeout=5)
    except sqlite3.Error as e:
        report.problems.append(f"the database file {path} cannot be opened ({e})")
        return
    try:
        _check_contents(_sqlite_query(conn), _sqlite_tables(conn), report)
        if path.stat().st_size <= integrity_up_to:
            rows = conn.execute("PRAGMA quick_check(5)").fetchall()
            found = [
                line.strip()
                for r in rows
                for line in str(r[0]).splitlines()
                if line.strip() and not line.startswith("***")
            ]
            report.integrity = "ok" if found == ["ok"] else "; ".join(found[:2])[:200]
            if report.integrity != "ok":
                report.problems.append(
                    f"the database file {path} is damaged (quick_check: {report.integrity}): "
                    f"restore it from a backup or {ASIDE}; it was left as it was"
                )
    except sqlite3.DatabaseError as e:
        report.problems.append(
            f"the database file {path} is corrupted or not a SQLite database ({e}): restore "
            f"it from a backup or {ASIDE}; it was left as it was"
        )
    finally:
        conn.close()


def _check_creatable(path: Path, report: DbReport) -> None:
    """A database file that does not exist yet: can it be created where it is meant to be?"""
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        report.problems.append(
            f"the database {path} cannot be created: {ancestor} is not a directory"
        )
    elif not os.access(ancestor, os.W_OK | os.X_OK):
        report.problems.append(f"the database {path} cannot be created: {ancestor} is not writable")


def _sqlite_query(conn: sqlite3.Connection) -> Query:
    return lambda sql: conn.execute(sql).fetchall()


def _sqlite_tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {str(r[0]) for r in rows if not str(r[0]).startswith("sqlite_")}


# ---------------------------------------------------------------- servers
def _check_server(url: str, report: DbReport, timeout_s: float) -> None:
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.exc import DBAPIError, NoSuchModuleError
    from sqlalchemy.pool import NullPool

    args: dict[str, Any] = {}
    if report.kind == "postgresql":
        args["connect_timeout"] = max(1, int(timeout_s))
    try:
        engine = create_engine(url, poolclass=NullPool, connect_args=args)
    except (NoSuchModuleError, ImportError) as e:
        report.problems.append(
            f"COTRADER_DATABASE_URL needs a database driver that is not installed ({e})"
        )
        return
    try:
        with engine.connect() as conn:
            report.reachable = True
            report.exists = True
            if report.kind == "postgresql":
                report.server_version = str(conn.exec_driver_sql("SHOW server_version").scalar())
            else:
                info = conn.dialect.server_version_info
                report.server_version = ".".join(map(str, info)) if info else None
            tables = set(inspect(conn).get_table_names())

            def query(sql: str) -> list[tuple[Any, ...]]:
                return [tuple(r) for r in conn.exec_driver_sql(sql).fetchall()]

            _check_contents(query, tables, report)
    except DBAPIError as e:
        report.reachable = False
        reason = str(e.orig).strip().splitlines()[0] if e.orig else type(e).__name__
        report.problems.append(
            f"cannot reach the {report.kind} database at {report.where} ({reason[:200]}): "
            "start the server, or fix COTRADER_DATABASE_URL"
        )
    finally:
        engine.dispose()


# ---------------------------------------------------------------- contents
def _check_contents(query: Query, tables: set[str], report: DbReport) -> None:
    """The schema revision and stored amounts, through any connection's `query`."""
    where = report.where
    if "alembic_version" in tables:
        revs = [str(r[0]) for r in query("SELECT version_num FROM alembic_version")]
        report.revision = ", ".join(revs) or None
        unknown = [r for r in revs if r not in known_revisions()]
        if unknown:
            report.problems.append(
                f"the database at {where} has schema revision {unknown[0]!r}, which this "
                "cotrader does not know (a newer version wrote it): upgrade cotrader, or "
                "point COTRADER_DATABASE_URL at another database; it was left unchanged"
            )
            return
    elif tables:
        report.problems.append(
            f"the database at {where} holds other tables ({', '.join(sorted(tables)[:3])}) "
            "but no cotrader schema: point COTRADER_DATABASE_URL at cotrader's own database"
        )
        return
    bad: list[str] = []
    if "sim_accounts" in tables:
        rows = query(
            "SELECT id, cash, starting_cash FROM sim_accounts "
            f"WHERE NOT (cash {FINITE} AND starting_cash {FINITE})"
        )
        bad += [f"simulator account {r[0]!r} has cash {r[1]}" for r in rows]
    if "account_snapshots" in tables:
        n = query(
            "SELECT count(*) FROM account_snapshots WHERE NOT "
            f"(cash {FINITE} AND equity {FINITE} AND buying_power {FINITE})"
        )[0][0]
        if n:
            bad.append(f"{n} account snapshot(s) are not finite")
    if bad:
        report.problems.append(
            f"the database at {where} holds amounts that are not finite numbers "
            f"({'; '.join(bad)}), e.g. from an earlier COTRADER_SIM_CASH=1e400: {ASIDE}; "
            "it was left unchanged"
        )
