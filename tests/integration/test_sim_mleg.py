"""The paper broker's options orders: 1-4 legs at a net limit against the simulated chain,
fills split across the legs, cash, positions and buying power with options, and expiry
settlement (worthless, assigned, exercised)."""

from __future__ import annotations

import asyncio
import math
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from brokers.base import OptionExpiry, OptionQuotes, OrderRejectedError
from brokers.sim.broker import SimBroker, SimCosts
from brokers.sim.expiry import assignment_side, in_the_money
from brokers.sim.legs import split_net
from brokers.sim.market import SimMarket
from brokers.sim.options import SimOptionChains
from models.domain import (
    BrokerOrder,
    OrderLeg,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from models.options import OptionRow
from models.store import Store
from tests.conftest import Clock

# T0 is Friday 2026-11-20, 12:00 ET: AAPL near 192, the 2026-11-27 weekly listed
EXP = "261127"
SHORT_P, LONG_P = f"AAPL{EXP}P00185000", f"AAPL{EXP}P00180000"  # a $5 bull put spread
START = 100_000.0
FEE = 0.65


def put(strike: float) -> str:
    return f"AAPL{EXP}P{round(strike * 1000):08d}"


def call(strike: float) -> str:
    return f"AAPL{EXP}C{round(strike * 1000):08d}"


def setup(
    url: str, clock: Clock, **kw: object
) -> tuple[Store, SimMarket, SimOptionChains, SimBroker]:
    store = Store(url)
    store.upgrade()
    market = SimMarket(seed=42, clock=clock)
    chains = SimOptionChains(market)
    return store, market, chains, SimBroker(store, market, options=chains, **kw)  # type: ignore[arg-type]


def sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mleg.db'}"


def order(
    cid: str,
    legs: list[tuple[str, Side]] | list[OrderLeg],
    side: Side,
    limit: float | None,
    qty: int = 1,
    **kw: object,
) -> OrderRequest:
    built = [g if isinstance(g, OrderLeg) else OrderLeg(symbol=g[0], side=g[1]) for g in legs]
    return OrderRequest(
        client_order_id=cid,
        symbol="AAPL",
        side=side,
        quantity=qty,
        order_type=kw.pop("order_type", OrderType.LIMIT),  # type: ignore[arg-type]
        limit_price=limit,
        legs=tuple(built),
        **kw,  # type: ignore[arg-type]
    )


SPREAD = [(SHORT_P, Side.SELL), (LONG_P, Side.BUY)]
GTC = TimeInForce.GTC


def mid(q: OptionRow) -> float:
    assert q.bid is not None and q.ask is not None
    return (q.bid + q.ask) / 2


async def fair(
    chains: SimOptionChains, legs: list[tuple[str, Side]], side: Side = Side.SELL
) -> float:
    """The best net limit marketable now at the default costs: the legs' net mid (sells
    +, buys -) less 10% of each leg's spread for a credit (SELL), plus it for a debit."""
    quotes = await chains.option_quotes([s for s, _ in legs])
    net = sum((1 if g is Side.SELL else -1) * mid(quotes[s]) for s, g in legs)
    slip = sum(0.1 * ((quotes[s].ask or 0) - (quotes[s].bid or 0)) for s, _ in legs)
    if side is Side.SELL:
        return math.floor((net - slip) * 100) / 100
    return math.ceil((slip - net) * 100) / 100


def leg_net(o: BrokerOrder) -> float:
    """Σ sign·ratio·price over the legs' fills, per unit (credit positive)."""
    units = o.filled_quantity
    total = sum(
        (1 if g.side is Side.SELL else -1) * f.price * f.quantity
        for g in o.option_legs
        for f in g.fills
    )
    return total / units


def cash_of(o: BrokerOrder) -> float:
    """What the order's fills did to the cash."""
    return sum(
        (1 if g.side is Side.SELL else -1) * f.price * f.quantity * 100 - f.commission
        for g in o.option_legs
        for f in g.fills
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


# ----------------------------------------------------------------------------- expiry


async def test_expiry_worthless_and_assigned(db_url: str, clock: Clock) -> None:
    _, market, chains, broker = setup(db_url, clock)
    assert isinstance(broker, OptionExpiry)
    otm = [(put(180), Side.SELL), (put(175), Side.BUY)]
    itm = [(put(210), Side.SELL)]  # deep in the money: AAPL near 192
    for cid, legs in (("otm", otm), ("itm", itm)):
        o = await broker.submit(order(cid, legs, Side.SELL, await fair(chains, legs)))
        assert o.status is OrderStatus.FILLED
    before = await broker.account()
    assert await broker.settle_expired(market.now()) == []  # nothing has expired yet
    clock.advance(days=10)  # Monday 2026-11-30: the 27th's contracts expired on Friday
    now = market.now()
    close = market.close_on("AAPL", market.sim_date() - timedelta(days=3))
    assert close is not None and 180 < close < 210
    settled = await broker.settle_expired(now)
    by_id = {o.client_order_id: o for o in settled}
    assert set(by_id) == {
        f"EXP-{put(180)}",
        f"EXP-{put(175)}",
        f"EXP-{put(210)}",
        f"EXP-{put(210)}-S",
    }
    for sym, reason, side in (
        (put(180), "expired worthless", Side.BUY),
        (put(175), "expired worthless", Side.SELL),
        (put(210), "assigned", Side.BUY),
    ):
        o = by_id[f"EXP-{sym}"]
        assert o.status is OrderStatus.FILLED and o.reason == reason and o.fills == ()
        (g,) = o.option_legs
        assert (g.symbol, g.side, g.opens, g.filled_quantity) == (sym, side, False, 1)
        assert [(f.quantity, f.price, f.commission) for f in g.fills] == [(1, 0.0, 0.0)]
    shares = by_id[f"EXP-{put(210)}-S"]
    assert (shares.symbol, shares.side, shares.filled_quantity) == ("AAPL", Side.BUY, 100)
    assert [(f.quantity, f.price) for f in shares.fills] == [(100, 210.0)]
    assert shares.status is OrderStatus.FILLED
    held = {p.symbol: (p.quantity, p.avg_price) for p in await broker.positions()}
    assert held == {"AAPL": (100, 210.0)}
    after = await broker.account()
    assert after.cash == pytest.approx(before.cash - 210 * 100, abs=0.01)
    assert await broker.order_by_client_id(f"EXP-{put(210)}-S") == shares
    # idempotent: nothing settles twice, the same orders come back
    assert await broker.settle_expired(now) == settled
    assert (await broker.account()).cash == after.cash


async def test_a_long_call_in_the_money_is_exercised(tmp_path: Path, clock: Clock) -> None:
    _, market, chains, broker = setup(sqlite(tmp_path), clock)
    leg = [(call(170), Side.BUY)]
    debit = await fair(chains, leg, Side.BUY)
    o = await broker.submit(order("lc", leg, Side.BUY, debit))
    assert o.status is OrderStatus.FILLED
    cash = (await broker.account()).cash
    clock.advance(days=10)
    settled = await broker.settle_expired(market.now())
    by_id = {x.client_order_id: x for x in settled}
    assert by_id[f"EXP-{call(170)}"].reason == "exercised"
    assert by_id[f"EXP-{call(170)}"].option_legs[0].side is Side.SELL
    assert by_id[f"EXP-{call(170)}-S"].side is Side.BUY
    assert {p.symbol: p.quantity for p in await broker.positions()} == {"AAPL": 100}
    assert (await broker.account()).cash == pytest.approx(cash - 170 * 100, abs=0.01)


async def test_expiry_day_settles_at_that_days_close(tmp_path: Path, clock: Clock) -> None:
    """Past 16:00 ET on the expiry date itself the simulated date has not moved on: the
    price at the close is the day's own path at 16:00."""
    _, market, chains, broker = setup(sqlite(tmp_path), clock)
    today = f"AAPL{market.sim_date():%y%m%d}P00210000"
    o = await broker.submit(
        order("t", [(today, Side.SELL)], Side.SELL, await fair(chains, [(today, Side.SELL)]))
    )
    assert o.status is OrderStatus.FILLED
    assert await broker.settle_expired(clock.t) == []  # noon: still trading
    clock.advance(hours=5)  # 17:00 ET
    close = market.close_on("AAPL", market.sim_date())
    assert close is not None and close < 210
    orders = {x.client_order_id: x for x in await broker.settle_expired(clock.t)}
    assert orders[f"EXP-{today}"].reason == "assigned"
    assert [(f.quantity, f.price) for f in orders[f"EXP-{today}-S"].fills] == [(100, 210.0)]


def test_at_the_strike_is_out_of_the_money() -> None:
    assert not in_the_money(True, 100.0, 100.0) and not in_the_money(False, 100.0, 100.0)
    assert in_the_money(True, 100.0, 100.01) and in_the_money(False, 100.0, 99.99)
    assert assignment_side(False, -1) is Side.BUY and assignment_side(True, -1) is Side.SELL
    assert assignment_side(True, 1) is Side.BUY and assignment_side(False, 1) is Side.SELL


def test_concurrent_submits_of_one_options_client_id(tmp_path: Path, clock: Clock) -> None:
    store, market, chains, _ = setup(sqlite(tmp_path), clock)
    req = order("race", SPREAD, Side.SELL, asyncio.run(fair(chains, SPREAD)))
    brokers = [SimBroker(Store(store.url), market, options=chains) for _ in range(8)]
    barrier = threading.Barrier(8)
    ids: list[str] = []

    def go(b: SimBroker) -> None:
        barrier.wait()
        ids.append(asyncio.run(b.submit(req)).broker_order_id)

    threads = [threading.Thread(target=go, args=(b,)) for b in brokers]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(ids) == 8 and len(set(ids)) == 1
    held = {p.symbol: p.quantity for p in asyncio.run(brokers[0].positions())}
    assert held == {SHORT_P: -1, LONG_P: 1}


# ----------------------------------------------------------------------------- the split


@st.composite
def split_cases(draw: st.DrawFn) -> tuple[list[tuple[int, int, float]], int]:
    """1-4 legs (premium sign, ratio, mid), one of ratio 1, and a net in cents."""
    n = draw(st.integers(1, 4))
    signs = st.sampled_from([1, -1])
    mids = st.floats(0, 60, allow_nan=False)
    legs = [(draw(signs), draw(st.integers(1, 5)), draw(mids)) for _ in range(n)]
    i = draw(st.integers(0, n - 1))
    legs[i] = (legs[i][0], 1, legs[i][2])
    net = draw(st.integers(1, 10_000)) * draw(signs)
    return legs, net


@settings(max_examples=400, deadline=None)
@given(split_cases())
def test_the_net_split_across_legs_is_exact(case: tuple[list[tuple[int, int, float]], int]) -> None:
    legs, net = case
    assume(any(s == (1 if net > 0 else -1) for s, _, _ in legs))  # a leg that gives the net
    cents = split_net(legs, net)
    assert all(isinstance(c, int) and c >= 0 for c in cents)
    assert sum(s * r * c for (s, r, _), c in zip(legs, cents, strict=True)) == net
