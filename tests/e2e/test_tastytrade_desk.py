"""COTRADER_BROKER=tastytrade end to end: the app `cotrader` builds, the real tastytrade SDK,
the loopback Tastytrade API. The dry run is on the card; faults end in a known state."""

from __future__ import annotations

import pytest

from agents.errors import RiskRefused
from bot.app import App
from models.domain import Actor
from tests.e2e.broker_world import Alerts, until
from tests.fakes.tastytrade import FakeTastytrade

Desk = tuple[App, Alerts]


async def test_the_dry_run_is_on_the_card_and_the_order_carries_the_proposal_id(
    tasty_desk: Desk, tasty: FakeTastytrade, trader: Actor
) -> None:
    app, _ = tasty_desk
    o = app.orchestrator
    assert o.broker.name == "tastytrade" and getattr(o.broker, "sandbox", None) is True
    assert (await o.start()).ok
    card = await o.propose("MSFT", "buy", 2, trader)
    assert card.preview is not None
    assert card.preview["change_in_buying_power"] == pytest.approx(-820.0)  # 2 x 410 at the fake
    assert card.preview["total_fees"] == pytest.approx(-0.10)  # negative: money out
    assert tasty.calls("/orders$", "POST") == []  # a dry run, never an order
    done = await o.approve(card.id, trader)
    assert done.status == "filled"
    placed = tasty.orders_with(card.id)
    assert len(placed) == 1
    assert (await o.reconcile(trader)).ok
    accounts = app.store.brokers.accounts()
    assert [(a.broker, a.account_id) for a in accounts] == [("tastytrade", "5WT00001")]


async def test_a_symbol_the_venue_does_not_know_makes_no_card(
    tasty_desk: Desk, tasty: FakeTastytrade, trader: Actor
) -> None:
    app, _ = tasty_desk
    o = app.orchestrator
    await o.start()
    with pytest.raises(RiskRefused, match="would refuse this order"):
        await o.propose("NVDA", "buy", 1, trader)  # the simulator has NVDA; the venue does not
    assert o.pending() == []


async def test_a_failing_dry_run_leaves_a_note_not_a_guess(
    tasty_desk: Desk, tasty: FakeTastytrade, trader: Actor
) -> None:
    app, _ = tasty_desk
    o = app.orchestrator
    await o.start()
    tasty.fail_next("/orders/dry-run", 400, method="POST")
    with pytest.raises(RiskRefused):  # a 400 is the venue refusing the order
        await o.propose("AAPL", "buy", 1, trader)
    tasty.fail_next("/orders/dry-run", 503, method="POST", times=10)
    card = await o.propose("AAPL", "buy", 1, trader)
    assert card.preview is not None and "dry run unavailable" in card.preview["error"]


async def test_a_500_after_the_order_was_created_is_booked_once(
    tasty_desk: Desk, tasty: FakeTastytrade, trader: Actor
) -> None:
    app, _ = tasty_desk
    o = app.orchestrator
    await o.start()
    card = await o.propose("AAPL", "buy", 3, trader)
    tasty.fail_next(r"/orders$", 500, method="POST", create=True)
    done = await o.approve(card.id, trader)
    assert done.status == "filled"
    assert len(tasty.orders_with(card.id)) == 1  # looked up by external_identifier, not resent


async def test_venue_positions_we_did_not_book_are_reported(
    tasty_desk: Desk, tasty: FakeTastytrade, trader: Actor
) -> None:
    app, alerts = tasty_desk
    o = app.orchestrator
    tasty.add_position("SPY", 4, 500.0)
    view = await o.start()
    assert not view.ok
    assert [d.symbol for d in view.report.discrepancies] == ["SPY"]
    assert any("SPY: broker holds 4" in t for t in alerts.of("reconcile"))
    assert app.store.ledger.positions() == []


async def test_fills_and_a_late_rejection_arrive_by_the_account_stream(
    tasty_desk: Desk, tasty: FakeTastytrade, trader: Actor
) -> None:
    app, alerts = tasty_desk
    o = app.orchestrator
    tasty.fill_immediately = False
    await o.start()
    await until(lambda: o.venue.stream is not None and o.venue.stream.connected)
    card = await o.propose("AAPL", "buy", 6, trader)
    assert (await o.approve(card.id, trader)).status == "submitted"
    venue_id = tasty.orders_with(card.id)[0]["id"]
    tasty.fill(venue_id, 2, 190.0)
    await until(lambda: o.proposal(card.id).status == "partially_filled")
    tasty.reject(venue_id, "halted by the exchange")  # the rest is rejected, 2 stay filled
    await until(lambda: getattr(app.store.ledger.order(card.id), "status", "") == "rejected")
    pos = app.store.ledger.position("AAPL")
    assert pos is not None and pos.quantity == 2
    assert any("rejected" in t and "halted by the exchange" in t for t in alerts.of("rejected"))
    assert (await o.reconcile(trader)).ok  # the venue holds the 2 shares too
