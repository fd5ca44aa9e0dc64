"""A monthly report over 5,000 closed trades and 10,000 risk events, charts included: the
books read (trades with their entry cards, closing orders and fills, reviews, events,
cards, LLM calls, daily equity), the figures built, the markdown, both CSVs and both PNGs
written. The store is filled in bulk as a busy month would leave it, every trade already
reviewed (the desk reviews each as it closes). Target: < 2 s."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import _common as c

TRADES = 5_000
EVENTS = 10_000
RUNS = 3
TARGET_S = 2.0


def _fill(store: object, now: datetime) -> None:
    """The month's books, written in bulk."""
    from models.learning_tables import TradeReview
    from models.tables import DailyPerformance, EventRow, Fill, Order, Proposal, Trade

    start = now.replace(day=1, hour=14, minute=0, second=0, microsecond=0)
    span = (now - start).total_seconds()
    props, orders, fills, trades, reviews = [], [], [], [], []
    strategies = ("breakout", "sma_cross", "mean_reversion", "volume_spike", "ema_cross")
    for i in range(TRADES):
        opened = start + timedelta(seconds=span * i / TRADES)
        closed = opened + timedelta(minutes=30 + i % 300)
        sym, strat = f"S{i % 400:03d}", strategies[i % 5]
        pid, entry = f"p-{i:08d}", 50.0 + i % 100
        exit_px = entry * (1 + ((i * 37) % 21 - 9) / 400)
        pnl = round((exit_px - entry) * 10 - 0.2, 2)
        props.append({
            "id": pid, "kind": "entry", "symbol": sym, "side": "buy", "quantity": 10,
            "order_type": "market", "time_in_force": "day", "entry_price": entry,
            "stop_price": entry * 0.97, "target_price": entry * 1.05, "strategy": strat,
            "score": 60.0, "confidence": 0.6, "quote_bid": entry - 0.02,
            "quote_ask": entry + 0.02, "quote_ts": opened, "rationale": "", "rationale_meta": {},
            "risk": {"risk_pct": 0.3}, "facts": {"rsi14": 50 + i % 40, "atr14": 1.2,
                                                 "last": entry, "score": 60.0},
            "mode": "sim", "broker": "sim", "status": "filled", "status_reason": "",
            "revision": 0, "created_by": "bench", "created_at": opened,
            "expires_at": opened + timedelta(minutes=15), "version": 3,
        })  # fmt: skip
        for j, (side, px, ts) in enumerate((("buy", entry, opened), ("sell", exit_px, closed))):
            oid = i * 2 + j + 1
            orders.append({
                "id": oid, "client_order_id": f"{pid}-{j}", "broker": "sim", "symbol": sym,
                "proposal_id": pid if j == 0 else None, "side": side, "quantity": 10,
                "order_type": "market", "time_in_force": "day", "role": "main" if j == 0 else
                "stop", "status": "filled", "filled_quantity": 10, "avg_fill_price": px,
                "reason": "", "submitted_at": ts, "updated_at": ts, "sends": 1, "checks": 0,
            })  # fmt: skip
            fills.append({
                "broker": "sim", "fill_id": f"f{oid}", "order_id": oid,
                "client_order_id": f"{pid}-{j}", "symbol": sym, "side": side, "quantity": 10,
                "price": px, "commission": 0.1, "realized_pnl": 0.0 if j == 0 else pnl + 0.2,
                "ts": ts,
            })  # fmt: skip
        trades.append({
            "id": i + 1, "symbol": sym, "direction": "long", "quantity": 10,
            "closed_quantity": 10, "entry_price": entry, "exit_price": exit_px,
            "opened_at": opened, "closed_at": closed, "realized_pnl": pnl, "commission": 0.2,
            "status": "closed", "strategy": strat, "proposal_id": pid,
        })  # fmt: skip
        reviews.append({
            "trade_id": i + 1, "symbol": sym, "strategy": strat, "closed_at": closed,
            "pnl": pnl, "tags": ["entry:rsi_stretched rsi=78"] if i % 7 == 0 else [],
            "reviewed_at": closed,
        })  # fmt: skip
    kinds = ("risk.reduced", "proposal.refused", "desk.paused", "risk.active", "kill.requested")
    events = [
        {"ts": start + timedelta(seconds=span * i / EVENTS), "type": kinds[i % 5],
         "actor": "bench", "context": {"reason": f"limit {i % 9} hit"}}
        for i in range(EVENTS)
    ]  # fmt: skip
    days = [
        {"day": (start + timedelta(days=d)).date(), "start_equity": 100_000.0 + d * 90,
         "end_equity": 100_090.0 + d * 90, "realized_pnl": 90.0, "unrealized_pnl": 0.0,
         "trades_closed": 100, "updated_at": now}
        for d in range((now - start).days)
    ]  # fmt: skip
    with store.session(write=True) as s:  # type: ignore[attr-defined]
        con = s.connection()
        for table, rows in (
            (Proposal, props), (Order, orders), (Fill, fills), (Trade, trades),
            (TradeReview, reviews), (EventRow, events), (DailyPerformance, days),
        ):  # fmt: skip
            con.execute(table.__table__.insert(), rows)  # type: ignore[attr-defined]
        s.commit()


def run() -> dict[str, object]:
    now = datetime.now(UTC)
    if now.day < 3:  # a month with some days in it
        now = now.replace(day=28) - timedelta(days=31)
    with c.temp_home() as home:
        app = c.build_app(home)
        o = app.orchestrator
        o.clock = lambda: now  # type: ignore[method-assign]
        o.report_agent.clock = o.learning.clock = o.reports.clock = o.clock
        _fill(app.store, now)
        times, view = [], None
        for _ in range(RUNS):
            t = time.perf_counter()
            view = asyncio.run(o.report("month"))
            times.append(time.perf_counter() - t)
        assert view is not None
        closed = view.figures["trades_closed"]
        events = view.figures["risk_events_total"]
        c.close_app(app)
    return {
        "trades_closed": closed,
        "risk_events": events,
        "first_s": c.rnd(times[0]),
        "best_s": c.rnd(min(times)),
        "worst_s": c.rnd(max(times)),
    }


def main() -> None:
    r = run()
    ok = r["trades_closed"] == TRADES and r["risk_events"] == EVENTS
    worst = r["worst_s"]
    ok = ok and isinstance(worst, float) and worst < TARGET_S
    c.emit("reports", r, {"worst_s": f"< {TARGET_S:g}"}, ok=ok)


if __name__ == "__main__":
    main()
