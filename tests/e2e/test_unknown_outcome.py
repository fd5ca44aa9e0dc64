""" "Outcome unknown" is not "failed": a submit the venue may have taken is looked up until the
venue answers, then booked; never resent blindly, never failed on a guess (real alpaca-py
against the loopback Alpaca)."""

from __future__ import annotations

from bot.app import App
from brokers.alpaca.transport import RetryPolicy
from models.domain import Actor
from tests.e2e.broker_world import Alerts, until
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading

Desk = tuple[App, Alerts]
LOOKUP = r"^/v2/orders:by_client_order_id$"


def quick_reads(app: App) -> None:
    """Fewer, faster retries of reads, so a failing look-up fails within the test's time."""
    app.orchestrator.broker.reads.policy = RetryPolicy(attempts=2, base_delay=0.01)  # type: ignore[attr-defined]


async def test_a_504_then_a_failing_lookup_is_unknown_then_booked_when_the_venue_answers(
    alpaca_desk: Desk, alpaca: FakeAlpacaTrading, trader: Actor
) -> None:
    app, alerts = alpaca_desk
    o = app.orchestrator
    quick_reads(app)
    alpaca.refuse_stream_auth(times=1000)  # the trade stream is down: no push to rely on
    await o.start()
    card = await o.propose("AAPL", "buy", 5, trader)
    alpaca.fail_after_create(504)  # the venue created and filled it, the reply was lost
    alpaca.fail_next(LOOKUP, 500, times=4)  # and every look-up fails for a while
    done = await o.approve(card.id, trader)
    assert done.status == "approved"  # not failed: nobody knows yet
    assert done.order is not None and done.order.status == "unknown"
    assert done.order.status_text == "sent, outcome unknown, checking"
    assert "outcome unknown, checking" in alerts.of("order")[-1]
    assert [c.id for c in o.pending() if c.status == "approved"] == [card.id]
    assert app.store.ledger.positions() == []  # nothing booked on a guess
    # the desk looks again (here by hand; the loop does it on its own) until the venue answers
    row = app.store.ledger.order(card.id)
    assert row is not None and row.next_check_at is not None and row.checks == 0
    alpaca.fail_next(LOOKUP, 500, times=2)
    app.store.ledger.update_order(card.id, "test", None, next_check_at=row.submitted_at)
    assert await o.recover() == []  # still failing: still unknown, checked once more
    row = app.store.ledger.order(card.id)
    assert row is not None and row.status == "unknown" and row.checks == 1
    assert row.next_check_at is not None and row.next_check_at > row.submitted_at  # backoff
    assert await o.recover() == []  # not due again yet
    app.store.ledger.update_order(card.id, "test", None, next_check_at=row.submitted_at)
    out = await o.recover()
    assert [r.outcome for r in out] == ["filled"]
    assert o.proposal(card.id).status == "filled"
    assert len(alpaca.orders_for(card.id)) == 1 and len(alpaca.submitted) == 1  # never resent
    assert "the venue answered: filled 5 AAPL" in alerts.of("recovered")[-1]
    pos = app.store.ledger.position("AAPL")
    assert pos is not None and pos.quantity == 5 and pos.stop_price == card.stop
    assert (await o.reconcile(trader)).ok


async def test_the_desk_loop_settles_an_unknown_outcome_on_its_own(
    alpaca_env: None, alpaca: FakeAlpacaTrading, trader: Actor, monkeypatch: object
) -> None:
    from tests.e2e.broker_world import built

    monkeypatch.setenv("COTRADER_DESK_INTERVAL_S", "0.2")  # type: ignore[attr-defined]
    async with built() as app:
        quick_reads(app)
        o = app.orchestrator
        alpaca.refuse_stream_auth(times=1000)
        await o.start()
        card = await o.propose("AAPL", "buy", 2, trader)
        alpaca.fail_after_create(504)
        alpaca.fail_next(LOOKUP, 500, times=4)
        assert (await o.approve(card.id, trader)).order.status == "unknown"  # type: ignore[union-attr]
        await until(lambda: o.proposal(card.id).status == "filled", seconds=15)
        assert len(alpaca.submitted) == 1


async def test_a_legacy_guessed_failure_is_resolved_by_reconciliation(
    alpaca_desk: Desk, alpaca: FakeAlpacaTrading, trader: Actor
) -> None:
    """A database from before this version marked the order failed while the venue filled it:
    reconciliation books it and the proposal follows the venue."""
    app, alerts = alpaca_desk
    o = app.orchestrator
    quick_reads(app)
    alpaca.refuse_stream_auth(times=1000)
    await o.start()
    card = await o.propose("AAPL", "buy", 5, trader)
    alpaca.fail_after_create(504)
    alpaca.fail_next(LOOKUP, 500, times=4)
    await o.approve(card.id, trader)
    # what the old code wrote: order and proposal failed on a guess
    app.store.ledger.update_order(card.id, "old", "order.failed", status="failed", reason="504")
    prop = o.store.proposals.get(card.id)
    assert prop is not None
    o.approvals.refuse(prop, "old", "submit failed", {}, "old", "proposal.failed")
    assert o.proposal(card.id).status == "failed"
    view = await o.reconcile(trader)
    assert view.ok, view.report.summary()  # resolved by booking, not only reported
    assert "venue has it filled" in alerts.of("recovered")[-1]
    assert o.proposal(card.id).status == "filled"
    pos = app.store.ledger.position("AAPL")
    assert pos is not None and pos.quantity == 5
    assert "proposal.corrected" in [e.type for e in o.why(card.id).events]
    assert len(alpaca.submitted) == 1
