"""Approve click -> order accepted by the simulator, through the loopback Discord.

Timed from the click's INTERACTION_CREATE dispatch to the orchestrator's fill alert (the
order was accepted and booked), one click at a time.
"""

from __future__ import annotations

import asyncio
import time

import _common as c
import _discord as dd

N = 100
TARGET_P99_MS = 100.0


async def measure(n: int = N) -> dict[str, object]:
    from agents.events import DeskEvent

    lat: list[float] = []
    with c.temp_home() as home:
        async with dd.desk(home) as d:
            filled = asyncio.Event()

            async def on_event(e: DeskEvent) -> None:
                if e.kind == "fill":
                    filled.set()

            d.app.orchestrator.subscribe(on_event)
            syms = d.app.orchestrator.universe()
            for i in range(n):
                pid, mid = await dd.propose(d, syms[i % len(syms)])
                filled.clear()
                t0 = time.perf_counter()
                h = await d.fake.click(mid, f"cot:approve:{pid}", user=dd.TRADER_ID)
                await asyncio.wait_for(filled.wait(), 30)
                lat.append((time.perf_counter() - t0) * 1000)
                await h.ack(timeout=30)
            orders = len(d.app.store.ledger.orders(limit=None))
    return {**c.latency(lat), "orders": orders}


def main() -> None:
    figures = asyncio.run(measure())
    ok = float(figures["p99_ms"]) < TARGET_P99_MS  # type: ignore[arg-type]
    c.emit("discord_approve", figures, {"p99_ms": f"< {TARGET_P99_MS}"}, ok)


if __name__ == "__main__":
    main()
