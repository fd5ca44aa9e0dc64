"""`cotrader doctor` names every start-up problem at once (one line each, exit 2), checks the
database's integrity, shows its kind, server version and reachability, never a password,
and changes nothing."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.startup_helpers import cotrader, execute, fingerprint, fresh_db

PASSWORD = "doctor-password-never-shown"


def rows(stdout: str) -> dict[str, str]:
    out = {}
    for line in stdout.splitlines():
        key, _, value = line.partition("  ")
        out[key.strip()] = value.strip()
    return out


def test_every_problem_at_once(tmp_path: Path) -> None:
    r = cotrader(
        tmp_path / "unused",
        "doctor",
        stdin="",
        COTRADER_HOME="/dev/null",
        COTRADER_SIM_CASH="1e400",
        COTRADER_DATABASE_URL=f"postgresql+psycopg://u:{PASSWORD}@127.0.0.1:1/db",
    )
    assert r.returncode == 2, r.stderr[-2000:]
    problems = [line for line in r.stdout.splitlines() if line.startswith("problem: ")]
    assert len(problems) == 3, r.stdout
    assert "COTRADER_SIM_CASH" in problems[0]
    assert "COTRADER_HOME=/dev/null is not a directory" in problems[1]
    assert "cannot reach the postgresql database" in problems[2]
    shown = rows(r.stdout)
    assert shown["database kind"] == "postgresql" and "UNREACHABLE" in shown["database server"]
    assert PASSWORD not in r.stdout + r.stderr and "Traceback" not in r.stderr


def test_a_healthy_fresh_home_is_fine_and_not_created(tmp_path: Path) -> None:
    r = cotrader(tmp_path / "h", "doctor", stdin="")
    assert r.returncode == 0, r.stdout + r.stderr
    shown = rows(r.stdout)
    assert shown["database kind"] == "sqlite" and "SQLite" in shown["database server"]
    assert "no problems found" in r.stdout
    assert not (tmp_path / "h").exists()


def test_a_damaged_database_is_named_and_left_as_it_was(tmp_path: Path) -> None:
    home = tmp_path / "h"
    db = fresh_db(home)
    execute(
        db,
        *[
            "INSERT INTO events (ts, type, actor, context) VALUES "
            "('2026-01-01 00:00:00', 'test.row', 'tester', '{}')"
        ]
        * 3000,
    )
    with db.open("r+b") as f:
        f.seek((db.stat().st_size // 4096 - 3) * 4096 + 8)
        f.write(b"\xff" * 64)
    before = fingerprint(home)
    r = cotrader(home, "doctor", stdin="")
    assert r.returncode == 2, r.stdout
    assert "out of range" in rows(r.stdout)["database integrity"]
    assert [p for p in r.stdout.splitlines() if p.startswith("problem: ") and "damaged" in p]
    assert fingerprint(home) == before


def test_postgresql_kind_version_and_reachability(pg_url: str, tmp_path: Path) -> None:
    with_password = pg_url.replace("postgres@", f"postgres:{PASSWORD}@", 1)
    assert PASSWORD in with_password  # trust auth ignores it; doctor must hide it
    r = cotrader(tmp_path / "h", "doctor", stdin="", COTRADER_DATABASE_URL=with_password)
    assert r.returncode == 0, r.stdout + r.stderr
    shown = rows(r.stdout)
    assert shown["database kind"] == "postgresql"
    assert shown["database server"].endswith("reachable") and shown["database server"][0].isdigit()
    assert shown["database schema"].startswith("none yet")
    assert PASSWORD not in r.stdout + r.stderr and "***" in shown["database"]
