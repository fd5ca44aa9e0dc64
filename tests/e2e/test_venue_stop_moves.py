"""A stop-move card on the loopback Alpaca and Tastytrade, through the whole desk: nothing
moves before the click; approved, the working stop is replaced at the venue under the card's
id (Alpaca in place; Tastytrade's pair cancelled and placed again with the target kept), our
books follow, and a gap through the new stop closes the position with the target cancelled."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import App
from models.domain import Actor
from tests.e2e.broker_world import Alerts
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading
from tests.fakes.tastytrade import FakeTastytrade

Desk = tuple[App, Alerts]


async def move_then_stop_out(
    app: App, trader: Actor, symbol: str, gap: Callable[[float], object]
) -> None:
    o = app.orchestrator
    await o.start()
    entry = await o.propose(symbol, "buy", 10, trader)
    assert (await o.approve(entry.id, trader)).status == "filled"
    await o.sync()
    assert entry.stop is not None
    new_stop = round(entry.stop + 1.0, 2)
    card = await o.move_stop(symbol, trader, price=new_stop)
    assert card.kind == "stop" and "replaces the working stop" in " ".join(card.notes)
    working = {v.client_order_id: v for v in o.orders(open_only=True).orders}
    assert set(working) == {f"{entry.id}-sl", f"{entry.id}-tp"}  # nothing before the click

    done = await o.approve(card.id, trader)
    assert done.status == "submitted", done
    await o.sync()
    working = {v.client_order_id: v for v in o.orders(open_only=True).orders}
    stops = [v for v in working.values() if v.role == "stop"]
    targets = [v for v in working.values() if v.role == "target"]
    assert [(v.client_order_id, v.stop_price, v.quantity) for v in stops] == [
        (card.id, new_stop, 10)
    ], working
    assert [(v.limit_price, v.quantity) for v in targets] == [(entry.target, 10)], working
    ended = {v.client_order_id: v.status for v in o.orders().orders}
    assert ended[f"{entry.id}-sl"] == "canceled"

    gap(round(new_stop * 0.98, 2))
    for _ in range(3):
        await o.sync()
    status = {v.client_order_id: v.status for v in o.orders().orders}
    assert status[card.id] == "filled", status
    assert all(status[v.client_order_id] == "canceled" for v in targets), status
    assert (await o.positions()).positions == ()
    assert o.proposal(card.id).status == "filled"


async def test_alpaca_replaces_the_bracket_stop_in_place(
    alpaca_desk: Desk, alpaca: FakeAlpacaTrading, trader: Actor
) -> None:
    app, _ = alpaca_desk
    await move_then_stop_out(app, trader, "AAPL", lambda px: alpaca.set_price("AAPL", px))
    assert len(alpaca.replaced) == 1


async def test_tastytrade_moves_the_otoco_stop_with_its_target(
    tasty_desk: Desk, tasty: FakeTastytrade, trader: Actor
) -> None:
    app, _ = tasty_desk
    await move_then_stop_out(app, trader, "MSFT", lambda px: tasty.move_price("MSFT", px))
