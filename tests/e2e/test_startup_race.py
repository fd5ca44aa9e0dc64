"""First starts at the same moment on a fresh database wait for each other's migration
(SQLite: a file lock and the write lock up front; PostgreSQL: an advisory lock) instead of
one dying with "database is locked" or a duplicate table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.startup_helpers import cotrader
from tests.e2e.test_cli import CLI, env

ROOT = str(Path(__file__).resolve().parents[2])
# Each worker opens the store, waits until all are ready, then upgrades: the upgrades
# start within a millisecond of each other.
WORKER = """
import os, sys, time
sys.path.insert(0, {root!r})
from models.store import Store
url, ready, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = Store(url)
open(os.path.join(ready, str(os.getpid())), "w").close()
while len(os.listdir(ready)) < n:
    time.sleep(0.001)
store.upgrade()
store.dispose()
"""


def race(url: str, ready: Path, n: int = 6) -> list[str]:
    """`n` processes upgrade `url` at once; the last line of each one that failed."""
    ready.mkdir(parents=True)
    code = WORKER.format(root=ROOT)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, url, str(ready), str(n)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    failed = []
    for p in procs:
        _, err = p.communicate(timeout=120)
        if p.returncode:
            failed.append((err.strip().splitlines() or ["?"])[-1])
    return failed


def test_concurrent_first_migrations_on_sqlite(tmp_path: Path) -> None:
    for attempt in range(2):
        db = tmp_path / f"db{attempt}" / "cotrader.db"
        assert race(f"sqlite:///{db}", tmp_path / f"ready{attempt}") == []


def test_concurrent_first_migrations_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    assert race(pg_url, tmp_path / "ready") == []


def test_two_chats_on_a_fresh_home_both_start(tmp_path: Path) -> None:
    home = tmp_path / "h"
    procs = [
        subprocess.Popen(
            [*CLI, "chat", "--json"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env(home),
        )
        for _ in range(2)
    ]
    for p in procs:
        out, err = p.communicate("/quit\n", timeout=120)
        assert p.returncode == 0, err[-2000:]
        assert '"kind": "ready"' in out and "locked" not in err
    assert cotrader(home, "db", "upgrade", stdin="").returncode == 0
