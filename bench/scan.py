"""Time `orchestrator.scan()` of the default universe: one cold run, then warm runs."""

from __future__ import annotations

import asyncio
import time

import _common as c

WARM_RUNS = 20


async def measure() -> dict[str, object]:
    """Build a fresh app, scan once cold and WARM_RUNS times warm; figures in ms."""
    t0 = time.perf_counter_ns()
    import bot.app  # noqa: F401  (import cost is reported apart from the build)

    import_ns = time.perf_counter_ns() - t0
    with c.temp_home() as home:
        t0 = time.perf_counter_ns()
        app = c.build_app(home)
        build_ns = time.perf_counter_ns() - t0
        try:
            orch = app.orchestrator
            t0 = time.perf_counter_ns()
            cold = await orch.scan()
            cold_ns = time.perf_counter_ns() - t0
            warm: list[float] = []
            proposals = len(cold.cards)
            for _ in range(WARM_RUNS):
                t0 = time.perf_counter_ns()
                rep = await orch.scan()
                warm.append(c.ms(time.perf_counter_ns() - t0))
                proposals += len(rep.cards)
        finally:
            c.close_app(app)
    return {
        "import_ms": c.rnd(c.ms(import_ns), 1),
        "build_ms": c.rnd(c.ms(build_ns), 1),
        "cold_ms": c.rnd(c.ms(cold_ns), 1),
        "warm_runs": WARM_RUNS,
        "warm_p50_ms": c.rnd(c.percentile(warm, 50), 1),
        "warm_p99_ms": c.rnd(c.percentile(warm, 99), 1),
        "warm_max_ms": c.rnd(max(warm), 1),
        "symbols": cold.scanned,
        "ranked_cold": len(cold.ranked),
        "proposals_cold": len(cold.cards),
        "proposals_total": proposals,
    }


def main() -> None:
    figures = asyncio.run(measure())
    c.emit("scan", figures, {}, ok=True)


if __name__ == "__main__":
    main()
