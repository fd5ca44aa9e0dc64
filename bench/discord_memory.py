"""Bot memory after start with a 100-symbol watchlist, and after its first scan.

The simulator gets 70 synthetic tickers (COTRADER_SIM_EXTRA_SYMBOLS) so the watchlist can
hold 100 real symbols of its universe.
"""

from __future__ import annotations

import asyncio
import resource

import _common as c
import _discord as dd

WATCHLIST = 100


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def measure() -> dict[str, object]:
    from models.domain import Actor

    with c.temp_home() as home:
        async with dd.desk(home, sim_extra_symbols=70) as d:
            orch = d.app.orchestrator
            me = Actor(id="bench", name="bench", can_approve=True)
            for sym in [i.symbol for i in orch.market.universe()][:WATCHLIST]:
                orch.watch(sym, me)
            after_start = rss_mb()
            h = await d.fake.slash("scan", None, user=dd.TRADER_ID)
            await h.response(timeout=120)
            after_scan = rss_mb()
            watched = len(orch.watchlist())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "watchlist": watched,
        "rss_after_start_mb": c.rnd(after_start, 1),
        "rss_after_first_scan_mb": c.rnd(after_scan, 1),
        "peak_rss_mb": c.rnd(peak, 1),
    }


def main() -> None:
    figures = asyncio.run(measure())
    c.emit("discord_memory", figures, {}, figures["watchlist"] == WATCHLIST)


if __name__ == "__main__":
    main()
