"""One full risk check (sizing + every limit) of a proposal against a 100-position book.

Pure engine only (services.risk): no store, no broker. Each call is timed alone; the
proposals alternate between a new symbol and an add to a held one, sized (Kelly) and
requested. Wall time is the figure; the thread's CPU time is shown beside it, with the load
average, because on a busy machine the wall p99 measures preemption, not the check. Also
timed, for reference: one state-machine step and the VaR of the 100 holdings.
"""

from __future__ import annotations

import os
import random
import time
from typing import TYPE_CHECKING

import _common as c

if TYPE_CHECKING:
    from services.risk import PortfolioView, StrategyStats

Case = tuple[str, float, float, int | None]  # symbol, entry, stop, requested quantity

N = 5_000
WARMUP = 500
POSITIONS = 100
TARGET_P99_MS = 1.0


def _book() -> tuple[PortfolioView, StrategyStats, list[Case]]:
    from services.risk import Holding, PortfolioView, StrategyStats

    rng = random.Random(7)
    sectors = ["Technology", "Energy", "Financials", "Health Care", "Utilities"]
    positions: dict[str, Holding] = {}
    sector_of: dict[str, str] = {}
    for i in range(POSITIONS):
        sym = f"S{i:03d}"
        px = rng.uniform(10, 500)
        qty = rng.randint(1, 20) * (1 if rng.random() < 0.8 else -1)
        stop = px * (0.95 if qty > 0 else 1.05) if rng.random() < 0.9 else None
        positions[sym] = Holding(qty, px, stop)
        sector_of[sym] = sectors[i % len(sectors)]
    sector_of["NEW"] = "Technology"
    pf = PortfolioView(
        equity=1_000_000.0,
        cash=600_000.0,
        buying_power=1_200_000.0,
        day_start_equity=1_005_000.0,
        positions=positions,
        sectors=sector_of,
        peak_equity=1_020_000.0,
        trades_today=3,
        consecutive_rejections=1,
    )
    stats = StrategyStats.from_pnls([160.0] * 16 + [-100.0] * 24)
    cases = [
        ("NEW", 100.0, 96.0, None),  # a new symbol, sized
        ("S007", positions["S007"].price, positions["S007"].price * 0.96, None),  # an add
        ("NEW", 100.0, 96.0, 50),  # requested
        ("S042", positions["S042"].price, positions["S042"].price * 0.97, 5),
    ]
    return pf, stats, cases


def measure(n: int = N) -> dict[str, object]:
    from models.config import RiskLimits
    from models.domain import Side
    from services.risk import (
        DeskState,
        RiskFacts,
        RiskState,
        evaluate_entry,
        next_state,
        portfolio_risk,
    )

    pf, stats, cases = _book()
    limits, desk = RiskLimits(max_open_positions=500), DeskState()  # a 100-position book
    lat: list[float] = []
    cpu: list[float] = []
    approved = 0
    for i in range(WARMUP + n):
        sym, px, stop, qty = cases[i % len(cases)]
        c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
        d = evaluate_entry(sym, Side.BUY, px, stop, qty, pf, limits, desk, stats)
        dt, dc = time.perf_counter_ns() - t0, time.thread_time_ns() - c0
        if i >= WARMUP:
            lat.append(c.ms(dt))
            cpu.append(c.ms(dc))
            approved += d.approved
    state_ms: list[float] = []
    for _ in range(1_000):
        t0 = time.perf_counter_ns()
        next_state(RiskState.ACTIVE, RiskFacts.of(pf, limits), limits)
        state_ms.append(c.ms(time.perf_counter_ns() - t0))
    rng = random.Random(3)
    rets = {s: [rng.gauss(0, 0.02) for _ in range(252)] for s in pf.positions}
    values = {s: h.quantity * h.price for s, h in pf.positions.items()}
    t0 = time.perf_counter_ns()
    portfolio_risk(values, rets, pf.equity)
    var_ms = c.ms(time.perf_counter_ns() - t0)
    return {
        "positions": POSITIONS,
        "checks": n,
        "checks_per_call": len(d.checks),
        "approved": approved,
        "p50_ms": c.rnd(c.percentile(lat, 50), 4),
        "p90_ms": c.rnd(c.percentile(lat, 90), 4),
        "p99_ms": c.rnd(c.percentile(lat, 99), 4),
        "max_ms": c.rnd(max(lat), 4),
        "cpu_p50_ms": c.rnd(c.percentile(cpu, 50), 4),
        "cpu_p99_ms": c.rnd(c.percentile(cpu, 99), 4),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "state_step_p50_ms": c.rnd(c.percentile(state_ms, 50), 4),
        "var_100_holdings_ms": c.rnd(var_ms, 2),
    }


def main() -> None:
    figures = measure()
    ok = float(figures["p99_ms"]) < TARGET_P99_MS
    c.emit("risk_check", figures, {"p99_ms": f"< {TARGET_P99_MS}"}, ok)


if __name__ == "__main__":
    main()
