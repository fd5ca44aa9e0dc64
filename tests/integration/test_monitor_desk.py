"""The monitor on the whole simulated desk, in process: exit cards from the exit rules (one
per position and reason), venue-side stops that fill instead, stored alerts that fire once
and survive a restart, stop-move cards that replace the working stop only after a click,
and never an order that no one approved."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from agents import events as ev
from agents.errors import BadInput
from bot.app import App
from models.domain import Actor
from tests.conftest import Clock
from tests.e2e.broker_world import Alerts


def orders_all_approved(app: App, by: str = "alice") -> None:
    """Every order at the venue came from a proposal a person approved."""
    for o in app.orchestrator.orders().orders:
        pid = o.proposal_id
        assert pid is not None, o
        p = app.store.proposals.get(pid)
        assert p is not None and p.decided_by == by, (o, p)


async def bought(app: App, trader: Actor, symbol: str = "NVDA", qty: int = 10) -> str:
    o = app.orchestrator
    card = await o.propose(symbol, "buy", qty, trader)
    done = await o.approve(card.id, trader)
    assert done.status == "filled", done
    await o.sync()
    return card.id


async def test_a_stop_with_no_venue_order_raises_one_exit_card_and_no_duplicate(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = make_app(clock, bracket_orders=False)
    o, seen = app.orchestrator, Alerts()
    o.subscribe(seen)
    entry = await bought(app, trader)
    quiet = await o.monitor(trader)
    assert quiet.positions == 1 and quiet.findings == ()

    await o.sim_shock("NVDA", -15, trader)
    v = await o.monitor(trader)
    exits = [f for f in v.findings if f.action == "exit"]
    assert [f.rule for f in exits] == ["stop_hit"], v.findings
    assert any(f.rule == "adverse_move" and f.proposal_id is None for f in v.findings)
    card = o.proposal(exits[0].proposal_id or "")
    assert card.kind == "exit" and card.status == "pending" and card.quantity == 10
    assert card.side == "sell" and "stop" in card.notes[0] and "NVDA" in card.notes[0]
    signals = [e for e in seen.events if isinstance(e, ev.ExitSignal)]
    assert {(e.rule, e.proposal_id) for e in signals} == {
        ("stop_hit", card.id),
        ("adverse_move", None),
    }
    assert signals[0].pnl_pct == pytest.approx(-15, abs=0.5) and signals[0].held == 10

    again = await o.monitor(trader)
    assert again.findings == ()
    assert [c.id for c in o.pending()] == [card.id]
    assert len([e for e in seen.events if isinstance(e, ev.ExitSignal)]) == 2
    assert [x.client_order_id for x in o.orders().orders] == [entry]  # nothing unapproved
    orders_all_approved(app)
    whys = [e.type for e in o.why(card.id).events]
    assert "monitor.trigger" in whys and "proposal.created" in whys


async def test_a_shock_through_the_venue_stop_fills_it_and_raises_no_exit_card(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = make_app(clock)
    o = app.orchestrator
    entry = await bought(app, trader)
    await o.sim_shock("NVDA", -15, trader)
    for _ in range(2):
        await o.sync()
    status = {x.client_order_id: x.status for x in o.orders().orders}
    assert status[f"{entry}-sl"] == "filled" and status[f"{entry}-tp"] == "canceled"
    assert (await o.positions()).positions == ()
    v = await o.monitor(trader)
    assert v.positions == 0 and v.findings == () and o.pending() == []
    orders_all_approved(app)


async def test_an_alert_fires_once_and_survives_a_restart(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = make_app(clock)
    o, seen = app.orchestrator, Alerts()
    o.subscribe(seen)
    last = (await o.data.quote("AAPL", fresh=True)).last
    a = await o.add_alert("aapl", "above", f"${last * 1.05:.2f}", trader)
    assert (a.id, a.symbol, a.condition, a.status) == ("A1", "AAPL", "above", "armed")
    assert (await o.monitor(trader)).findings == ()

    await o.sim_shock("AAPL", 8, trader)
    v = await o.monitor(trader)
    assert [(f.rule, f.alert_id) for f in v.findings] == [("alert", "A1")]
    fired = [e for e in seen.events if isinstance(e, ev.PriceAlert)]
    assert len(fired) == 1 and fired[0].observed >= a.level and fired[0].held == 0
    assert (await o.monitor(trader)).findings == ()

    app2 = make_app(clock)  # a restart on the same home
    o2 = app2.orchestrator
    [shown] = o2.alerts().alerts
    assert (shown.id, shown.status) == ("A1", "fired") and shown.observed == fired[0].observed
    assert (await o2.monitor(trader)).findings == ()
    again = o2.rearm_alert("a1", trader)
    assert again.status == "armed"
    assert [f.alert_id for f in (await o2.monitor(trader)).findings] == ["A1"]
    assert o2.remove_alert("A1", trader).status == "removed"
    assert o2.alerts().alerts == ()
    kinds = [e.type for e in app2.store.events.recent(50, type_prefix="alert.")]
    assert sorted(kinds) == sorted(
        ["alert.created", "alert.fired", "alert.rearmed", "alert.fired", "alert.removed"]
    )


async def test_position_alerts_and_the_days_move(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = make_app(clock, bracket_orders=False)
    o = app.orchestrator
    await bought(app, trader, "MSFT", 5)
    loss = await o.add_alert("MSFT", "loss", "5%", trader)
    move = await o.add_alert("TSLA", "move", 6, trader)
    await o.sim_shock("MSFT", -7, trader)
    await o.sim_shock("TSLA", 9, trader)
    v = await o.monitor(trader)
    got = {f.alert_id: f for f in v.findings if f.rule == "alert"}
    assert set(got) == {loss.id, move.id}, v.findings
    assert got[loss.id].pnl_pct is not None and got[loss.id].pnl_pct < -5
    assert "position" in got[loss.id].reason and "up" in got[move.id].reason


async def test_bad_alerts_are_refused_and_store_nothing(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = make_app(clock, max_alerts=2)
    o = app.orchestrator
    last = (await o.data.quote("AAPL", fresh=True)).last
    for args, why in (
        (("APPL", "above", 200), "Did you mean AAPL?"),
        (("AAPL", "above", -5), "positive"),
        (("AAPL", "above", "abc"), "must be a number"),
        (("AAPL", "above", "nan"), "positive"),
        (("AAPL", "above", last * 1000), "absurd"),
        (("AAPL", "below", last * 1.1), "already below"),
        (("AAPL", "sideways", 5), "Unknown alert condition"),
        (("AAPL", "move", 500), "absurd"),
        (("AAPL", "loss", 5), "You hold no AAPL"),
    ):
        with pytest.raises(BadInput, match=why):
            await o.add_alert(*args, trader)
    assert o.alerts().alerts == ()
    await o.add_alert("AAPL", "above", last * 1.1, trader)
    with pytest.raises(BadInput, match="already set"):
        await o.add_alert("AAPL", "above", last * 1.1, trader)
    await o.add_alert("AAPL", "crosses", last * 0.9, trader)
    assert [a.condition for a in o.alerts().alerts] == ["above", "below"]
    with pytest.raises(BadInput, match="COTRADER_MAX_ALERTS"):
        await o.add_alert("TSLA", "above", 10_000, trader)
    with pytest.raises(BadInput, match="No alert A9"):
        o.remove_alert("A9", trader)
    assert len(o.alerts().alerts) == 2


async def test_a_trailing_stop_card_replaces_the_working_stop_only_after_a_click(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = make_app(clock)
    o = app.orchestrator
    entry = await bought(app, trader)
    await o.sim_shock("NVDA", 11, trader)  # past 1R, short of the target
    v = await o.monitor(trader)
    moves = [f for f in v.findings if f.action == "stop_move"]
    assert len(moves) == 1 and moves[0].proposal_id, v.findings
    card = o.proposal(moves[0].proposal_id)
    assert card.kind == "stop" and card.title.startswith("MOVE STOP: NVDA")
    working = {x.client_order_id: x for x in o.orders(open_only=True).orders}
    assert set(working) == {f"{entry}-sl", f"{entry}-tp"}  # nothing moved before the click
    old_stop = working[f"{entry}-sl"].stop_price
    assert card.stop is not None and card.stop > (old_stop or 0)
    assert (await o.monitor(trader)).findings == ()  # no second card at the same level

    done = await o.approve(card.id, trader)
    assert done.status == "submitted" and done.order is not None
    assert done.order.role == "stop" and done.order.stop_price == card.stop
    working = {x.client_order_id: x for x in o.orders(open_only=True).orders}
    assert set(working) == {card.id, f"{entry}-tp"}, working
    assert working[card.id].stop_price == card.stop
    assert [(p.symbol, p.stop) for p in (await o.positions()).positions] == [("NVDA", card.stop)]

    await o.sim_shock("NVDA", -12, trader)  # through the new stop
    for _ in range(2):
        await o.sync()
    status = {x.client_order_id: x.status for x in o.orders().orders}
    assert status[card.id] == "filled" and status[f"{entry}-tp"] == "canceled", status
    assert (await o.positions()).positions == ()
    assert o.proposal(card.id).status == "filled"
    orders_all_approved(app)


async def test_stop_moves_said_by_a_person_and_their_refusals(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = make_app(clock)
    o = app.orchestrator
    await bought(app, trader, "AAPL", 10)
    bid = (await o.data.quote("AAPL", fresh=True)).bid
    for kw, why in (
        ({"price": bid + 1}, "would fill at once"),
        ({"breakeven": True}, "would fill at once"),
        ({}, "Say one of"),
        ({"price": 1.0, "trail_pct": 5.0}, "Say one of"),
        ({"trail_pct": 80.0}, "up to 50"),
    ):
        with pytest.raises(BadInput, match=why):
            await o.move_stop("AAPL", trader, **kw)
    with pytest.raises(BadInput, match="No open TSLA position"):
        await o.move_stop("TSLA", trader, price=100.0)
    card = await o.move_stop("AAPL", trader, trail_pct=3)
    assert card.kind == "stop" and card.stop == pytest.approx(bid * 0.97, abs=0.6)
    assert "3% from the" in card.notes[0] and "replaces the working stop" in card.notes[1]
    wider = await o.move_stop("AAPL", trader, price=round(bid * 0.8, 2))
    assert any("WIDENS" in n for n in wider.notes)
    assert o.proposal(card.id).status == "superseded"  # one open stop card per position


async def test_the_desk_loop_wakes_the_monitor_on_a_shock(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = make_app(clock, monitor_interval_s=3600)
    o, seen = app.orchestrator, Alerts()
    o.subscribe(seen)
    await o.start()
    try:
        last = (await o.data.quote("TSLA", fresh=True)).last
        await o.add_alert("TSLA", "below", last * 0.95, trader)
        await o.sim_shock("TSLA", -8, trader)
        for _ in range(100):
            if any(isinstance(e, ev.PriceAlert) for e in seen.events):
                break
            await asyncio.sleep(0.02)
        [hit] = [e for e in seen.events if isinstance(e, ev.PriceAlert)]
        assert hit.symbol == "TSLA" and hit.condition == "below"
    finally:
        await o.stop()


async def test_the_alert_button_opens_an_exit_card_never_an_order(
    make_app: Callable[..., App], clock: Clock, trader: Actor, viewer: Actor
) -> None:
    app = make_app(clock)
    o = app.orchestrator
    entry = await bought(app, trader, "AAPL", 4)
    card = await o.exit_card("AAPL", viewer)
    assert card.kind == "exit" and card.status == "pending" and card.quantity == 4
    assert (await o.exit_card("aapl", viewer)).id == card.id  # the open one, not a second
    with pytest.raises(BadInput, match="No open TSLA"):
        await o.exit_card("TSLA", viewer)
    assert {x.proposal_id for x in o.orders().orders} == {entry}


async def test_a_trail_is_anchored_at_the_high_since_entry_across_a_restart(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = make_app(clock)
    o = app.orchestrator
    await bought(app, trader, "AAPL", 10)
    await o.sim_shock("AAPL", 4, trader)
    await o.monitor(trader)  # a new position's extremes are written at once
    high = (await o.data.quote("AAPL", fresh=True)).last  # the monitor's price
    await o.sim_shock("AAPL", -2, trader)

    o2 = make_app(clock).orchestrator  # a restart: the high comes from the store
    bid = (await o2.data.quote("AAPL", fresh=True)).bid
    assert bid < high
    card = await o2.move_stop("AAPL", trader, trail_pct=3)
    assert card.stop == pytest.approx(high * 0.97, abs=0.05), (card.stop, high, bid)
    assert f"from the {high:,.2f} high" in card.notes[0]
