"""Restart -> every in-flight approval resolved, in-process, on SQLite and a local PostgreSQL.

N approvals are interrupted (a third each: approved with no order; the order row written and
nothing sent; sent and filled at the simulated venue but not booked), the app is closed like
a crashed process, and a new app is built and started. Figures: the start-up's recovery pass
alone, and build + start (schema check, recovery, reconciliation) until every one of them
is filled.
"""

from __future__ import annotations

import asyncio
import time

import _common as c

N = 60
POINTS = ("approve.before_order", "approve.after_order", "approve.after_submit")
OVERRIDES: dict[str, object] = {
    "max_open_positions": 500,
    "max_position_pct": 100.0,
    "max_risk_per_trade_pct": 20.0,
    "daily_loss_limit_pct": 100.0,
    "max_trades_per_day": 100_000,
    "max_positions_per_symbol": 100,
    "max_sector_pct": 100.0,
    "scheduler": False,  # the scheduled jobs are not part of a recovery
}


async def interrupt(app: object, n: int) -> list[str]:
    """Approve n one-share proposals, each cut short at one of the failpoints."""
    from agents import failpoints
    from models.domain import Actor

    o = app.orchestrator  # type: ignore[attr-defined]
    actor = Actor(id="bench:approver", name="bench", can_approve=True)
    universe = o.universe()
    ids: list[str] = []
    for i in range(n):
        card = await o.propose(universe[i % len(universe)], "buy", 1, actor)
        failpoints.arm(f"{POINTS[i % len(POINTS)]}=raise")
        try:
            await o.approve(card.id, actor)
        except failpoints.Crash:
            ids.append(card.id)
        finally:
            failpoints.arm(None)
    return ids


async def measure(database_url: str | None = None, n: int = N) -> dict[str, object]:
    extra = {"database_url": database_url} if database_url else {}
    with c.temp_home() as home:
        first = c.build_app(home, **OVERRIDES, **extra)
        try:
            ids = await interrupt(first, n)
        finally:
            c.close_app(first)  # no clean stop: as after a crash
        t0 = time.perf_counter()
        app = c.build_app(home, **OVERRIDES, **extra)
        o = app.orchestrator
        try:
            t1 = time.perf_counter()
            await o.check_venue()
            out = await o.recover(startup=True)
            t2 = time.perf_counter()
            await o.start()  # reconciliation and the rest of the start-up
            t3 = time.perf_counter()
            statuses: dict[str, int] = {}
            for pid in ids:
                st = o.proposal(pid).status
                statuses[st] = statuses.get(st, 0) + 1
            await o.stop()
        finally:
            c.close_app(app)
    return {
        "interrupted": len(ids),
        "recovered": len(out),
        "statuses": statuses,
        "recovery_pass_ms": round((t2 - t1) * 1000, 1),
        "per_approval_ms": round((t2 - t1) * 1000 / max(1, len(ids)), 2),
        "restart_to_resolved_ms": round((t3 - t0) * 1000, 1),
    }


def main() -> None:
    figures: dict[str, object] = {"sqlite": asyncio.run(measure())}
    try:
        with c.postgres_database() as url:
            figures["postgresql"] = asyncio.run(measure(url))
    except Exception as e:  # no server binaries: the SQLite figure still stands
        figures["postgresql"] = {"error": str(e)[:300]}
    ok = all(isinstance(f, dict) and f.get("statuses") == {"filled": N} for f in figures.values())
    c.emit("recovery_time", figures, {"every interrupted approval": "filled, once"}, ok=ok)


if __name__ == "__main__":
    main()
