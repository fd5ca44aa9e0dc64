"""Twenty processes on one database (SQLite and PostgreSQL) approve the same proposal at the
same moment: exactly one order, one fill, one position; the other nineteen are refused.

Each process is a real OS process that builds its own co-trader (`bot.app.build`: its own
engine and connections, broker and orchestrator) on the shared database, as twenty
`cotrader` instances would. To keep start-up cheap a helper process imports the code once,
then forks the twenty (`python -m tests.e2e.test_many_processes`); they wait at a barrier
and click Approve together.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.app import App
from models.domain import Actor
from models.sim_tables import SimFill, SimOrder
from models.tables import Fill, Order
from tests.conftest import Clock
from tests.e2e.test_cli import env

PROCESSES = 20


def _approver(url: str, pid: str, t0: str, i: int, barrier: Any, out: Any) -> None:
    """One forked instance: build the app on `url`, wait for the others, approve `pid`."""
    from agents.errors import NotPending
    from bot.app import build
    from bot.settings import load_settings

    at = datetime.fromisoformat(t0)
    app = build(load_settings(database_url=url), clock=lambda: at, market_clock=lambda: at)
    who = Actor(id=f"user:{i}", name=f"trader{i}", can_approve=True)
    try:
        barrier.wait(timeout=120)
        try:
            card = asyncio.run(app.orchestrator.approve(pid, who))
            outcome = card.status
        except NotPending:
            outcome = "refused"
        except Exception as e:  # reported to the test, which fails on it
            outcome = f"error:{type(e).__name__}:{e}"
    finally:
        app.close()
    out.put((i, os.getpid(), outcome))


def main(url: str, pid: str, t0: str, n: int) -> None:
    """Fork `n` approvers and print their (index, pid, outcome) as one JSON line."""
    ctx = mp.get_context("fork")
    barrier, out = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_approver, args=(url, pid, t0, i, barrier, out)) for i in range(n)]
    for p in procs:
        p.start()
    results = [out.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    codes = [p.exitcode for p in procs]
    print(json.dumps({"results": results, "exitcodes": codes}))


@pytest.mark.slow
def test_twenty_processes_approve_one_proposal_once(
    make_app: Callable[..., App], clock: Clock, trader: Actor, db_url: str, tmp_path: Path
) -> None:
    first = make_app(clock, database_url=db_url)
    card = asyncio.run(first.orchestrator.propose("AAPL", "buy", 3, trader))
    run = subprocess.run(
        [sys.executable, "-m", "tests.e2e.test_many_processes", db_url, card.id],
        env=env(tmp_path / "home", T0=clock().isoformat(), N=str(PROCESSES)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    outcomes = [o for _, _, o in report["results"]]
    assert sorted(set(outcomes)) == ["filled", "refused"], outcomes
    assert outcomes.count("filled") == 1
    assert len({pid for _, pid, _ in report["results"]}) == PROCESSES  # twenty processes
    assert report["exitcodes"] == [0] * PROCESSES
    with first.store.session() as s:
        # one entry at each end, plus the one protective pair the venue placed when it filled
        for table in (Order, SimOrder):
            ids = sorted(r.client_order_id for r in s.exec(select(table)).all())
            assert ids == [card.id, f"{card.id}-sl", f"{card.id}-tp"], ids
        assert len(s.exec(select(Fill)).all()) == 1
        assert len(s.exec(select(SimFill)).all()) == 1
    assert [(p.symbol, p.quantity) for p in first.store.ledger.positions()] == [("AAPL", 3)]
    events = first.store.events.for_proposal(card.id)
    assert [e.type for e in events].count("proposal.approved") == 1
    assert first.orchestrator.proposal(card.id).status == "filled"


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], os.environ["T0"], int(os.environ["N"]))
