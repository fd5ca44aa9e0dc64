"""Shared by the start-up tests: run `cotrader` as a process, build and damage databases,
and assert the one-line refusal (exit 2, `cotrader: ...` on stderr, nothing changed)."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from models.store import Store
from tests.e2e.test_cli import CLI, env

# Root ignores file permissions; drop those two capabilities so "read-only" means it.
NO_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]


def as_user() -> list[str]:
    """A prefix that makes permission bits bind (empty when we are not root)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permission bits do not bind")
    return NO_DAC


def cotrader(
    home: Path, *args: str, stdin: str = "/quit\n", prefix: list[str] | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(prefix or []), *CLI, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env(home, **extra),
    )


def assert_refused(r: subprocess.CompletedProcess[str], needle: str) -> None:
    """Exit 2, every stderr line a `cotrader: ...` sentence naming `needle`, no traceback."""
    assert r.returncode == 2, (r.returncode, r.stdout[-500:], r.stderr[-2000:])
    lines = r.stderr.strip().splitlines()
    assert lines and all(line.startswith("cotrader: ") for line in lines), r.stderr[-2000:]
    assert needle in r.stderr, r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def fresh_db(home: Path) -> Path:
    """The default SQLite database of `home`, created and migrated (no app, no process)."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "cotrader-sim.db"
    store = Store(f"sqlite:///{path}")
    store.upgrade()
    store.dispose()
    return path


def fingerprint(directory: Path) -> dict[str, str]:
    """Every file under `directory` (logs aside) with the hash of its bytes."""
    return {
        str(f.relative_to(directory)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(directory.rglob("*"))
        if f.is_file() and "logs" not in f.parts
    }


def execute(path: Path, *sql: str) -> None:
    with sqlite3.connect(path) as conn:
        for statement in sql:
            conn.execute(statement)
    conn.close()
