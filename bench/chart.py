"""Render the /analyze candlestick chart (250 daily bars, SMAs, Bollinger bands, volume,
signals) and a backtest equity chart: first call (imports included), then warm renders,
then open figures and memory growth over further renders (a leak shows in both). Times in
ms; CPU times too, as the 2 cores are shared."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import _common as c
import numpy as np

BARS = 250
WARM_RUNS = 20
EQUITY_POINTS = 504
TARGET_MS = 300.0


def bars(n: int = BARS, seed: int = 3) -> object:
    from models.domain import Bars

    g = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(g.normal(3e-4, 0.015, n)))
    high = close * (1 + np.abs(g.normal(0, 0.007, n)))
    low = close * (1 - np.abs(g.normal(0, 0.007, n)))
    open_ = np.clip(close * (1 + g.normal(0, 0.004, n)), low, high)
    start = datetime(2025, 1, 2, 21, 0, tzinfo=UTC)
    return Bars(
        symbol="BENCH",
        ts=[start + timedelta(days=i) for i in range(n)],
        open=open_.tolist(),
        high=high.tolist(),
        low=low.tolist(),
        close=close.tolist(),
        volume=g.uniform(1e6, 4e6, n).tolist(),
    )


def rss_mb() -> float:
    """Resident memory now (Linux /proc), in MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def main() -> None:
    t0 = time.perf_counter_ns()
    from services.charts import render_candles, render_equity

    b = bars()
    signals = {"buys": [60, 140, 210], "sells": [100, 180, 240], "last": None}
    first = render_candles(b, **signals)
    cold_ms = c.ms(time.perf_counter_ns() - t0)
    wall, cpu = [], []
    for _ in range(WARM_RUNS):
        t0, p0 = time.perf_counter_ns(), time.process_time_ns()
        png = render_candles(b, **signals)
        cpu.append(c.ms(time.process_time_ns() - p0))
        wall.append(c.ms(time.perf_counter_ns() - t0))
    g = np.random.default_rng(4)
    equity = 100_000 * np.cumprod(1 + g.normal(4e-4, 0.01, EQUITY_POINTS))
    stamps = [datetime(2024, 1, 2, tzinfo=UTC) + timedelta(days=i) for i in range(EQUITY_POINTS)]
    render_equity(equity, stamps)
    eq_wall, eq_cpu = [], []
    for _ in range(WARM_RUNS // 2):
        t0, p0 = time.perf_counter_ns(), time.process_time_ns()
        eq = render_equity(equity, stamps)
        eq_cpu.append(c.ms(time.process_time_ns() - p0))
        eq_wall.append(c.ms(time.perf_counter_ns() - t0))
    rss_before = rss_mb()  # caches are warm by now: growth from here on would be a leak
    for _ in range(WARM_RUNS):
        render_candles(b, **signals)
        render_equity(equity, stamps)
    import matplotlib
    import matplotlib.pyplot as plt

    p50 = c.median(wall)
    figures = {
        "cores": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "bars": BARS,
        "backend": matplotlib.get_backend(),
        "first_render_ms": c.rnd(cold_ms, 1),
        "candles_runs": WARM_RUNS,
        "candles_p50_ms": c.rnd(p50, 1),
        "candles_p99_ms": c.rnd(c.percentile(wall, 99), 1),
        "candles_min_ms": c.rnd(min(wall), 1),
        "candles_cpu_p50_ms": c.rnd(c.median(cpu), 1),
        "candles_png_kb": round(len(png) / 1024, 1),
        "same_png_every_time": png == first,
        "equity_points": EQUITY_POINTS,
        "equity_p50_ms": c.rnd(c.median(eq_wall), 1),
        "equity_cpu_p50_ms": c.rnd(c.median(eq_cpu), 1),
        "equity_png_kb": round(len(eq) / 1024, 1),
        "open_figures_after": len(plt.get_fignums()),
        "rss_growth_mb_next_runs": round(rss_mb() - rss_before, 1),
        "renders_for_rss": 2 * WARM_RUNS,
    }
    ok = p50 < TARGET_MS and figures["open_figures_after"] == 0
    c.emit("chart", figures, {"candles_p50_ms": f"< {TARGET_MS:g}"}, ok=ok)


if __name__ == "__main__":
    main()
