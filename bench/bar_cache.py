"""The persistent bar cache: bulk write and read of 500 symbols x 2 years of daily bars, and a
data-agent top-up through the loopback Alpaca data API (full fetch, then the incremental one).
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import _common as c

SYMBOLS = 500
DAYS = 504  # two years of sessions
READ_RUNS = 7
TARGET_READ_CPU_MS = 300.0  # CPU for a warm bulk read of the whole universe


def _bars(n_symbols: int, n_days: int) -> list:
    from models.domain import Bars

    t0 = datetime(2024, 11, 20, 5, 0, tzinfo=UTC)
    ts = [t0 + timedelta(days=i) for i in range(n_days)]
    out = []
    for k in range(n_symbols):
        px = [50.0 + k * 0.1 + i * 0.01 for i in range(n_days)]
        vol = [1e6 + i for i in range(n_days)]
        out.append(Bars(symbol=f"S{k:04d}", ts=ts, open=px, high=px, low=px, close=px, volume=vol))
    return out


def storage(home: Path) -> dict[str, object]:
    from models.store import Store

    store = Store(f"sqlite:///{home / 'bench.db'}")
    store.upgrade()
    try:
        data = _bars(SYMBOLS, DAYS)
        t0 = time.perf_counter_ns()
        bars = store.bars.write("bench", "1Day", data)
        write_ns = time.perf_counter_ns() - t0
        symbols = [b.symbol for b in data]
        runs: list[float] = []
        cpu: list[float] = []  # this process's CPU time: less swayed by other users' load
        for _ in range(READ_RUNS):
            t0, p0 = time.perf_counter_ns(), time.process_time_ns()
            got = store.bars.read("bench", "1Day", symbols)
            runs.append(c.ms(time.perf_counter_ns() - t0))
            cpu.append(c.ms(time.process_time_ns() - p0))
        assert len(got) == SYMBOLS and all(len(b) == DAYS for b in got.values())
        t0 = time.perf_counter_ns()
        store.bars.last_stamps("bench", "1Day", symbols)
        last_ns = time.perf_counter_ns() - t0
        size = (home / "bench.db").stat().st_size
    finally:
        store.dispose()
    return {
        "bars": bars,
        "write_ms": c.rnd(c.ms(write_ns), 1),
        "read_cold_ms": c.rnd(runs[0], 1),
        "read_warm_p50_ms": c.rnd(c.percentile(runs[1:], 50), 1),
        "read_warm_min_ms": c.rnd(min(runs[1:]), 1),
        "read_warm_cpu_p50_ms": c.rnd(c.percentile(cpu[1:], 50), 1),
        "read_warm_max_ms": c.rnd(max(runs[1:]), 1),
        "read_bars_per_s": round(bars / (c.percentile(runs[1:], 50) / 1000)),
        "last_stamps_ms": c.rnd(c.ms(last_ns), 1),
        "db_mb": c.rnd(size / 1e6, 1),
    }


async def top_up(home: Path) -> dict[str, object]:
    """A 500-symbol universe through the fake: the first scan fetches ~1.5 years (260 bars
    each), the re-scan a session later only the new bar."""
    from agents.data import DataAgent
    from brokers.alpaca.data import AlpacaMarketData
    from models.store import Store
    from tests.fakes.alpaca import FakeAlpacaData

    now = [datetime(2026, 11, 20, 22, 0, tzinfo=UTC)]  # Friday 17:00 ET, then a day later

    def clock() -> datetime:
        return now[0]

    fake = FakeAlpacaData(wall=lambda: clock().timestamp())
    symbols = [f"S{k:04d}" for k in range(SYMBOLS)]
    for s in symbols:
        fake.add_symbol(s, days=400)
    await fake.start()
    store = Store(f"sqlite:///{home / 'topup.db'}")
    store.upgrade()
    market = AlpacaMarketData(fake.key_id, fake.secret_key, url_override=fake.base_url, clock=clock)
    figures: dict[str, object] = {}
    try:
        for label in ("first", "second"):
            if label == "second":
                now[0] += timedelta(days=1)
                for s in symbols:
                    fake.append_day(s)
            mark = len(fake.requests)
            agent = DataAgent(market, bar_cache=store.bars)
            t0 = time.perf_counter_ns()
            ok, skipped = await agent.many(symbols)
            figures[f"{label}_scan_ms"] = c.rnd(c.ms(time.perf_counter_ns() - t0), 1)
            reqs = fake.requests[mark:]
            figures[f"{label}_bar_requests"] = sum(r.path == "/v2/stocks/bars" for r in reqs)
            figures[f"{label}_snapshot_requests"] = sum(
                r.path == "/v2/stocks/snapshots" for r in reqs
            )
            figures[f"{label}_ok"] = len(ok)
            figures[f"{label}_skipped"] = len(skipped)
        figures["limiter_granted"] = market.limiter.granted
        figures["limiter_waited_s"] = c.rnd(market.limiter.waited, 2)
    finally:
        market.close()
        store.dispose()
        await fake.stop()
    return figures


def main() -> None:
    c.isolate_process_env()
    with c.temp_home() as home:
        load = round(os.getloadavg()[0], 2)  # 2 shared cores: timings move with the load
        figures = {"symbols": SYMBOLS, "days": DAYS, "load_avg_1m": load, **storage(home)}
        figures.update(asyncio.run(top_up(home)))
    read = figures["read_warm_cpu_p50_ms"]
    ok = isinstance(read, float) and read <= TARGET_READ_CPU_MS and figures["second_skipped"] == 0
    targets = {"read_warm_cpu_p50_ms": f"<= {TARGET_READ_CPU_MS:g}", "second_skipped": 0}
    c.emit("bar_cache", figures, targets, ok=ok)


if __name__ == "__main__":
    main()
