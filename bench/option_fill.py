"""Approve -> multi-leg fill in the simulator, in-process: each `orchestrator.approve` of a
bull put spread card (re-check on fresh leg quotes, one multi-leg order at the net limit,
each leg's fill booked on its contract) timed alone. Cards are made on a synthetic
universe (one underlying per card, so the 2-per-symbol limit never refuses) with generous
option limits; each is approved, then the position is left open.
"""

from __future__ import annotations

import asyncio
import time

import _common as c

N = 200
TARGET_P99_MS = 30.0
OVERRIDES: dict[str, object] = {
    "sim_extra_symbols": 260,
    "options_min_iv_rank": 0,
    "options_max_heat_pct": 100.0,
    "max_trades_per_day": 100_000,
    "daily_loss_limit_pct": 100.0,
}


async def measure(n: int = N) -> dict[str, object]:
    from agents.errors import CotraderError
    from models.domain import Actor

    actor = Actor(id="bench:approver", name="bench", can_approve=True)
    approve_ms: list[float] = []
    propose_ms: list[float] = []
    statuses: dict[str, int] = {}
    refused = 0
    with c.temp_home() as home:
        app = c.build_app(home, **OVERRIDES)
        try:
            orch = app.orchestrator
            for sym in orch.universe():
                if len(approve_ms) >= n:
                    break
                t0 = time.perf_counter_ns()
                try:
                    card = await orch.propose_option(sym, "bull_put_spread", 1, actor)
                except CotraderError:
                    refused += 1
                    continue
                propose_ms.append(c.ms(time.perf_counter_ns() - t0))
                t0 = time.perf_counter_ns()
                try:
                    done = await orch.approve(card.id, actor)
                except CotraderError:
                    statuses["refused"] = statuses.get("refused", 0) + 1
                    continue
                finally:
                    approve_ms.append(c.ms(time.perf_counter_ns() - t0))
                statuses[done.status] = statuses.get(done.status, 0) + 1
            legs = len([p for p in app.store.ledger.positions() if p.asset_class == "option"])
        finally:
            c.close_app(app)
    return {
        "count": len(approve_ms),
        "p50_ms": c.rnd(c.percentile(approve_ms, 50)),
        "p90_ms": c.rnd(c.percentile(approve_ms, 90)),
        "p99_ms": c.rnd(c.percentile(approve_ms, 99)),
        "max_ms": c.rnd(max(approve_ms, default=float("nan"))),
        "statuses": statuses,
        "propose_refused": refused,
        "propose_p50_ms": c.rnd(c.percentile(propose_ms, 50)),
        "option_legs_held": legs,
    }


def main() -> None:
    f = asyncio.run(measure())
    p99 = f.get("p99_ms")
    filled = f["statuses"].get("filled", 0) if isinstance(f["statuses"], dict) else 0
    ok = isinstance(p99, float) and p99 < TARGET_P99_MS and filled >= N * 0.9
    c.emit("option_fill", f, {"p99_ms": f"< {TARGET_P99_MS:g}"}, ok=ok)


if __name__ == "__main__":
    main()
