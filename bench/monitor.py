"""One monitor pass: the exit rules over 200 positions and 2,000 price/position alert rules.

Pure core only (services.exit_rules, services.alert_rules): no store, no broker. Each pass
gets fresh random prices (a random walk around each entry) and feeds back the rule states
and fired alert ids of the previous pass, as the monitor agent will. Wall time of the whole
pass is the figure; the thread's CPU time is shown beside it.
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime, timedelta

import _common as c

POSITIONS = 200
ALERT_RULES = 2_000
N = 500
WARMUP = 50
TARGET_P99_MS = 20.0


def measure(n: int = N) -> dict[str, object]:
    from services.alert_rules import AlertCondition, AlertRule, check_alerts
    from services.exit_rules import BookStates, ExitRuleConfig, PositionView, evaluate_book

    rng = random.Random(11)
    t0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    symbols = [f"S{i:03d}" for i in range(POSITIONS)]
    entry = {s: rng.uniform(10, 500) for s in symbols}
    positions = []
    for i, s in enumerate(symbols):
        px, atr = entry[s], entry[s] * rng.uniform(0.01, 0.04)
        sign = 1 if rng.random() < 0.75 else -1
        positions.append(
            PositionView(
                symbol=s,
                quantity=sign * rng.randint(1, 300),
                avg_price=px,
                entry_time=t0 - timedelta(days=rng.randint(0, 30)),
                stop=px - sign * 2 * atr if rng.random() < 0.9 else None,
                target=px + sign * 3 * atr if rng.random() < 0.7 else None,
                stop_working=rng.random() < 0.5,
                day_trade=i % 10 == 0,
                high=px * 1.05,
                low=px * 0.95,
                atr=atr,
            )
        )
    conds = list(AlertCondition)
    rules = []
    for i in range(ALERT_RULES):
        s = rng.choice(symbols)
        cond = conds[i % len(conds)]
        value = (
            entry[s] * rng.uniform(0.9, 1.1) if cond in ("above", "below") else rng.uniform(1, 10)
        )
        rules.append(AlertRule(f"a{i}", s, cond, value))
    prev = {s: entry[s] * rng.uniform(0.97, 1.03) for s in symbols}
    held = {p.symbol: p for p in positions}
    cfg = ExitRuleConfig()
    states: BookStates = {}
    fired: set[str] = set()
    last = dict(entry)
    lat: list[float] = []
    cpu: list[float] = []
    triggers = alerts = 0
    for i in range(WARMUP + n):
        last = {s: px * (1 + rng.gauss(0, 0.01)) for s, px in last.items()}
        now = t0 + timedelta(minutes=i)
        closing = i % 390 == 389
        c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
        trig, states = evaluate_book(positions, last, now, cfg, states, session_closing=closing)
        hits = check_alerts(rules, last, prev, held, fired)
        dt, dc = time.perf_counter_ns() - w0, time.thread_time_ns() - c0
        fired.update(h.rule_id for h in hits)
        if i >= WARMUP:
            lat.append(c.ms(dt))
            cpu.append(c.ms(dc))
            triggers += len(trig)
            alerts += len(hits)
    return {
        "positions": POSITIONS,
        "alert_rules": ALERT_RULES,
        "passes": n,
        "triggers": triggers,
        "alerts_fired": alerts,
        "p50_ms": c.rnd(c.percentile(lat, 50), 3),
        "p99_ms": c.rnd(c.percentile(lat, 99), 3),
        "max_ms": c.rnd(max(lat), 3),
        "cpu_p50_ms": c.rnd(c.percentile(cpu, 50), 3),
        "cpu_p99_ms": c.rnd(c.percentile(cpu, 99), 3),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    figures = measure()
    ok = float(figures["p99_ms"]) < TARGET_P99_MS
    c.emit("monitor", figures, {"p99_ms": f"< {TARGET_P99_MS}"}, ok)


if __name__ == "__main__":
    main()
