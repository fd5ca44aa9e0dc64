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


async def interrupted(
    make_app: MakeApp, clock: Clock, db_url: str, trader: Actor, trade: str, point: str
) -> tuple[App, str]:
    """A desk that proposes `trade` ("SYM QTY"), then dies at `point` of its approval (not
    closed: the caller decides whether the desk is gone); the app and the proposal id."""
    sym, qty = trade.split()
    first = make_app(clock, database_url=db_url)
    card = await first.orchestrator.propose(sym, "buy", int(qty), trader)
    await crash_at(point, first.orchestrator.approve(card.id, trader))
    return first, card.id


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
    first, pid = await interrupted(make_app, clock, db_url, trader, "NVDA 5", point)
    card = first.orchestrator.proposal(pid)
    assert card.status == "approved"
    first.close()  # no clean stop: the process is gone

    app, alerts = await restarted(make_app, clock, db_url)
    o = app.orchestrator
    done = o.proposal(pid)
    assert done.status == "filled", done
    assert done.order is not None and done.order.filled_quantity == 5
    assert len(sim_orders(app, pid)) == 1  # one order at the venue, whatever the point
    # one entry order, and the stop and target the venue placed once it filled
    assert sorted(r.client_order_id for r in order_rows(app)) == [pid, f"{pid}-sl", f"{pid}-tp"]
    pos = app.store.ledger.position("NVDA")
    assert pos is not None and pos.quantity == 5
    assert (pos.stop_price, pos.target_price) == (card.stop, card.target)
    assert pos.strategy == card.strategy and pos.stop_price is not None
    said = alerts.of("recovered")
    assert len(said) == 1 and "recovered after a restart: filled 5 NVDA" in said[0]
    assert "alice" in said[0] and pid in said[0]
    steps = [e.type for e in o.why(pid).events]
    assert "recovery.taken_over" in steps and "proposal.filled" in steps
    assert steps.index("proposal.submitted") < steps.index("proposal.filled")
    # a second restart finds nothing left to do, and the click is still refused
    again, more = await restarted(make_app, clock, db_url)
    assert more.of("recovered") == []
    assert len(sim_orders(again, pid)) == 1
    with pytest.raises(Exception, match="already approved and filled"):
        await again.orchestrator.approve(pid, trader)


async def test_an_expired_approval_with_no_order_is_closed_with_the_reason(
    make_app: MakeApp, clock: Clock, trader: Actor, db_url: str
) -> None:
    first, pid = await interrupted(
        make_app, clock, db_url, trader, "AAPL 3", "approve.before_order"
    )
    first.close()
    clock.advance(seconds=901)  # the desk stayed down past the card's expiry
    app, alerts = await restarted(make_app, clock, db_url)
    done = app.orchestrator.proposal(pid)
    assert done.status == "failed" and "expired" in done.status_reason
    assert order_rows(app) == [] and sim_orders(app, pid) == []
    assert "Nothing was sent" in alerts.of("recovered")[0]
    assert "recovery.refused" in [e.type for e in app.orchestrator.why(pid).events]


async def test_an_order_that_never_reached_the_venue_and_fails_the_recheck_is_closed(
    make_app: MakeApp, clock: Clock, trader: Actor, db_url: str
) -> None:
    first, pid = await interrupted(make_app, clock, db_url, trader, "MSFT 2", "approve.after_order")
    first.close()
    clock.advance(seconds=901)
    app, alerts = await restarted(make_app, clock, db_url)
    done = app.orchestrator.proposal(pid)
    assert done.status == "failed" and "never reached the venue" in done.status_reason
    assert done.order is not None and done.order.status == "failed"
    assert sim_orders(app, pid) == []
    assert "expired" in alerts.of("recovered")[0]


async def test_an_approval_another_live_desk_is_executing_is_left_alone(
    make_app: MakeApp, clock: Clock, trader: Actor, db_url: str
) -> None:
    """A second instance must not take over an approval the first is still executing: only
    once the first is gone (or its lease ran out) does recovery act."""
    first, pid = await interrupted(
        make_app, clock, db_url, trader, "TSLA 2", "approve.before_order"
    )
    second = make_app(clock, database_url=db_url)  # first still counts as alive
    assert await second.orchestrator.recover() == []
    assert second.orchestrator.proposal(pid).status == "approved"
    clock.advance(minutes=3)  # the first desk's lease ran out
    out = await second.orchestrator.recover()
    assert [r.outcome for r in out] == ["filled"]
    assert len(sim_orders(second, pid)) == 1
    first.close()


async def test_pending_lists_an_interrupted_approval_and_kill_closes_it(
    make_app: MakeApp, clock: Clock, trader: Actor, db_url: str
) -> None:
    first, pid = await interrupted(make_app, clock, db_url, trader, "AMD 4", "approve.after_order")
    other = await first.orchestrator.propose("AAPL", "buy", 1, trader)
    first.close()
    app = make_app(clock, database_url=db_url)  # not started: nothing recovered yet
    o = app.orchestrator
    listed = {c.id: c for c in o.pending()}
    assert listed[pid].status == "approved" and listed[other.id].status == "pending"
    assert listed[pid].order is not None
    assert listed[pid].order.status_text == "being sent"
    with pytest.raises(Exception, match="cannot be rejected: it is already approved"):
        o.reject(pid, trader)
    rep = await o.kill(trader)
    assert pid in rep.canceled_orders  # looked up: never at the venue, so closed
    assert o.proposal(pid).status == "failed"
    assert sim_orders(app, pid) == []
    assert await o.recover() == []  # nothing left in flight
    assert o.pending() == []


async def test_kill_closes_an_interrupted_approval_that_has_no_order(
    make_app: MakeApp, clock: Clock, trader: Actor, db_url: str
) -> None:
    first, pid = await interrupted(make_app, clock, db_url, trader, "AMD 4", "approve.before_order")
    first.close()
    app = make_app(clock, database_url=db_url)
    await app.orchestrator.kill(trader)
    done = app.orchestrator.proposal(pid)
    assert done.status == "failed" and "kill switch" in done.status_reason
    clock.advance(seconds=timedelta(minutes=5).total_seconds())
    assert await app.orchestrator.recover() == []
    assert order_rows(app) == []
