"""Reconciliation through the real alpaca-py against the loopback Alpaca: 500 positions and
1,000 working orders at the venue and in the books. Timed: `/reconcile` end to end (account,
positions, the order list in pages of 500, the mirror sync, the comparison, the event)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import _common as c

POSITIONS = 500
ORDERS = 1_000
REPEATS = 5
T0 = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


def _fill_books(app: Any, fake: Any) -> None:
    from models.tables import Order, Position

    rows: list[Any] = []
    for i in range(POSITIONS):
        sym = f"S{i:03d}"
        fake.add_position(sym, 10 + i, 100.0 + i)
        rows.append(
            Position(symbol=sym, quantity=10 + i, avg_price=100.0 + i, opened_at=T0, updated_at=T0)
        )
    for i in range(ORDERS):
        sym, cid = f"S{i % POSITIONS:03d}", f"p-{i:05d}"
        venue = fake.add_open_order(sym, cid, qty=1 + i % 7)
        rows.append(
            Order(
                client_order_id=cid,
                broker_order_id=venue["id"],
                broker="alpaca",
                symbol=sym,
                side="buy",
                quantity=1 + i % 7,
                order_type="market",
                status="new",
                submitted_at=T0,
                updated_at=T0,
            )
        )
    with app.store.session(write=True) as s:
        s.add_all(rows)
        s.commit()


async def measure(home: Path) -> dict[str, Any]:
    from models.domain import Actor
    from tests.fakes.alpaca.trading_server import FakeAlpacaTrading

    fake = FakeAlpacaTrading()
    await fake.start()
    app = c.build_app(
        home,
        mode="paper",
        broker="alpaca",
        data="sim",
        apca_api_key_id=fake.key_id,
        apca_api_secret_key=fake.secret_key,
        apca_api_base_url=fake.base_url,
    )
    try:
        _fill_books(app, fake)
        who = Actor(id="bench", name="bench", can_approve=True)
        walls, found = [], []
        for _ in range(REPEATS):
            t = time.perf_counter_ns()
            view = await app.orchestrator.reconcile(who)
            walls.append(c.ms(time.perf_counter_ns() - t))
            found.append(len(view.report.discrepancies) + len(view.bad_data))
        pages = len(fake.calls("^/v2/orders$")) // REPEATS
    finally:
        await app.orchestrator.stop()
        c.close_app(app)
        await fake.stop()
    return {
        "positions": POSITIONS,
        "orders": ORDERS,
        "repeats": REPEATS,
        "order_pages": pages,
        "wall_p50_ms": c.rnd(c.median(walls), 1),
        "wall_max_ms": c.rnd(max(walls), 1),
        "discrepancies": max(found),
    }


def main() -> None:
    with c.temp_home() as home:
        figures = asyncio.run(measure(home))
    c.emit(
        "reconcile_venue",
        figures,
        {"discrepancies": "== 0 (books agree)", "order_pages": "== 3 (500, 500, the end)"},
        figures["discrepancies"] == 0 and figures["order_pages"] == 3,
    )


if __name__ == "__main__":
    main()
