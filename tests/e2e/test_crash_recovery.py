"""Nothing lost, nothing stuck: an approval a crash interrupts ends in a known state, exactly
once, on SQLite and PostgreSQL. The crash is a failpoint raising in place of SIGKILL (the
process tests in test_crash_processes.py kill real processes); the app is then closed
without a clean stop, and a new app on the same database starts, as after a restart."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from agents import failpoints
from bot.app import App
from models.domain import Actor
from models.sim_tables import SimOrder
from models.tables import Order
from tests.conftest import Clock
from tests.e2e.broker_world import Alerts

MakeApp = Callable[..., App]


async def crash_at(point: str, work: Coroutine[Any, Any, Any]) -> None:
    """Run `work` until it reaches the failpoint, which ends it like a power cut."""
    failpoints.arm(f"{point}=raise")
    try:
        with pytest.raises(failpoints.Crash):
            await work
    finally:
        failpoints.arm(None)


def sim_orders(app: App, cid: str) -> list[SimOrder]:
    with app.store.session() as s:
        return list(s.exec(select(SimOrder).where(SimOrder.client_order_id == cid)).all())


def order_rows(app: App) -> list[Order]:
    with app.store.session() as s:
        return list(s.exec(select(Order)).all())


async def restarted(make_app: MakeApp, clock: Clock, db_url: str) -> tuple[App, Alerts]:
    app = make_app(clock, database_url=db_url)
    alerts = Alerts()
    app.orchestrator.subscribe(alerts)
    await app.orchestrator.start()
    return app, alerts


@pytest.mark.parametrize(
    "point", ["approve.before_order", "approve.after_order", "approve.after_submit"]
)
async def test_an_interrupted_approval_is_filled_once_after_the_restart(
    make_app: MakeApp, clock: Clock, trader: Actor, db_url: str, point: str
) -> None:
    first = make_app(clock, database_url=db_url)
    card = await first.orchestrator.propose("NVDA", "buy", 5, trader)
    await crash_at(point, first.orchestrator.approve(card.id, trader))
    assert first.orchestrator.proposal(card.id).status == "approved"
    first.close()  # no clean stop: the process is gone

    app, alerts = await restarted(make_app, clock, db_url)
    o = app.orchestrator
    done = o.proposal(card.id)
    assert done.status == "filled", done
    assert done.order is not None and done.order.filled_quantity == 5
    assert len(sim_orders(app, card.id)) == 1  # one order at the venue, whatever the point
    assert [r.client_order_id for r in order_rows(app)] == [card.id]
    pos = app.store.ledger.position("NVDA")
    assert pos is not None and pos.quantity == 5
    assert (pos.stop_price, pos.target_price) == (card.stop, card.target)
    assert pos.strategy == card.strategy and pos.stop_price is not None
    said = alerts.of("recovered")
    assert len(said) == 1 and "recovered after a restart: filled 5 NVDA" in said[0]
    assert "alice" in said[0] and card.id in said[0]
    steps = [e.type for e in o.why(card.id).events]
    assert "recovery.taken_over" in steps and "proposal.filled" in steps
    assert steps.index("proposal.submitted") < steps.index("proposal.filled")
    # a second restart finds nothing left to do, and the click is still refused
    again, more = await restarted(make_app, clock, db_url)
    assert more.of("recovered") == []
    assert len(sim_orders(again, card.id)) == 1
    with pytest.raises(Exception, match="already approved and filled"):
        await again.orchestrator.approve(card.id, trader)


async def test_an_expired_approval_with_no_order_is_closed_with_the_reason(
    make_app: MakeApp, clock: Clock, trader: Actor, db_url: str
) -> None:
    first = make_app(clock, database_url=db_url)
    card = await first.orchestrator.propose("AAPL", "buy", 3, trader)
    await crash_at("approve.before_order", first.orchestrator.approve(card.id, trader))
    first.close()
    clock.advance(seconds=901)  # the desk stayed down past the card's expiry
    app, alerts = await restarted(make_app, clock, db_url)
    done = app.orchestrator.proposal(card.id)
    assert done.status == "failed" and "expired" in done.status_reason
    assert order_rows(app) == [] and sim_orders(app, card.id) == []
    assert "Nothing was sent" in alerts.of("recovered")[0]
    assert "recovery.refused" in [e.type for e in app.orchestrator.why(card.id).events]


async def test_an_order_that_never_reached_the_venue_and_fails_the_recheck_is_closed(
    make_app: MakeApp, clock: Clock, trader: Actor, db_url: str
) -> None:
    first = make_app(clock, database_url=db_url)
    card = await first.orchestrator.propose("MSFT", "buy", 2, trader)
    await crash_at("approve.after_order", first.orchestrator.approve(card.id, trader))
    first.close()
    clock.advance(seconds=901)
    app, alerts = await restarted(make_app, clock, db_url)
    done = app.orchestrator.proposal(card.id)
    assert done.status == "failed" and "never reached the venue" in done.status_reason
    assert done.order is not None and done.order.status == "failed"
    assert sim_orders(app, card.id) == []
    assert "expired" in alerts.of("recovered")[0]


async def test_an_approval_another_live_desk_is_executing_is_left_alone(
    make_app: MakeApp, clock: Clock, trader: Actor, db_url: str
) -> None:
    """A second instance must not take over an approval the first is still executing: only
    once the first is gone (or its lease ran out) does recovery act."""
    first = make_app(clock, database_url=db_url)
    card = await first.orchestrator.propose("TSLA", "buy", 2, trader)
    await crash_at("approve.before_order", first.orchestrator.approve(card.id, trader))
    second = make_app(clock, database_url=db_url)  # first still counts as alive
    assert await second.orchestrator.recover() == []
    assert second.orchestrator.proposal(card.id).status == "approved"
    clock.advance(minutes=3)  # the first desk's lease ran out
    out = await second.orchestrator.recover()
    assert [r.outcome for r in out] == ["filled"]
    assert len(sim_orders(second, card.id)) == 1
    first.close()


async def test_pending_lists_an_interrupted_approval_and_kill_closes_it(
    make_app: MakeApp, clock: Clock, trader: Actor, db_url: str
) -> None:
    first = make_app(clock, database_url=db_url)
    card = await first.orchestrator.propose("AMD", "buy", 4, trader)
    other = await first.orchestrator.propose("AAPL", "buy", 1, trader)
    await crash_at("approve.after_order", first.orchestrator.approve(card.id, trader))
    first.close()
    app = make_app(clock, database_url=db_url)  # not started: nothing recovered yet
    o = app.orchestrator
    listed = {c.id: c for c in o.pending()}
    assert listed[card.id].status == "approved" and listed[other.id].status == "pending"
    assert listed[card.id].order is not None
    assert listed[card.id].order.status_text == "being sent"
    with pytest.raises(Exception, match="cannot be rejected: it is already approved"):
        o.reject(card.id, trader)
    rep = await o.kill(trader)
    assert card.id in rep.canceled_orders  # looked up: never at the venue, so closed
    assert o.proposal(card.id).status == "failed"
    assert sim_orders(app, card.id) == []
    assert await o.recover() == []  # nothing left in flight
    assert o.pending() == []


async def test_kill_closes_an_interrupted_approval_that_has_no_order(
    make_app: MakeApp, clock: Clock, trader: Actor, db_url: str
) -> None:
    first = make_app(clock, database_url=db_url)
    card = await first.orchestrator.propose("AMD", "buy", 4, trader)
    await crash_at("approve.before_order", first.orchestrator.approve(card.id, trader))
    first.close()
    app = make_app(clock, database_url=db_url)
    await app.orchestrator.kill(trader)
    done = app.orchestrator.proposal(card.id)
    assert done.status == "failed" and "kill switch" in done.status_reason
    clock.advance(seconds=timedelta(minutes=5).total_seconds())
    assert await app.orchestrator.recover() == []
    assert order_rows(app) == []
