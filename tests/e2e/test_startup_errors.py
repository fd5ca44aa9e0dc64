"""Start-up refuses with one clear line (exit 2), never a traceback, and never changes the
data it refuses: bad URLs and homes, unreadable, read-only, corrupted, damaged or newer
databases, non-finite amounts, a log level loguru knows, a venue refusing the login."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.e2e.startup_helpers import (
    as_user,
    assert_refused,
    cotrader,
    execute,
    fingerprint,
    fresh_db,
)
from tests.e2e.test_cli import CLI, env
from tests.fakes.tastytrade import FakeTastytrade

PG_PASSWORD = "pg-password-never-shown"


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        pytest.param(
            {"COTRADER_DATABASE_URL": "garbage"},
            "invalid setting: COTRADER_DATABASE_URL: not a database URL",
            id="garbage url",
        ),
        pytest.param(
            {"COTRADER_DATABASE_URL": f"postgresql+psycopg://u:{PG_PASSWORD}@127.0.0.1:1/db"},
            "cannot start: cannot reach the postgresql database at postgresql+psycopg://u:***@",
            id="unreachable postgresql",
        ),
        pytest.param(
            {"COTRADER_HOME": "/dev/null"},
            "cannot start: COTRADER_HOME=/dev/null is not a directory",
            id="home is a file",
        ),
        pytest.param(
            {"COTRADER_SIM_CASH": "1e400"},
            "invalid setting: COTRADER_SIM_CASH: Input should be a finite number",
            id="infinite cash",
        ),
    ],
)
def test_bad_places_and_numbers_are_one_line(
    tmp_path: Path, extra: dict[str, str], needle: str
) -> None:
    r = cotrader(tmp_path / "h", "chat", "--json", **extra)
    assert_refused(r, needle)
    assert r.stdout == "" and PG_PASSWORD not in r.stderr
    assert not (tmp_path / "h").exists()  # nothing was created before the refusal


def test_trace_log_level_starts(tmp_path: Path) -> None:
    r = cotrader(tmp_path / "h", "scan", "AAPL", "--json", COTRADER_LOG_LEVEL="TRACE")
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "h" / "logs" / "cotrader.log").stat().st_size > 0


def _corrupt_header(db: Path) -> None:
    db.write_bytes(b"this is not a database " * 300)


def _damage_a_page(db: Path) -> None:
    execute(
        db,
        *[
            "INSERT INTO events (ts, type, actor, context) VALUES "
            "('2026-01-01 00:00:00', 'test.row', 'tester', '{}')"
        ]
        * 3000,
    )
    with db.open("r+b") as f:
        pages = db.stat().st_size // 4096
        f.seek((pages - 3) * 4096 + 8)
        f.write(b"\xff" * 64)


def _newer_schema(db: Path) -> None:
    execute(db, "UPDATE alembic_version SET version_num = '9999_from_the_future'")


def _infinite_cash(db: Path) -> None:
    """What a start with COTRADER_SIM_CASH=1e400 used to leave: SQLite reads 1e999 as inf."""
    execute(
        db,
        "INSERT INTO sim_accounts (id, cash, starting_cash, created_at) "
        "VALUES ('sim', 1e999, 1e999, '2026-01-01 00:00:00')",
    )


@pytest.mark.parametrize(
    ("spoil", "needle"),
    [
        pytest.param(_corrupt_header, "is corrupted or not a SQLite database", id="corrupted"),
        pytest.param(_damage_a_page, "is damaged (quick_check:", id="damaged page"),
        pytest.param(_newer_schema, "schema revision '9999_from_the_future'", id="newer"),
        pytest.param(_infinite_cash, "amounts that are not finite", id="stored inf"),
    ],
)
def test_a_bad_database_is_refused_and_left_byte_identical(
    tmp_path: Path, spoil: object, needle: str
) -> None:
    home = tmp_path / "h"
    db = fresh_db(home)
    spoil(db)  # type: ignore[operator]
    before = fingerprint(home)
    r = cotrader(home, "chat", "--json")
    assert_refused(r, needle)
    assert fingerprint(home) == before


@pytest.mark.parametrize(
    ("mode", "target", "needle"),
    [
        pytest.param(0o555, "home", "is read-only (the log and the database", id="ro home"),
        pytest.param(0o444, "db", "is read-only: make it writable", id="ro db"),
        pytest.param(0o000, "db", "is not readable", id="unreadable db"),
        pytest.param(0o000, "home", "is not readable", id="unreadable home"),
    ],
)
def test_permissions_are_named(tmp_path: Path, mode: int, target: str, needle: str) -> None:
    prefix = as_user()
    home = tmp_path / "h"
    db = fresh_db(home)
    before = fingerprint(home)
    (home if target == "home" else db).chmod(mode)
    try:
        r = cotrader(home, "chat", "--json", prefix=prefix)
    finally:
        home.chmod(0o755)
        db.chmod(0o644)
    assert_refused(r, needle)
    assert fingerprint(home) == before


async def _run(home: Path, *args: str, **extra: str) -> tuple[int, str, str]:
    p = await asyncio.create_subprocess_exec(
        *CLI,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env(home, **extra),
    )
    out, err = await asyncio.wait_for(p.communicate(), 120)
    return p.returncode or 0, out.decode(), err.decode()


async def test_scan_and_analyze_refuse_when_the_venue_refuses_the_login(
    tmp_path: Path, tasty: FakeTastytrade
) -> None:
    venue = {
        "COTRADER_MODE": "paper",
        "COTRADER_BROKER": "tastytrade",
        "TT_SECRET": "wrong-provider-secret",
        "TT_REFRESH": tasty.refresh_token,
        "COTRADER_TASTYTRADE_API_BASE": tasty.base_url,
    }
    for args in (("scan", "--json"), ("analyze", "AAPL")):
        code, out, err = await _run(tmp_path / "h", *args, **venue)
        assert code == 2 and out == "", (args, code, err[-2000:])
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("cotrader: cannot start: PAPER tastytrade")
        assert "account could not be read" in err and "wrong-provider-secret" not in err
