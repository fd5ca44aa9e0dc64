"""Partial fills of large orders, and the kill switch."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agents.errors import CotraderError, RiskRefused
from bot.app import App
from models.domain import Actor
from tests.conftest import Clock

BIG = {"sim_cash": 10_000_000, "max_order_quantity": 1_000_000}


async def test_large_order_fills_partially_then_completes(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    o = make_app(clock, **BIG).orchestrator
    card = await o.propose("INTC", "buy", 40_000, trader)
    done = await o.approve(card.id, trader)
    assert done.status == "partially_filled"
    assert done.order is not None and 0 < done.order.filled_quantity < 40_000
    first = done.order.filled_quantity
    pos = (await o.positions()).positions
    assert pos[0].quantity == first  # the book holds exactly what filled
    for _ in range(5):
        clock.advance(seconds=30)
        await o.sync()
    final = o.proposal(card.id)
    assert final.status == "filled"
    assert final.order is not None and final.order.filled_quantity == 40_000
    assert (await o.positions()).positions[0].quantity == 40_000
    # what stays working is the entry's protection, at the venue, for every share filled
    working = o.orders(open_only=True).orders
    assert sorted(v.client_order_id for v in working) == [f"{card.id}-sl", f"{card.id}-tp"]
    assert {v.quantity for v in working} == {40_000}


async def test_kill_cancels_expires_halts_then_flattens_on_confirmation(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    o = make_app(clock, **BIG).orchestrator
    working = await o.approve((await o.propose("INTC", "buy", 40_000, trader)).id, trader)
    assert working.status == "partially_filled"
    filled = await o.approve((await o.propose("AAPL", "buy", 10, trader)).id, trader)
    assert filled.status == "filled"
    waiting = await o.propose("MSFT", "buy", 5, trader)

    rep = await o.kill(trader, flatten=False)
    # the INTC entry, AAPL's protection, and the protection the venue gave INTC's fills
    assert working.id in rep.canceled_orders
    assert {f"{filled.id}-sl", f"{filled.id}-tp"} <= set(rep.canceled_orders)
    assert set(rep.canceled_orders) <= {
        working.id,
        f"{working.id}-sl",
        f"{working.id}-tp",
        f"{filled.id}-sl",
        f"{filled.id}-tp",
    }
    assert rep.expired_proposals == (waiting.id,)
    assert rep.halted and not rep.flattened
    assert set(rep.open_positions) == {"INTC", "AAPL"}
    assert o.proposal(working.id).status == "canceled"
    assert o.proposal(waiting.id).status == "expired"
    assert o.orders(open_only=True).orders == ()
    with pytest.raises(RiskRefused, match="halted"):
        await o.propose("MSFT", "buy", 5, trader)
    assert (await o.status()).halted

    rep2 = await o.kill(trader, flatten=True)
    assert rep2.flattened and len(rep2.flatten_orders) == 2
    by_symbol = {x.symbol: x for x in rep2.flatten_orders}
    assert by_symbol["AAPL"].status == "filled"
    # the large INTC exit works through the book over a few ticks
    assert set(rep2.open_positions) <= {"INTC"}
    for _ in range(5):
        clock.advance(seconds=30)
        await o.sync()
    assert (await o.positions()).positions == ()
    await o.resume(trader, "all clear")
    assert (await o.propose("MSFT", "buy", 5, trader)).status == "pending"


async def test_exits_are_allowed_while_halted(app: App, trader: Actor) -> None:
    o = app.orchestrator
    await o.approve((await o.propose("AAPL", "buy", 10, trader)).id, trader)
    await o.kill(trader, flatten=False)
    exit_card = await o.close("AAPL", actor=trader)
    assert (await o.approve(exit_card.id, trader)).status == "filled"
    assert (await o.positions()).positions == ()


async def test_only_approvers_may_kill(app: App, viewer: Actor, trader: Actor) -> None:
    o = app.orchestrator
    card = await o.propose("AAPL", "buy", 1, trader)
    with pytest.raises(CotraderError, match="Only approvers"):
        await o.kill(viewer, flatten=True)
    assert o.proposal(card.id).status == "pending"
    assert not (await o.status()).halted


async def test_partial_close_keeps_the_rest(app: App, trader: Actor) -> None:
    o = app.orchestrator
    await o.approve((await o.propose("AAPL", "buy", 10, trader)).id, trader)
    ex = await o.close("AAPL", 4, trader)
    assert ex.quantity == 4
    await o.approve(ex.id, trader)
    assert [(p.symbol, p.quantity) for p in (await o.positions()).positions] == [("AAPL", 6)]
    pnl = await o.pnl("all")
    assert pnl.trades_closed == 0  # the round trip is still open
