"""The paper broker's option expiry settlement (worthless, assigned, exercised), concurrent
submits of one client id, and the exact split of a net price across the legs."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from brokers.base import OptionExpiry
from brokers.sim.broker import SimBroker
from brokers.sim.expiry import assignment_side, in_the_money
from brokers.sim.legs import split_net
from models.domain import (
    OrderStatus,
    Side,
)
from models.store import Store
from tests.conftest import Clock
from tests.integration.sim_option_world import (
    LONG_P,
    SHORT_P,
    SPREAD,
    call,
    fair,
    order,
    put,
    setup,
    sqlite,
)

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
