"""An option card executed at a real venue's loopback fake, through the orchestrator: the
chain from the venue, one multi-leg order under the card's id with the venue's sign
convention (Alpaca: a negative limit for a credit; Tastytrade: a positive price, Credit),
a reply lost after the order was created looked up and booked once, and the legs grouped
as one position."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.app import App
from models.domain import Actor
from services.options.bsm import ET, bsm, year_fraction
from tests.e2e.broker_world import Alerts
from tests.fakes.alpaca import FakeAlpacaData
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading
from tests.fakes.tastytrade import FakeTastytrade

VOL, SPOT = 0.30, 190.0
STRIKES = [float(k) for k in range(150, 235, 5)]


def chain(alpaca: FakeAlpacaTrading, data: FakeAlpacaData) -> date:
    """AAPL puts and calls 35 days out, Black-Scholes at 30% vol around a pinned 190."""
    data.pin_quote("AAPL", bid=SPOT - 0.01, ask=SPOT + 0.01)
    book = alpaca.options
    data.options = book
    expiry = datetime.now(UTC).astimezone(ET).date() + timedelta(days=35)
    t = year_fraction(datetime.now(UTC), expiry)
    for k in STRIKES:
        for kind in ("call", "put"):
            p = float(bsm(kind, SPOT, k, t, VOL, 0.04, 0.0).price)
            if p < 0.10:
                continue
            book.add_contract(
                "AAPL", expiry, kind, k, bid=round(p - 0.02, 2), ask=round(p + 0.02, 2),
                last=round(p, 2), open_interest=500, volume=120, iv=VOL,
            )  # fmt: skip
    return expiry


@pytest.fixture
def options_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COTRADER_OPTIONS_MIN_IV_RANK", "0")


async def test_a_spread_at_alpaca_is_one_mleg_order_booked_once_after_a_lost_reply(
    options_env: None,
    alpaca_desk: tuple[App, Alerts],
    alpaca: FakeAlpacaTrading,
    alpaca_data: FakeAlpacaData,
    trader: Actor,
) -> None:
    app, _ = alpaca_desk
    expiry = chain(alpaca, alpaca_data)
    o = app.orchestrator
    await o.start()
    card = await o.propose_option("AAPL", "bull_put_spread", 2, trader)
    opt = card.option or {}
    assert card.mode_label == "PAPER" and opt["expiry"] == expiry.isoformat()
    assert alpaca.calls("^/v2/orders$", "POST") == []  # a card is never an order
    alpaca.fail_after_create(504)  # the order exists at the venue; its reply is lost
    done = await o.approve(card.id, trader)
    assert done.status == "filled", (done.status, done.status_reason)
    assert len(alpaca.orders_for(card.id)) == 1  # looked up by client id, never resent
    (body,) = [b for b in alpaca.submitted if b.get("client_order_id") == card.id]
    assert body["order_class"] == "mleg" and body["client_order_id"] == card.id
    assert float(body["limit_price"]) == pytest.approx(-card.limit_price)  # a credit
    intents = {leg["symbol"]: leg["position_intent"] for leg in body["legs"]}
    assert intents == {leg["symbol"]: f"{leg['side']}_to_open" for leg in opt["legs"]}
    fills = [f for f in app.store.ledger.fill_ids(card.id)]
    assert len(fills) == 2  # one per leg, booked once
    (pos,) = (await o.positions()).options
    assert pos.key == card.id and pos.contracts == 2
    assert sorted(leg.quantity for leg in pos.legs) == [-2, 2]
    assert (await o.reconcile(trader)).ok


async def test_a_spread_at_tastytrade_uses_the_dry_run_and_a_positive_credit_booked_once(
    options_env: None,
    tasty_desk: tuple[App, Alerts],
    tasty: FakeTastytrade,
    trader: Actor,
) -> None:
    app, _ = tasty_desk
    expiry = datetime.now(UTC).astimezone(ET).date() + timedelta(days=35)
    t = year_fraction(datetime.now(UTC), expiry)
    for c in tasty.options.add_chain("AAPL", {expiry: STRIKES}, spot=SPOT):
        kind = "call" if c.kind == "C" else "put"
        p = float(bsm(kind, SPOT, c.strike, t, VOL, 0.04, 0.0).price)
        tasty.options.price(
            c, bid=max(0.01, round(p - 0.02, 2)), ask=round(p + 0.02, 2), iv=VOL,
            open_interest=500, volume=120,
        )  # fmt: skip
    o = app.orchestrator
    await o.start()
    card = await o.propose_option("AAPL", "bull_put_spread", 1, trader)
    opt = card.option or {}
    assert card.mode_label == "PAPER" and opt["expiry"] == expiry.isoformat()
    bp = opt["buying_power"]
    assert bp["source"] == "venue dry run" and bp["effect"] < 0, bp
    tasty.fail_next(r"/orders$", 504, method="POST", create=True)  # placed; reply lost
    done = await o.approve(card.id, trader)
    (placed,) = tasty.orders_with(card.id)  # looked up by its id, never resent
    assert placed["price-effect"] == "Credit" and float(placed["price"]) == card.limit_price
    actions = {leg["symbol"].replace(" ", ""): leg["action"] for leg in placed["legs"]}
    assert actions == {
        leg["symbol"]: ("Sell to Open" if leg["side"] == "sell" else "Buy to Open")
        for leg in opt["legs"]
    }
    if done.status != "filled":  # at a limit better than the natural: the venue fills it
        tasty.fill_option(placed["id"], 1)
        await o.sync()
    assert o.proposal(card.id).status == "filled"
    assert len(app.store.ledger.fill_ids(card.id)) == 2  # one per leg, booked once
    (pos,) = (await o.positions()).options
    assert pos.key == card.id and sorted(leg.quantity for leg in pos.legs) == [-1, 1]
