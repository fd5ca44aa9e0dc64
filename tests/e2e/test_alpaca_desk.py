"""COTRADER_BROKER=alpaca end to end: the app `cotrader` builds, real alpaca-py, the loopback
Alpaca trading and data APIs. Paper by default; every fault ends in a known state."""

from __future__ import annotations

import pytest

from agents.errors import ExecutionFailed, RiskRefused, StartupRefused
from bot.app import App
from models.domain import Actor, OrderRequest, Side
from tests.e2e.broker_world import Alerts, built, until
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading, FillPolicy

Desk = tuple[App, Alerts]


async def test_paper_trade_through_alpaca_with_the_proposal_id_as_client_order_id(
    alpaca_desk: Desk, alpaca: FakeAlpacaTrading, trader: Actor
) -> None:
    app, _ = alpaca_desk
    o = app.orchestrator
    assert o.broker.name == "alpaca" and o.market.name == "alpaca"
    assert "cotrader-paper-alpaca.db" in app.settings.db_url
    view = await o.start()
    assert view.ok and view.report.broker == "alpaca"
    card = await o.propose("AAPL", "buy", 10, trader)
    assert card.mode_label == "PAPER" and card.status == "pending"
    assert alpaca.calls("^/v2/orders$", "POST") == []  # a card is never an order
    done = await o.approve(card.id, trader)
    assert done.status == "filled" and done.order is not None
    placed = alpaca.orders_for(card.id)
    assert len(placed) == 1 and placed[0]["qty"] == "10" and placed[0]["side"] == "buy"
    assert (await o.positions()).positions[0].symbol == "AAPL"
    assert (await o.reconcile(trader)).ok
    # the venue's account is mirrored once, however often it is synced
    await o.reconcile(trader)
    accounts = app.store.brokers.accounts()
    assert len(accounts) == 1 and accounts[0].broker == "alpaca"
    assert [(h.symbol, h.quantity) for h in app.store.brokers.holdings(accounts[0].id or 0)] == [
        ("AAPL", 10)
    ]


async def test_an_unknown_submit_outcome_is_looked_up_and_booked_once(
    alpaca_desk: Desk, alpaca: FakeAlpacaTrading, trader: Actor
) -> None:
    app, _ = alpaca_desk
    o = app.orchestrator
    await o.start()
    card = await o.propose("AAPL", "buy", 5, trader)
    alpaca.fail_after_create(504)  # the order exists, the reply is a gateway timeout
    done = await o.approve(card.id, trader)
    assert done.status == "filled"
    assert len(alpaca.orders_for(card.id)) == 1  # looked up by client id, never resent
    with pytest.raises(Exception, match=r"filled"):
        await o.approve(card.id, trader)
    assert len(alpaca.orders_for(card.id)) == 1


async def test_a_discrepancy_is_reported_and_never_overwrites_our_books(
    alpaca_desk: Desk, alpaca: FakeAlpacaTrading, trader: Actor
) -> None:
    app, alerts = alpaca_desk
    o = app.orchestrator
    await o.start()
    await o.approve((await o.propose("AAPL", "buy", 10, trader)).id, trader)
    alpaca.add_position("MSFT", 7, 400.0)  # someone traded at the venue behind our back
    alpaca.add_position("AAPL", 12, 190.0)
    view = await o.reconcile(trader)
    kinds = {(d.kind.value, d.symbol) for d in view.report.discrepancies}
    assert ("position_not_in_book", "MSFT") in kinds and ("quantity_mismatch", "AAPL") in kinds
    assert any("MSFT" in t for t in alerts.of("reconcile"))
    book = {p.symbol: p.quantity for p in app.store.ledger.positions()}
    assert book == {"AAPL": 10}  # reported, not written as truth
    assert app.store.events.recent(1, "reconcile.discrepancies")


async def test_bad_venue_data_is_reported_not_booked(
    alpaca_desk: Desk, alpaca: FakeAlpacaTrading, trader: Actor
) -> None:
    app, _ = alpaca_desk
    o = app.orchestrator
    await o.start()
    alpaca.inject_position({"symbol": "NVDA", "qty": "-5", "side": "long", "avg_entry_price": "1"})
    alpaca.inject_position({"symbol": "AMD", "side": "long"})  # no quantity at all
    view = await o.reconcile(trader)
    assert not view.ok and len(view.bad_data) == 2
    assert not any(d.symbol in ("NVDA", "AMD") for d in view.report.discrepancies)
    assert app.store.ledger.positions() == []


async def test_rejections_in_a_row_halt_the_desk_and_expire_pending(
    alpaca_desk: Desk, alpaca: FakeAlpacaTrading, trader: Actor
) -> None:
    app, alerts = alpaca_desk
    o = app.orchestrator
    await o.start()
    waiting = await o.propose("AAPL", "buy", 1, trader)
    alpaca.set_policy("TSLA", FillPolicy("reject", price=250.0, reason="no shortable shares"))
    for _ in range(5):
        card = await o.propose("TSLA", "buy", 1, trader)
        with pytest.raises(ExecutionFailed, match="rejected"):
            await o.approve(card.id, trader)
    assert o.risk.engine_state()[0].value == "halted"  # at the fifth, not at the next idea
    assert any("HALTED" in t and "rejections" in t for t in alerts.of("state"))
    assert o.proposal(waiting.id).status == "expired"
    with pytest.raises(RiskRefused, match="halted"):
        await o.propose("MSFT", "buy", 1, trader)
    text = await o.resume(trader, "venue fixed")  # rejections are acknowledged by a person
    assert "ACTIVE" in text and o.risk.engine_state()[0].value == "active"


async def test_bracket_orders_carry_the_cards_stop_and_target(
    alpaca_env: None, alpaca: FakeAlpacaTrading, trader: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COTRADER_BRACKET_ORDERS", "1")
    async with built() as app:
        o = app.orchestrator
        card = await o.propose("AAPL", "buy", 3, trader)
        assert card.stop is not None and card.target is not None
        await o.approve(card.id, trader)
        body = alpaca.orders_for(card.id)[0]  # the order as the venue recorded the request
        assert body["order_class"] == "bracket"
        assert float(body["take_profit"]["limit_price"]) == round(card.target, 2)
        assert float(body["stop_loss"]["stop_price"]) == round(card.stop, 2)


async def test_start_is_refused_when_the_venue_refuses_the_keys(
    alpaca_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APCA_API_SECRET_KEY", "not-the-right-secret")
    async with built() as app:
        with pytest.raises(StartupRefused, match="could not be read") as e:
            await app.orchestrator.start()
        assert "not-the-right-secret" not in str(e.value)


async def test_fills_stream_into_the_books_without_polling(
    alpaca_desk: Desk, alpaca: FakeAlpacaTrading, trader: Actor
) -> None:
    app, alerts = alpaca_desk
    o = app.orchestrator
    await o.start()
    await until(lambda: o.venue.stream is not None and o.venue.stream.connected)
    card = await o.propose("TSLA", "buy", 10, trader)  # the venue leaves it working
    done = await o.approve(card.id, trader)
    assert done.status == "submitted" and done.order and done.order.status == "new"

    def filled() -> int:
        row = app.store.ledger.order(card.id)
        return row.filled_quantity if row else -1

    alpaca.fill(card.id, 4, 250.0)
    await until(lambda: filled() == 4)
    assert o.proposal(card.id).status == "partially_filled"
    alpaca.drop_stream()  # a dropped stream reconnects and carries on
    s = o.venue
    await until(lambda: s.stream is not None and s.stream.drops == 1 and s.stream.connected)
    alpaca.fill(card.id, 6, 251.0)
    await until(lambda: filled() == 10)
    assert o.proposal(card.id).status == "filled"
    pos = app.store.ledger.position("TSLA")
    assert pos is not None and pos.quantity == 10 and pos.avg_price == pytest.approx(250.6)
    assert len(alerts.of("fill")) == 2 and "10/10 TSLA" in alerts.of("fill")[-1]
    assert "order stream connected, 1 drops" in " ".join((await o.status()).notes)
    assert (await o.reconcile(trader)).ok


async def test_an_order_the_desk_never_sent_is_recorded_not_booked(
    alpaca_desk: Desk, alpaca: FakeAlpacaTrading
) -> None:
    app, _ = alpaca_desk
    o = app.orchestrator
    await o.start()
    await until(lambda: o.venue.stream is not None and o.venue.stream.connected)
    foreign = await o.broker.submit(
        OrderRequest(client_order_id="by-hand-1", symbol="AAPL", side=Side.BUY, quantity=2)
    )
    assert foreign.client_order_id == "by-hand-1"
    await until(lambda: o.venue.feed.unknown >= 1)
    assert app.store.ledger.order("by-hand-1") is None
    assert app.store.ledger.positions() == []
    assert app.store.events.recent(1, "order.unknown")


async def test_the_live_gate(
    alpaca_env: None, alpaca: FakeAlpacaTrading, monkeypatch: pytest.MonkeyPatch, trader: Actor
) -> None:
    from bot.app import build
    from bot.settings import SettingsError, load_settings

    monkeypatch.setenv("COTRADER_MODE", "live")
    with pytest.raises(SettingsError, match="COTRADER_ARMED=1"):
        load_settings()
    monkeypatch.setenv("COTRADER_ARMED", "1")
    monkeypatch.setenv("APCA_API_KEY_ID", "PK" + "X" * 18)  # a paper key id
    with pytest.raises(SettingsError, match="paper key"):
        build(load_settings())
    monkeypatch.setenv("APCA_API_KEY_ID", alpaca.key_id)
    async with built() as app:
        o = app.orchestrator
        assert "cotrader-live-alpaca.db" in app.settings.db_url
        assert getattr(o.broker, "paper", True) is False
        await o.start()
        card = await o.propose("AAPL", "buy", 1, trader)
        assert card.mode_label == "LIVE"
        assert (await o.status()).mode_label == "LIVE"


async def test_a_restart_between_partial_fills_never_books_a_share_twice(
    alpaca_desk: Desk, alpaca: FakeAlpacaTrading, trader: Actor
) -> None:
    """Alpaca reports cumulative fills; after a restart the adapter re-derives them from zero.
    The books take only the shares that are new."""
    app, _ = alpaca_desk
    o = app.orchestrator
    card = await o.propose("TSLA", "buy", 10, trader)
    await o.approve(card.id, trader)
    alpaca.fill(card.id, 4, 250.0)
    await o.sync()
    assert app.store.ledger.order(card.id).filled_quantity == 4  # type: ignore[union-attr]
    await o.stop()
    app.close()

    async with built() as again:  # a restart: a fresh adapter on the same database
        alpaca.fill(card.id, 6, 256.0)
        await again.orchestrator.sync()
        pos = again.store.ledger.position("TSLA")
        assert pos is not None and pos.quantity == 10
        assert pos.avg_price == pytest.approx((4 * 250.0 + 6 * 256.0) / 10)
        assert again.orchestrator.proposal(card.id).status == "filled"
