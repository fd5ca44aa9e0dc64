"""Price event -> alert posted on the loopback Discord.

Each round stores a price alert just beyond the price (below it, then above it, across the
universe), then moves the simulated market through it with the orchestrator's `sim_shock`
in-process (the price event: it wakes the monitor at once). Timed from the shock call to the
alert channel's POST arriving at the fake Discord (its received payload names the alert).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import _common as c
import _discord as dd

N = 50
TARGET_P99_MS = 1000.0
ALERTS_PATH = rf"^/channels/{dd.ALERTS}/messages$"


def _names(alert_id: str) -> Callable[[Any], bool]:
    """A predicate: the posted message is the embed of that alert."""
    marker = f"PRICE ALERT {alert_id}"

    def hit(rec: Any) -> bool:
        embeds = (rec.json or {}).get("embeds") or []
        return any(marker in (e.get("author") or {}).get("name", "") for e in embeds)

    return hit


async def measure(n: int = N) -> dict[str, object]:
    from models.domain import Actor

    who = Actor(id=f"discord:{dd.TRADER_ID}", name="bench", can_approve=True)
    lat: list[float] = []
    with c.temp_home() as home:
        async with dd.desk(home) as d:
            orch = d.app.orchestrator
            syms = orch.universe()
            for i in range(n):
                sym = syms[i % len(syms)]
                last = (await orch.market.quote(sym)).last
                down = i % 2 == 0
                cond, level, pct = (
                    ("below", round(last * 0.98, 2), -3.0)
                    if down
                    else ("above", round(last * 1.02, 2), 3.0)
                )
                a = await orch.add_alert(sym, cond, level, who)
                await asyncio.sleep(0.05)  # the wake-up of the add has passed (quiet desk)
                mark = d.fake.mark()
                t0 = time.perf_counter()
                await orch.sim_shock(sym, pct, who)
                rec = await d.fake.wait_for(
                    "POST", ALERTS_PATH, predicate=_names(a.id), after=mark, timeout=30
                )
                lat.append((rec.at - t0) * 1000)
            posted = sum(
                1
                for r in d.fake.requests
                if r.method == "POST" and r.path == f"/channels/{dd.ALERTS}/messages"
            )
    return {**c.latency(lat), "alert_posts": posted}


def main() -> None:
    figures = asyncio.run(measure())
    ok = float(figures["p99_ms"]) < TARGET_P99_MS  # type: ignore[arg-type]
    c.emit("monitor_discord", figures, {"p99_ms": f"< {TARGET_P99_MS}"}, ok)


if __name__ == "__main__":
    main()
