"""Option strategies on the whole simulated desk, in process: cards that obey the seed rules
and whose numbers add up, one multi-leg order per approval whose legs show as one position,
the monitor's exit card for every leg after a shock through the short strike, and expiry
with assignment played through."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from agents import events as ev
from bot.app import App
from models.domain import Actor
from models.options import parse_occ
from models.tables import Position
from services.options.strategies import RULES
from tests.conftest import Clock
from tests.e2e.broker_world import Alerts

SYMBOL = "AAPL"


def desk(make_app: Callable[..., App], clock: Clock) -> App:
    # the IV-rank filter is its own test; here every strategy must find a position
    return make_app(clock, options_min_iv_rank=0)


@pytest.mark.parametrize("strategy", ["bull_put_spread", "cash_secured_put", "iron_condor"])
async def test_each_strategy_card_obeys_its_rules_and_its_numbers_add_up(
    make_app: Callable[..., App], clock: Clock, trader: Actor, strategy: str
) -> None:
    o = desk(make_app, clock).orchestrator
    card = await o.propose_option(SYMBOL, strategy, None, trader)
    rules, opt = RULES[strategy], card.option
    assert opt is not None and card.kind == "entry" and card.strategy == strategy
    assert card.status == "pending" and card.mode_label == "SIMULATED"
    assert rules.dte[0] <= opt["dte"] <= rules.dte[1]
    n, lim = card.quantity, opt["limit"]
    assert n >= 1 and card.limit_price == lim and lim >= rules.min_credit
    shorts = [leg for leg in opt["legs"] if leg["side"] == "sell"]
    longs = [leg for leg in opt["legs"] if leg["side"] == "buy"]
    for leg in shorts:
        band = rules.put_delta if leg["type"] == "put" else rules.call_delta
        assert band is not None and band[0] <= abs(leg["delta"]) <= band[1], leg
        assert parse_occ(leg["symbol"]).strike == leg["strike"]
    assert opt["max_profit"] == pytest.approx(lim * 100 * n)
    if strategy == "cash_secured_put":
        (k,) = (leg["strike"] for leg in shorts)
        assert not longs
        assert opt["max_loss"] == pytest.approx((k - lim) * 100 * n)
        assert opt["capital"] == pytest.approx((k - lim) * 100 * n)
        assert opt["breakevens"] == [pytest.approx(k - lim)]
    else:
        widths = {
            abs(s["strike"] - b["strike"]) for s in shorts for b in longs if s["type"] == b["type"]
        }
        width = max(widths)
        assert rules.width is not None and rules.width[0] <= width <= rules.width[1]
        assert opt["max_loss"] == pytest.approx((width - lim) * 100 * n)
        put = next(s["strike"] for s in shorts if s["type"] == "put")
        assert opt["breakevens"][0] == pytest.approx(put - lim)
        if strategy == "iron_condor":
            call = next(s["strike"] for s in shorts if s["type"] == "call")
            assert opt["breakevens"][1] == pytest.approx(call + lim)
    assert card.risk_amount == pytest.approx(opt["max_loss"])
    assert 0 < opt["pop"] < 1 and set(opt["greeks"]) == {"delta", "gamma", "theta", "vega"}
    assert f"{lim:.2f}" in card.rationale and "Max profit" in card.rationale
    why = [e.type for e in o.why(card.id).events]
    assert "option.selection" in why and "risk.decision" in why


async def _open_spread(o, trader: Actor, strategy: str = "bull_put_spread", n: int = 2):  # type: ignore[no-untyped-def]
    card = await o.propose_option(SYMBOL, strategy, n, trader)
    done = await o.approve(card.id, trader)
    assert done.status == "filled", (done.status, done.status_reason)
    return card, done


async def test_approving_sends_one_multileg_order_whose_legs_show_as_one_position(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    o = desk(make_app, clock).orchestrator
    card, done = await _open_spread(o, trader)
    orders = o.orders().orders
    assert [x.client_order_id for x in orders] == [card.id]  # one order, the card's id
    assert done.order is not None and done.order.filled_quantity == 2
    view = await o.positions()
    assert view.positions == ()  # no stock line for an option leg
    (pos,) = view.options
    assert pos.key == card.id and pos.strategy == "bull_put_spread" and pos.contracts == 2
    legs = {leg.symbol: leg.quantity for leg in pos.legs}
    assert legs == {
        leg["symbol"]: (-2 if leg["side"] == "sell" else 2) for leg in (card.option or {})["legs"]
    }
    assert pos.credit == pytest.approx(card.limit_price, abs=0.011)
    assert pos.unrealized_pnl is not None and pos.delta is not None and pos.dte is not None
    assert SYMBOL in view.greeks and "total" in view.greeks


async def test_a_shock_through_the_short_strike_raises_one_exit_card_for_every_leg(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = desk(make_app, clock)
    o, seen = app.orchestrator, Alerts()
    o.subscribe(seen)
    card, _ = await _open_spread(o, trader)
    quiet = await o.monitor(trader)
    assert quiet.findings == ()
    await o.sim_shock(SYMBOL, -15, trader)
    v = await o.monitor(trader)
    rules = {f.rule for f in v.findings}
    assert "short_strike_breached" in rules, v.findings
    (pid,) = {f.proposal_id for f in v.findings}
    assert pid is not None
    exit_card = o.proposal(pid)
    opt = exit_card.option or {}
    assert exit_card.kind == "exit" and exit_card.quantity == 2 and opt["position"] == card.id
    opened = {leg["symbol"]: leg["side"] for leg in (card.option or {})["legs"]}
    assert {leg["symbol"]: leg["side"] for leg in opt["legs"]} == {
        s: ("buy" if side == "sell" else "sell") for s, side in opened.items()
    }
    assert all(leg["opens"] is False for leg in opt["legs"])
    assert any(isinstance(e, ev.ExitSignal) and e.proposal_id == pid for e in seen.events)
    again = await o.monitor(trader)
    assert again.findings == ()  # one card per position: nothing new
    assert [c.id for c in o.pending() if c.kind == "exit"] == [pid]
    closed = await o.approve(pid, trader)
    assert closed.status == "filled", closed.status_reason
    assert (await o.positions()).options == ()
    assert [x.client_order_id for x in o.orders().orders] == [pid, card.id]


async def test_expiry_worthless_and_assignment_are_played_through(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = desk(make_app, clock)
    o, seen = app.orchestrator, Alerts()
    o.subscribe(seen)
    csp, _ = await _open_spread(o, trader, "cash_secured_put", 1)
    opt = csp.option or {}
    strike = opt["legs"][0]["strike"]
    await o.sim_shock(SYMBOL, -30, trader)  # deep in the money at expiry: assigned
    expiry = date.fromisoformat(opt["expiry"])
    # the expiry date, after its 16:00 ET close (the shock is on that day's tape)
    clock.t = datetime(expiry.year, expiry.month, expiry.day, 21, 30, tzinfo=UTC)
    settled = await o.settle_options()
    assert [(e.fate, e.contracts, e.shares) for e in settled] == [("assigned", -1, 100)]
    assert settled[0].strike == strike
    view = await o.positions()
    assert view.options == ()
    (shares,) = view.positions
    assert shares.symbol == SYMBOL and shares.quantity == 100
    assert shares.avg_price == pytest.approx(strike)
    assert any(isinstance(e, ev.OptionSettled) for e in seen.events)
    assert await o.settle_options() == []  # settled once
    events = [e.type for e in app.store.events.recent(50)]
    assert "option.assigned" in events


async def test_the_kill_switch_flattens_each_strategy_position_as_one_order(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = desk(make_app, clock)
    o = app.orchestrator
    card, _ = await _open_spread(o, trader)
    report = await o.kill(trader, flatten=True)
    (close,) = report.flatten_orders
    assert close.client_order_id.startswith(f"kill-{card.id}-")
    assert close.symbol == SYMBOL and close.quantity == 2 and close.status == "filled"
    assert (await o.positions()).options == ()
    assert report.open_positions == ()


async def test_reconciliation_compares_option_legs_and_finds_a_missing_one(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = desk(make_app, clock)
    o = app.orchestrator
    card, _ = await _open_spread(o, trader)
    view = await o.reconcile(trader)
    assert view.ok, view.report.discrepancies
    assert view.report.book_positions == 2 and view.report.broker_positions == 2
    short = next(leg["symbol"] for leg in (card.option or {})["legs"] if leg["side"] == "sell")
    with app.store.session(write=True) as s:  # our books lose one leg
        row = s.get(Position, short)
        assert row is not None
        s.delete(row)
        s.commit()
    bad = await o.reconcile(trader)
    assert not bad.ok and short in {d.symbol for d in bad.report.discrepancies}


async def test_under_seven_days_and_threatened_a_roll_card_closes_and_reopens_in_one_order(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = desk(make_app, clock)
    o = app.orchestrator
    card, _ = await _open_spread(o, trader, n=1)
    opt = card.option or {}
    expiry = date.fromisoformat(opt["expiry"])
    short = next(leg["strike"] for leg in opt["legs"] if leg["side"] == "sell")
    # three days before a Friday expiry (a Tuesday), mid-session; the price 1% above the
    # short strike
    clock.t = datetime(expiry.year, expiry.month, expiry.day, 17, 0, tzinfo=UTC) - timedelta(days=3)
    price = (await o.market.quote(SYMBOL)).last
    await o.sim_shock(SYMBOL, (short * 1.01 / price - 1) * 100, trader)
    v = await o.monitor(trader)
    low = [f for f in v.findings if f.rule == "low_dte"]
    assert low and "roll suggested" in low[0].reason, v
    rolls = [c for c in o.pending() if (c.option or {}).get("roll_of") == card.id]
    assert len(rolls) == 1, [c.option for c in o.pending()]
    roll = rolls[0]
    legs = (roll.option or {})["legs"]
    closing = [leg for leg in legs if not leg["opens"]]
    opening = [leg for leg in legs if leg["opens"]]
    assert {leg["symbol"] for leg in closing} == {leg["symbol"] for leg in opt["legs"]}
    assert len(opening) == 2 and all(leg["expiry"] > opt["expiry"] for leg in opening)
    done = await o.approve(roll.id, trader)
    assert done.status == "filled", done.status_reason
    (pos,) = (await o.positions()).options
    assert pos.key == roll.id and pos.expiry > opt["expiry"]  # the old one closed, one order
    assert o.orders().orders[0].client_order_id == roll.id


async def test_a_spread_out_of_the_money_at_expiry_expires_worthless_keeping_the_credit(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = desk(make_app, clock)
    o = app.orchestrator
    card, done = await _open_spread(o, trader, n=1)
    opt = card.option or {}
    expiry = date.fromisoformat(opt["expiry"])
    await o.sim_shock(SYMBOL, 20, trader)  # far above both strikes at the close
    clock.t = datetime(expiry.year, expiry.month, expiry.day, 21, 30, tzinfo=UTC)
    settled = await o.settle_options()
    assert sorted((e.fate, e.contracts, e.shares) for e in settled) == [
        ("expired worthless", -1, 0),
        ("expired worthless", 1, 0),
    ]
    assert (await o.positions()).options == () and (await o.positions()).positions == ()
    trades = app.store.ledger.trades(status="closed")
    kept = sum(t.realized_pnl for t in trades)
    fill = done.order.avg_fill_price if done.order else None
    assert fill is not None and kept == pytest.approx(fill * 100 - 2 * 0.65, abs=0.02)


async def test_scans_card_option_ideas_when_options_are_on(
    make_app: Callable[..., App], clock: Clock, trader: Actor
) -> None:
    app = make_app(clock, options=True, options_min_iv_rank=0)
    report = await app.orchestrator.scan([SYMBOL, "MSFT"], trader)
    options = [c for c in report.cards if c.option is not None]
    assert options, report.notes
    assert all(c.strategy in RULES and c.status == "pending" for c in options)
    off = make_app(Clock(clock.t), options_min_iv_rank=0)
    assert all(c.option is None for c in (await off.orchestrator.scan([SYMBOL], trader)).cards)
