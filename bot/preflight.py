"""Start-up checks for the `cotrader` commands: one clear line per problem, never a traceback.

`problems(settings)` reads (never writes) the home directory and the database and names what
would stop a start or poison the home; `open_app(settings)` runs those checks, sets up the
log and builds the app, turning whatever still goes wrong (a server gone in between, a full
disk) into StartError lines. Every line passes the redactor.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from bot.logs import configure_redaction, redact

if TYPE_CHECKING:
    from agents.orchestrator import Orchestrator
    from bot.app import App
    from bot.settings import Settings
    from models.db_check import DbReport


class StartError(Exception):
    """The app cannot start; `lines` says why, one problem a line (redacted)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = [redact(line) for line in lines]
        super().__init__("\n".join(self.lines))


def home_problems(home: Path) -> list[str]:
    """What stops COTRADER_HOME (and its logs/) from being used; nothing is created."""
    name = f"COTRADER_HOME={home}"
    if home.exists():
        if not home.is_dir():
            return [f"{name} is not a directory: point COTRADER_HOME at a directory"]
        if not os.access(home, os.R_OK | os.X_OK):
            return [f"{name} is not readable: fix its permissions or choose another directory"]
        if not os.access(home, os.W_OK):
            return [
                f"{name} is read-only (the log and the database live there): make it "
                "writable or choose another directory"
            ]
        logs = home / "logs"
        if logs.exists() and not logs.is_dir():
            return [f"{logs} is not a directory: move it aside (the log is written there)"]
        if logs.is_dir() and not os.access(logs, os.W_OK | os.X_OK):
            return [f"{logs} is read-only: make it writable (the log is written there)"]
        log = logs / "cotrader.log"
        if log.exists() and not os.access(log, os.W_OK):
            return [f"{log} is read-only: make it writable or move it aside"]
        return []
    ancestor = home.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        return [f"{name} cannot be created: {ancestor} is not a writable directory"]
    return []


def database_report(settings: Settings, full: bool = False) -> DbReport:
    """The read-only database check (see models.db_check); `full` runs SQLite's integrity
    check whatever the file's size."""
    from models.db_check import QUICK_CHECK_AT_START, check_database

    return check_database(
        settings.db_url, integrity_up_to=math.inf if full else QUICK_CHECK_AT_START
    )


def problems(settings: Settings, full: bool = False) -> list[str]:
    """Every problem with the home and the database, one line each (redacted)."""
    configure_redaction(settings.secrets())
    found = home_problems(settings.home_dir)
    if not found or settings.database_url:  # the default database lives in the home
        found += database_report(settings, full).problems
    return [redact(p) for p in found]


def open_app(settings: Settings, console_logs: bool = False) -> App:
    """Check, set up logging, build: the App, or StartError naming each problem."""
    from bot.app import build
    from bot.logs import setup_logging

    found = problems(settings)
    if found:
        raise StartError(found)
    try:
        setup_logging(settings.home_dir, settings.log_level, settings.secrets(), console_logs)
    except OSError as e:
        home = settings.home_dir
        raise StartError([f"cannot write the log under {home}: {_os_reason(e)}"]) from None
    with start_errors(settings):
        return build(settings)
    raise AssertionError("unreachable")  # pragma: no cover (start_errors re-raises)


def upgrade_database(settings: Settings) -> None:
    """`cotrader db upgrade`: the same checks, then the migrations (under their lock)."""
    from bot.app import upgrade_store

    found = problems(settings)
    if found:
        raise StartError(found)
    with start_errors(settings):
        settings.home_dir.mkdir(parents=True, exist_ok=True)
        upgrade_store(settings.db_url)


@contextmanager
def start_errors(settings: Settings) -> Iterator[None]:
    """Turn what opening the app can raise into StartError lines."""
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from bot.settings import SettingsError
    from models.db import SchemaTooNew

    try:
        yield
    except SettingsError as e:
        raise StartError(e.lines) from None
    except SchemaTooNew as e:
        raise StartError([str(e)]) from None
    except (SQLAlchemyError, CommandError) as e:
        raise StartError([_database_failure(settings, e)]) from None
    except OSError as e:
        raise StartError([f"cannot open the database: {_os_reason(e)}"]) from None


def safe_url(url: str) -> str:
    """A database URL with any password masked."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"


def _os_reason(e: OSError) -> str:
    where = f"{e.filename}: " if e.filename else ""
    return f"{where}{e.strerror or e}"


def _database_failure(settings: Settings, e: Exception) -> str:
    from sqlalchemy.exc import DBAPIError

    orig = e.orig if isinstance(e, DBAPIError) and e.orig is not None else e
    reason = (str(orig).strip().splitlines() or [type(e).__name__])[0][:200]
    return (
        f"the database at {safe_url(settings.db_url)} failed ({reason}): run `cotrader doctor`, "
        "which checks it without changing it"
    )


async def venue_problem(orch: Orchestrator) -> str | None:
    """None when the broker reads its account with these credentials, else why not (the
    same check a chat or the bot makes before it starts)."""
    from agents.errors import StartupRefused

    try:
        await orch.check_venue()
    except StartupRefused as e:
        return redact(str(e))
    return None
