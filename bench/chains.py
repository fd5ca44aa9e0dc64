"""Option chains for 500 underlyings from the cache: the whole listed chain of each (every
expiry out to a year, calls and puts), priced with our IV and greeks at the current spot,
as /chain, the smile and IV rank use them.

The desk runs on the simulator with 470 synthetic symbols added to its 36 (500 in all).
First every chain is fetched once into the chain agent's cache (timed apart: that is the
venue's side); then the timed pass prices all 500 from the cache: the best of REPEATS wall
times, with the contracts per second. A second figure builds the /chain view (one expiry,
20 contracts, with IV rank) for all 500 from the same cache; a third renders the /chain
smile chart (4 expiries) as a PNG.
"""

from __future__ import annotations

import asyncio
import math
import time

import _common as c

from brokers.sim.universe import DEFAULT_UNIVERSE
from services.option_charts import smile_png

UNDERLYINGS = 500
REPEATS = 3
TARGET_S = 2.0


async def measure() -> dict[str, float | int]:
    with c.temp_home() as home:
        app = c.build_app(home, sim_extra_symbols=UNDERLYINGS - len(DEFAULT_UNIVERSE))
        try:
            o = app.orchestrator
            symbols = [i.symbol for i in o.market.universe()][:UNDERLYINGS]
            agent = o.options
            agent.ttl_s = math.inf  # the timed passes read the cache only
            t0 = time.perf_counter()
            listed = {s: await agent.expiries(s) for s in symbols}
            for s in symbols:
                await agent.raw(s, listed[s])
            fill_s = time.perf_counter() - t0

            best, contracts = math.inf, 0
            for _ in range(REPEATS):
                t0 = time.perf_counter()
                contracts = 0
                for s in symbols:
                    contracts += len((await agent.priced(s, listed[s])).chain)
                best = min(best, time.perf_counter() - t0)

            views = math.inf
            for _ in range(REPEATS):
                t0 = time.perf_counter()
                for s in symbols:
                    await o.option_chain(s)
                views = min(views, time.perf_counter() - t0)

            smile = await o.option_smile("SPY")
            lines = [(f"{x.dte}d", x.strikes, x.ivs) for x in smile.curves]
            smile_png(lines, spot=smile.spot, symbol="SPY", simulated=True)  # warm up
            renders = []
            for _ in range(10):
                t0 = time.perf_counter()
                smile_png(lines, spot=smile.spot, symbol="SPY", simulated=True)
                renders.append(time.perf_counter() - t0)
        finally:
            c.close_app(app)
    return {
        "underlyings": len(symbols),
        "contracts": contracts,
        "price_all_s": round(best, 3),
        "contracts_per_s": round(contracts / best),
        "chain_views_s": round(views, 3),
        "cache_fill_s": round(fill_s, 3),
        "smile_png_p50_ms": round(c.median(renders) * 1000, 1),
    }


def main() -> None:
    figures = asyncio.run(measure())
    ok = float(figures["price_all_s"]) < TARGET_S and float(figures["chain_views_s"]) < TARGET_S
    c.emit(
        "chains",
        figures,
        {"price_all_s": f"< {TARGET_S}", "chain_views_s": f"< {TARGET_S}"},
        ok,
    )


if __name__ == "__main__":
    main()
