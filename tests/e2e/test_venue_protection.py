"""Protective orders at the venue, through the whole desk on the loopback Alpaca and
Tastytrade: the entry's stop and target rest there under the proposal's id, a partial exit
resizes them in the same approved step, and a stop the market gaps through closes the rest
(the target is cancelled) and is booked by the desk."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import App
from models.domain import Actor
from tests.e2e.broker_world import Alerts
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading
from tests.fakes.tastytrade import FakeTastytrade

Desk = tuple[App, Alerts]


async def protect_then_resize(app: App, trader: Actor, symbol: str) -> tuple[str, str, float]:
    """Buy 10 and approve; sell 4 and approve: (entry id, exit id, the stop price)."""
    o = app.orchestrator
    await o.start()
    entry = await o.propose(symbol, "buy", 10, trader)
    assert entry.protective and entry.stop is not None
    done = await o.approve(entry.id, trader)
    assert done.status == "filled", done
    await o.sync()
    working = {v.client_order_id: v for v in o.orders(open_only=True).orders}
    assert set(working) == {f"{entry.id}-sl", f"{entry.id}-tp"}, working
    assert working[f"{entry.id}-sl"].stop_price == entry.stop
    assert working[f"{entry.id}-tp"].limit_price == entry.target
    assert {v.quantity for v in working.values()} == {10}

    ex = await o.close(symbol, 4, trader)
    sold = await o.approve(ex.id, trader)
    assert sold.status == "filled", sold
    await o.sync()
    working = {v.client_order_id: v for v in o.orders(open_only=True).orders}
    assert set(working) == {f"{ex.id}-oco-sl", f"{ex.id}-oco-tp"}, working
    assert {v.quantity for v in working.values()} == {6}
    assert working[f"{ex.id}-oco-sl"].stop_price == entry.stop
    old = {v.client_order_id: v.status for v in o.orders().orders}
    assert old[f"{entry.id}-sl"] == old[f"{entry.id}-tp"] == "canceled"
    assert [(p.symbol, p.quantity) for p in (await o.positions()).positions] == [(symbol, 6)]
    return entry.id, ex.id, entry.stop


async def stopped_out(app: App, exit_id: str, move: Callable[[], object]) -> None:
    o = app.orchestrator
    move()
    for _ in range(3):
        await o.sync()
    status = {v.client_order_id: v.status for v in o.orders().orders}
    assert status[f"{exit_id}-oco-sl"] == "filled", status
    assert status[f"{exit_id}-oco-tp"] == "canceled", status
    assert (await o.positions()).positions == ()
    assert (await o.pnl("day")).realized != 0


async def test_alpaca_bracket_resized_then_stopped_out(
    alpaca_desk: Desk, alpaca: FakeAlpacaTrading, trader: Actor
) -> None:
    app, _ = alpaca_desk
    _, exit_id, stop = await protect_then_resize(app, trader, "AAPL")
    await stopped_out(app, exit_id, lambda: alpaca.set_price("AAPL", round(stop * 0.97, 2)))


async def test_tastytrade_otoco_resized_then_stopped_out(
    tasty_desk: Desk, tasty: FakeTastytrade, trader: Actor
) -> None:
    app, _ = tasty_desk
    _, exit_id, stop = await protect_then_resize(app, trader, "MSFT")
    await stopped_out(app, exit_id, lambda: tasty.move_price("MSFT", round(stop * 0.97, 2)))
