"""Approval -> simulated fill latency, in-process: each `orchestrator.approve` timed alone,
on SQLite and on a local PostgreSQL in one run.

Proposals are made in batches of distinct symbols (one per universe symbol), and each batch
is approved before the next is made: a new proposal supersedes an older pending one on the
same symbol, so making all N first would leave only one approvable proposal per symbol.
"""

from __future__ import annotations

import asyncio
import time

import _common as c

N = 300
TARGET_P99_MS = 20.0
# Generous limits so that neither the proposal nor the re-check at the click is refused.
OVERRIDES: dict[str, object] = {
    "max_open_positions": 500,
    "max_position_pct": 100.0,
    "risk_per_trade_pct": 1.0,
    "max_risk_per_trade_pct": 20.0,
    "daily_loss_limit_pct": 100.0,
    "max_trades_per_day": 100_000,
}


async def measure(n: int = N, database_url: str | None = None) -> dict[str, object]:
    """Propose/approve n trades of 1 share; returns latency figures in ms."""
    from agents.errors import CotraderError, RiskRefused
    from models.domain import Actor

    actor = Actor(id="bench:approver", name="bench", can_approve=True)
    approve_ms: list[float] = []
    propose_ms: list[float] = []
    statuses: dict[str, int] = {}
    skipped = failed = 0
    with c.temp_home() as home:
        extra = {"database_url": database_url} if database_url else {}
        app = c.build_app(home, **OVERRIDES, **extra)
        try:
            orch = app.orchestrator
            universe = orch.universe()
            made = 0
            while made < n:
                batch: list[str] = []
                for sym in universe[: n - made]:
                    t0 = time.perf_counter_ns()
                    try:
                        card = await orch.propose(sym, "buy", 1, actor)
                    except RiskRefused:
                        skipped += 1
                        continue
                    finally:
                        made += 1
                    propose_ms.append(c.ms(time.perf_counter_ns() - t0))
                    batch.append(card.id)
                for pid in batch:
                    t0 = time.perf_counter_ns()
                    try:
                        card = await orch.approve(pid, actor)
                    except CotraderError:
                        failed += 1
                        continue
                    finally:
                        approve_ms.append(c.ms(time.perf_counter_ns() - t0))
                    statuses[card.status] = statuses.get(card.status, 0) + 1
            positions = len(app.store.ledger.positions())
        finally:
            c.close_app(app)
    p99 = c.percentile(approve_ms, 99)
    return {
        "count": len(approve_ms),
        "p50_ms": c.rnd(c.percentile(approve_ms, 50)),
        "p90_ms": c.rnd(c.percentile(approve_ms, 90)),
        "p99_ms": c.rnd(p99),
        "max_ms": c.rnd(max(approve_ms, default=float("nan"))),
        "first_ms": c.rnd(approve_ms[0] if approve_ms else float("nan")),
        "filled": statuses.get("filled", 0),
        "statuses": statuses,
        "approve_errors": failed,
        "propose_refused": skipped,
        "propose_p50_ms": c.rnd(c.percentile(propose_ms, 50)),
        "open_positions_after": positions,
    }


def main() -> None:
    figures: dict[str, object] = {"sqlite": asyncio.run(measure())}
    try:
        with c.postgres_database() as url:
            figures["postgresql"] = asyncio.run(measure(database_url=url))
    except Exception as e:  # no server binaries: the SQLite figure still stands
        figures["postgresql"] = {"error": str(e)[:300]}
    ok = True
    for db in ("sqlite", "postgresql"):
        f = figures[db]
        assert isinstance(f, dict)
        p99 = f.get("p99_ms")
        ok = ok and isinstance(p99, float) and p99 < TARGET_P99_MS and f.get("count") == N
    c.emit(
        "approval_latency",
        figures,
        {"sqlite.p99_ms": f"< {TARGET_P99_MS:g}", "postgresql.p99_ms": f"< {TARGET_P99_MS:g}"},
        ok=ok,
    )


if __name__ == "__main__":
    main()
