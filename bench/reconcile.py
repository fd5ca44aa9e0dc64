"""Broker-vs-book reconciliation of a 500-position, 1,000-order book (services.reconcile).

A temporary SQLite store holds the book. Each repeat reads the positions and every order
back through the ledger repository, builds the reconcile inputs and reconciles them against
a broker view of the same 500 positions and 1,000 orders in which about 1% of the entries
were changed (a quantity, a side, a missing position, an avg price, a fill, a status, a
dropped open order, an order we never sent). Timed: that full path, and reconcile() alone.
Wall times are the figures; the thread's CPU time is beside them (and the target is on it)
because on a loaded machine a wall max measures preemption and GC, not the comparison.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _common as c

POSITIONS = 500
ORDERS = 1_000
CHANGED = 0.01
REPEATS = 25
TARGET_RECONCILE_CPU_P50_MS = 5.0  # CPU: on a busy machine wall time measures preemption
T0 = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


def _book(rng: random.Random) -> tuple[list[Any], list[Any]]:
    """Position and Order rows: ~30% of the orders still working."""
    from models.tables import Order, Position

    positions = [
        Position(
            symbol=f"S{i:03d}",
            quantity=rng.randint(1, 2_000) * (1 if rng.random() < 0.8 else -1),
            avg_price=round(rng.uniform(5, 900), 4),
            opened_at=T0,
            updated_at=T0,
        )
        for i in range(POSITIONS)
    ]
    orders = []
    for i in range(ORDERS):
        qty = rng.randint(1, 500)
        status = rng.choices(
            ("new", "partially_filled", "filled", "canceled"), weights=(20, 10, 55, 15)
        )[0]
        filled = {"new": 0, "filled": qty, "canceled": 0}.get(status, rng.randint(1, qty - 1 or 1))
        orders.append(
            Order(
                client_order_id=f"p-{i:05d}",
                broker_order_id=f"b-{i:05d}",
                broker="sim",
                symbol=f"S{rng.randrange(POSITIONS):03d}",
                side=rng.choice(("buy", "sell")),
                quantity=qty,
                order_type="market",
                status=status,
                filled_quantity=filled,
                avg_fill_price=100.0 if filled else None,
                submitted_at=T0 + timedelta(seconds=i),
                updated_at=T0 + timedelta(seconds=i),
            )
        )
    return positions, orders


def _broker_view(
    rng: random.Random, positions: list[Any], orders: list[Any]
) -> tuple[list[Any], list[Any], Counter[str]]:
    """The broker's positions and (open + looked-up) orders, ~1% changed; what was changed."""
    from models.domain import BrokerOrder, BrokerPosition, OrderStatus, OrderType, Side

    injected: Counter[str] = Counter()
    bps = []
    for p in positions:
        q, px = p.quantity, p.avg_price
        if rng.random() < CHANGED:
            how = rng.choice(("quantity", "side", "missing", "avg_price"))
            injected[how] += 1
            if how == "missing":
                continue
            q, px = {
                "quantity": (q + (5 if q > 0 else -5), px),
                "side": (-q, px),
                "avg_price": (q, px * 1.03),
            }[how]
        bps.append(BrokerPosition(symbol=p.symbol, quantity=q, avg_price=px))
    bos = []
    for o in orders:
        status, filled = OrderStatus(o.status), o.filled_quantity
        if rng.random() < CHANGED:
            how = rng.choice(("fill", "status", "dropped") if status.is_open else ("fill",))
            injected[how] += 1
            if how == "dropped":
                continue
            if how == "fill":  # one more share than we booked, same status
                filled = filled + 1 if filled < o.quantity else filled - 1
            else:  # the broker canceled it (any fills stay what we booked)
                status = OrderStatus.CANCELED
        bos.append(
            BrokerOrder(
                broker_order_id=o.broker_order_id,
                client_order_id=o.client_order_id,
                symbol=o.symbol,
                side=Side(o.side),
                quantity=o.quantity,
                order_type=OrderType.MARKET,
                limit_price=None,
                stop_price=None,
                status=status,
                filled_quantity=filled,
                avg_fill_price=o.avg_fill_price,
                submitted_at=o.submitted_at,
            )
        )
    for k in range(max(1, round(ORDERS * CHANGED / 4))):  # orders we never sent
        injected["unknown_order"] += 1
        bos.append(bos[k].model_copy(update={"client_order_id": f"x-{k}"}))
    return bps, bos, injected


def measure(home: Path) -> dict[str, object]:
    from models.store import Store
    from services.reconcile import book_orders, book_positions, reconcile

    rng = random.Random(11)
    store = Store(f"sqlite:///{home / 'bench.db'}")
    store.upgrade()
    try:
        positions, orders = _book(rng)
        bps, bos, injected = _broker_view(rng, positions, orders)
        with store.session(write=True) as s:
            s.add_all(positions)
            s.add_all(orders)
            s.commit()
        full: list[float] = []
        full_cpu: list[float] = []
        read: list[float] = []
        alone: list[float] = []
        alone_cpu: list[float] = []
        for _ in range(REPEATS + 1):  # the first is a warm-up
            t0, p0 = time.perf_counter_ns(), time.thread_time_ns()
            rows_p = store.ledger.positions()
            rows_o = store.ledger.orders(limit=None)
            kp, ko = book_positions(rows_p), book_orders(rows_o, broker="sim")
            t1, p1 = time.perf_counter_ns(), time.thread_time_ns()
            report = reconcile("sim", bps, bos, kp, ko)
            t2, p2 = time.perf_counter_ns(), time.thread_time_ns()
            full.append(c.ms(t2 - t0))
            full_cpu.append(c.ms(p2 - p0))
            read.append(c.ms(t1 - t0))
            alone.append(c.ms(t2 - t1))
            alone_cpu.append(c.ms(p2 - p1))
        full, full_cpu, read, alone, alone_cpu = (
            xs[1:] for xs in (full, full_cpu, read, alone, alone_cpu)
        )
    finally:
        store.dispose()
    kinds = Counter(d.kind.value for d in report.discrepancies)
    return {
        "book_positions": len(kp),
        "book_orders": len(ko),
        "broker_positions": len(bps),
        "broker_orders": len(bos),
        "repeats": REPEATS,
        "injected": sum(injected.values()),
        "injected_by_change": dict(sorted(injected.items())),
        "discrepancies": len(report.discrepancies),
        "high": len(report.high),
        "by_kind": dict(sorted(kinds.items())),
        "full_p50_ms": c.rnd(c.percentile(full, 50), 2),
        "full_max_ms": c.rnd(max(full), 2),
        "full_cpu_p50_ms": c.rnd(c.percentile(full_cpu, 50), 2),
        "read_and_build_p50_ms": c.rnd(c.percentile(read, 50), 2),
        "reconcile_p50_ms": c.rnd(c.percentile(alone, 50), 3),
        "reconcile_max_ms": c.rnd(max(alone), 3),
        "reconcile_cpu_p50_ms": c.rnd(c.percentile(alone_cpu, 50), 3),
        "cpus": os.cpu_count(),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    with c.temp_home() as home:
        figures = measure(home)
    ok = float(figures["reconcile_cpu_p50_ms"]) < TARGET_RECONCILE_CPU_P50_MS
    ok = ok and figures["discrepancies"] == figures["injected"]
    targets = {
        "reconcile_cpu_p50_ms": f"< {TARGET_RECONCILE_CPU_P50_MS}",
        "discrepancies": "== injected",
    }
    c.emit("reconcile", figures, targets, ok)


if __name__ == "__main__":
    main()
