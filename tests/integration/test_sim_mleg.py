"""The paper broker's options orders: 1-4 legs at a net limit against the simulated chain,
fills split across the legs, cash, positions and buying power with options."""

from __future__ import annotations

from pathlib import Path

import pytest

from brokers.base import OptionQuotes, OrderRejectedError
from brokers.sim.broker import SimBroker, SimCosts
from brokers.sim.market import SimMarket
from brokers.sim.options import SimOptionChains
from models.domain import (
    OrderLeg,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from models.store import Store
from tests.conftest import Clock
from tests.integration.sim_option_world import (
    FEE,
    GTC,
    LONG_P,
    SHORT_P,
    SPREAD,
    START,
    call,
    cash_of,
    fair,
    leg_net,
    mid,
    order,
    put,
    setup,
    sqlite,
)

# ----------------------------------------------------------------------------- quotes


async def test_option_quotes_agree_with_the_chain(clock: Clock) -> None:
    market = SimMarket(seed=42, clock=clock)
    chains = SimOptionChains(market)
    assert isinstance(chains, OptionQuotes)
    ch = await chains.option_chain("AAPL", [(await chains.option_expiries("AAPL"))[1]])
    picked = [ch.symbols[3], ch.symbols[-4]]
    rows = await chains.option_quotes(
        [*picked, "AAPL  261127P00185000", "AAPL261127P00181000", "ZZZZ261127P00185000", "junk"]
    )
    assert set(rows) == {*picked, SHORT_P}  # padded in, unpadded out; the unlisted absent
    for sym in picked:
        i = ch.symbols.index(sym)
        r = rows[sym]
        assert (r.bid, r.ask, r.strike) == (ch.bid[i], ch.ask[i], ch.strike[i])
        assert r.type == ("call" if ch.is_call[i] else "put")


# ----------------------------------------------------------------------------- fills


async def test_bull_put_spread_fills_at_its_limit(db_url: str, clock: Clock) -> None:
    _, _, chains, broker = setup(db_url, clock)
    limit = await fair(chains, SPREAD)
    o = await broker.submit(order("bps", SPREAD, Side.SELL, limit, qty=2))
    assert o.status is OrderStatus.FILLED and o.filled_quantity == 2 and o.quantity == 2
    assert o.symbol == "AAPL" and o.side is Side.SELL and o.avg_fill_price == pytest.approx(limit)
    assert o.fills == () and len(o.option_legs) == 2
    assert leg_net(o) == pytest.approx(limit, abs=1e-9)
    ids = [f.fill_id for g in o.option_legs for f in g.fills]
    assert len(ids) == len(set(ids)) == 2
    for g, (sym, side) in zip(o.option_legs, SPREAD, strict=True):
        assert (g.symbol, g.side, g.opens, g.filled_quantity) == (sym, side, True, 2)
        (f,) = g.fills
        assert f.quantity == 2 and f.commission == pytest.approx(2 * FEE) and f.price >= 0
        assert round(f.price * 100) == pytest.approx(f.price * 100)
    # cash: the credit x 100 per unit in, $0.65 a contract out
    acct = await broker.account()
    assert acct.cash == pytest.approx(START + limit * 100 * 2 - 4 * FEE, abs=0.01)
    assert acct.cash == pytest.approx(START + cash_of(o), abs=0.01)
    pos = {p.symbol: p for p in await broker.positions()}
    assert {s: p.quantity for s, p in pos.items()} == {SHORT_P: -2, LONG_P: 2}
    prices = {g.symbol: g.fills[0].price for g in o.option_legs}
    assert all(pos[s].avg_price == pytest.approx(prices[s]) for s in pos)
    # buying power: the spread's max loss held aside, (width - credit) x 100 x units net
    assert acct.buying_power == pytest.approx(acct.cash - 5 * 100 * 2, abs=0.01)
    assert START - acct.buying_power == pytest.approx((5 - limit) * 100 * 2 + 4 * FEE, abs=0.01)
    quotes = await chains.option_quotes([SHORT_P, LONG_P])
    marked = acct.cash + sum(p.quantity * 100 * mid(quotes[s]) for s, p in pos.items())
    assert acct.equity == pytest.approx(marked, abs=0.01)
    again = await broker.order_by_client_id("bps")
    assert again == o


async def test_a_greedy_limit_works_until_the_market_gives_it(tmp_path: Path, clock: Clock) -> None:
    _, market, chains, broker = setup(sqlite(tmp_path), clock)
    greedy = round(await fair(chains, SPREAD) + 0.10, 2)
    o = await broker.submit(
        order("greedy", SPREAD, Side.SELL, greedy, time_in_force=TimeInForce.GTC)
    )
    assert o.status is OrderStatus.NEW and o.filled_quantity == 0
    assert [x.client_order_id for x in await broker.open_orders()] == ["greedy"]
    assert await broker.refresh() == []  # nothing moved
    assert await broker.positions() == []
    market.shock("AAPL", -3.0)  # puts get dearer: the spread's credit grows
    (filled,) = await broker.refresh()
    assert filled.status is OrderStatus.FILLED and filled.avg_fill_price == pytest.approx(greedy)
    assert leg_net(filled) == pytest.approx(greedy, abs=1e-9)
    assert await broker.open_orders() == []


async def test_cancel_and_day_expiry_of_a_working_order(tmp_path: Path, clock: Clock) -> None:
    _, market, chains, broker = setup(sqlite(tmp_path), clock)
    greedy = round(await fair(chains, SPREAD) + 0.25, 2)
    await broker.submit(order("c1", SPREAD, Side.SELL, greedy))
    gone = await broker.cancel("c1")
    assert gone.status is OrderStatus.CANCELED and gone.filled_quantity == 0
    assert len(gone.option_legs) == 2
    await broker.submit(order("d1", SPREAD, Side.SELL, greedy))  # DAY
    today = [(f"AAPL{market.sim_date():%y%m%d}P00185000", Side.SELL)]  # expires at 16:00
    await broker.submit(order("g1", today, Side.SELL, 9.99, time_in_force=GTC))
    clock.advance(days=3)  # Monday
    ended = {o.client_order_id: o for o in await broker.refresh()}
    assert {k: (o.status, o.reason) for k, o in ended.items()} == {
        "d1": (OrderStatus.CANCELED, "expired at the close"),
        "g1": (OrderStatus.CANCELED, f"contract {today[0][0]} expired"),
    }
    assert (await broker.account()).cash == START


async def test_a_partial_fill_then_the_rest(tmp_path: Path, clock: Clock) -> None:
    _, _, chains, broker = setup(sqlite(tmp_path), clock, costs=SimCosts(option_depth=2))
    limit = await fair(chains, SPREAD)
    o = await broker.submit(order("part", SPREAD, Side.SELL, limit, qty=5))
    assert o.status is OrderStatus.PARTIALLY_FILLED and o.filled_quantity == 2
    assert [g.filled_quantity for g in o.option_legs] == [2, 2]
    assert {p.symbol: p.quantity for p in await broker.positions()} == {SHORT_P: -2, LONG_P: 2}
    (o,) = await broker.refresh()
    assert o.status is OrderStatus.PARTIALLY_FILLED and o.filled_quantity == 4
    (o,) = await broker.refresh()
    assert o.status is OrderStatus.FILLED and o.filled_quantity == 5
    assert [[f.quantity for f in g.fills] for g in o.option_legs] == [[2, 2, 1], [2, 2, 1]]
    ids = [f.fill_id for g in o.option_legs for f in g.fills]
    assert len(set(ids)) == 6
    assert leg_net(o) == pytest.approx(limit, abs=1e-9)
    assert await broker.refresh() == []
    acct = await broker.account()
    assert acct.cash == pytest.approx(START + cash_of(o), abs=0.01)
    assert acct.cash == pytest.approx(START + limit * 500 - 10 * FEE, abs=0.01)


async def test_a_repeated_client_id_returns_the_first_order(tmp_path: Path, clock: Clock) -> None:
    _, _, chains, broker = setup(sqlite(tmp_path), clock)
    limit = await fair(chains, SPREAD)
    first = await broker.submit(order("same", SPREAD, Side.SELL, limit))
    second = await broker.submit(order("same", SPREAD, Side.SELL, limit, qty=7))
    assert second == first
    assert {p.symbol: p.quantity for p in await broker.positions()} == {SHORT_P: -1, LONG_P: 1}


async def test_iron_condor_four_legs(tmp_path: Path, clock: Clock) -> None:
    _, _, chains, broker = setup(sqlite(tmp_path), clock)
    legs = [
        (put(180), Side.SELL),
        (put(175), Side.BUY),
        (call(200), Side.SELL),
        (call(205), Side.BUY),
    ]
    limit = await fair(chains, legs)
    assert limit > 0
    o = await broker.submit(order("ic", legs, Side.SELL, limit, qty=3))
    assert o.status is OrderStatus.FILLED and len(o.option_legs) == 4
    assert leg_net(o) == pytest.approx(limit, abs=1e-9)
    held = {p.symbol: p.quantity for p in await broker.positions()}
    assert held == {put(180): -3, put(175): 3, call(200): -3, call(205): 3}
    acct = await broker.account()
    assert acct.cash == pytest.approx(START + limit * 300 - 12 * FEE, abs=0.01)
    # only one side can lose at expiry: the wider wing's max loss is held, not both
    assert acct.buying_power == pytest.approx(acct.cash - 5 * 100 * 3, abs=0.01)


async def test_closing_the_spread_flattens_it(db_url: str, clock: Clock) -> None:
    _, _, chains, broker = setup(db_url, clock)
    opened = await broker.submit(order("open", SPREAD, Side.SELL, await fair(chains, SPREAD), 2))
    assert opened.status is OrderStatus.FILLED
    bp_open = (await broker.account()).buying_power
    closing = [
        OrderLeg(symbol=SHORT_P, side=Side.BUY, opens=False),
        OrderLeg(symbol=LONG_P, side=Side.SELL, opens=False),
    ]
    debit = await fair(chains, [(SHORT_P, Side.BUY), (LONG_P, Side.SELL)], Side.BUY)
    # a close far under the spread's value works; another at its value closes it first
    low = await broker.submit(order("low", closing, Side.BUY, 0.01, 2, time_in_force=GTC))
    assert low.status is OrderStatus.NEW
    o = await broker.submit(order("close", closing, Side.BUY, debit, qty=2))
    assert o.status is OrderStatus.FILLED and o.side is Side.BUY
    assert -leg_net(o) == pytest.approx(debit, abs=1e-9)
    assert [g.opens for g in o.option_legs] == [False, False]
    assert await broker.positions() == []
    acct = await broker.account()
    assert acct.cash == pytest.approx(START + cash_of(opened) + cash_of(o), abs=0.01)
    assert acct.buying_power == pytest.approx(acct.cash, abs=0.01) and acct.buying_power > bp_open
    assert acct.equity == pytest.approx(acct.cash, abs=0.01)
    (low,) = await broker.refresh()  # nothing left to close: it would open instead
    assert low.status is OrderStatus.CANCELED and low.filled_quantity == 0
    assert low.reason == f"nothing left to close in {SHORT_P}"
    assert await broker.positions() == []


# ----------------------------------------------------------------------------- buying power


async def test_a_cash_secured_put_and_a_refusal_when_cash_is_short(
    tmp_path: Path, clock: Clock
) -> None:
    _, _, chains, broker = setup(sqlite(tmp_path), clock, starting_cash=20_000)
    leg = [(put(190), Side.SELL)]
    limit = await fair(chains, leg)
    o = await broker.submit(order("csp", leg, Side.SELL, limit))
    assert o.status is OrderStatus.FILLED and o.option_legs[0].fills[0].price == pytest.approx(
        limit
    )
    acct = await broker.account()
    assert acct.cash == pytest.approx(20_000 + limit * 100 - FEE, abs=0.01)
    # strike x 100 - premium taken from the buying power (and the commission)
    assert 20_000 - acct.buying_power == pytest.approx(190 * 100 - limit * 100 + FEE, abs=0.01)
    # a second one needs the same again: more than is left
    with pytest.raises(OrderRejectedError, match="insufficient buying power"):
        await broker.submit(order("csp2", leg, Side.SELL, limit))
    assert await broker.order_by_client_id("csp2") is None
    # and shares cannot use what the put holds aside
    with pytest.raises(OrderRejectedError, match="insufficient buying power"):
        await broker.submit(
            OrderRequest(client_order_id="stk", symbol="AAPL", side=Side.BUY, quantity=10)
        )


async def test_refusals_store_nothing(tmp_path: Path, clock: Clock) -> None:
    _, _, _, broker = setup(sqlite(tmp_path), clock)
    sell, buy, lim = Side.SELL, Side.BUY, OrderType.LIMIT
    five = [(put(k), sell) for k in (170, 175, 180, 185, 190)]
    close_short = [OrderLeg(symbol=SHORT_P, side=buy, opens=False)]
    cases = [
        (order("b1", five, sell, 0.4), "1 to 4 legs"),
        (order("b2", [("MSFT261127P00400000", sell)], sell, 0.4), "not an option on AAPL"),
        (order("b3", [(SHORT_P, sell), (SHORT_P, buy)], sell, 0.4), "in two legs"),
        (order("b4", [("AAPL", sell)], sell, 0.4), "not an OCC option symbol"),
        (order("b5", SPREAD, sell, None, order_type=OrderType.MARKET), "limit order"),
        (order("b6", SPREAD, sell, None, order_type=lim), "positive net limit"),
        (order("b7", SPREAD, sell, 0.125), "whole cents"),
        (order("b8", SPREAD, sell, 0.4, take_profit=0.1, stop_loss=1.0), "bracket"),
        (order("b9", SPREAD, sell, 0.4, time_in_force=TimeInForce.OPG), "not at the open"),
        (order("b10", [(put(181), sell)], sell, 0.4), "no listed contract"),
        (order("b11", [("AAPL261113P00185000", sell)], sell, 0.4), "has expired"),
        (order("b12", [(LONG_P, buy)], sell, 0.4), "needs a leg that sells"),
        (order("b13", [(call(200), sell)], sell, 0.4), "naked calls"),
        (order("b14", close_short, buy, 0.4), "0 are held short"),
        (order("b15", [OrderLeg(symbol=SHORT_P, side=sell, ratio=2)], sell, 0.4), "lowest terms"),
        (order("b16-sl", SPREAD, sell, 0.4), "kept for the venue"),
    ]
    for req, match in cases:
        with pytest.raises(OrderRejectedError, match=match):
            await broker.submit(req)
        assert await broker.order_by_client_id(req.client_order_id) is None, match
    assert await broker.positions() == [] and await broker.open_orders() == []
    assert (await broker.account()).cash == START


async def test_no_options_source_takes_no_options_orders(tmp_path: Path, clock: Clock) -> None:
    store = Store(sqlite(tmp_path))
    store.upgrade()
    broker = SimBroker(store, SimMarket(seed=42, clock=clock))
    with pytest.raises(OrderRejectedError, match="no option quotes"):
        await broker.submit(order("x", SPREAD, Side.SELL, 0.4))
    assert await broker.order_by_client_id("x") is None
