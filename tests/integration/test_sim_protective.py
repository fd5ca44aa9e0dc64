"""The simulator's protective orders and time in force: brackets placed when the entry
fills, OCO pairs, stops that gap, the position cap, idempotent children across restarts,
DAY / GTC / OPG against the simulated session clock."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from brokers.base import OrderRejectedError
from brokers.sim.broker import SimBroker, SimCosts
from brokers.sim.market import SimMarket
from models.domain import (
    BrokerOrder,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from models.sim_tables import SimOrder
from models.store import Store
from tests.conftest import Clock
from tests.integration.test_sim_broker import req, setup

SLIP = 0.0002  # the default 2 bps


async def bracket(
    broker: SimBroker,
    market: SimMarket,
    cid: str,
    symbol: str = "AAPL",
    qty: int = 10,
    pct: float = 3.0,
    **kw: object,
) -> BrokerOrder:
    """A market buy with its stop `pct`% below the ask and its target `pct`% above."""
    ask = (await market.quote(symbol)).ask
    return await broker.submit(
        req(
            cid,
            symbol,
            qty=qty,
            stop_loss=round(ask * (1 - pct / 100), 2),
            take_profit=round(ask * (1 + pct / 100), 2),
            **kw,
        )
    )


async def get(broker: SimBroker, cid: str) -> BrokerOrder:
    o = await broker.order_by_client_id(cid)
    assert o is not None, cid
    return o


def rows(store: Store, parent: str) -> list[SimOrder]:
    with store.session() as s:
        return list(
            s.exec(
                select(SimOrder)
                .where(SimOrder.parent_client_id == parent)
                .order_by(col(SimOrder.client_order_id))
            ).all()
        )


async def held(broker: SimBroker, symbol: str) -> int:
    return next((p.quantity for p in await broker.positions() if p.symbol == symbol), 0)


def next_session(clock: Clock, market: SimMarket) -> None:
    """Move the clock to the same time of day in the next simulated session."""
    day = market.sim_date()
    while market.sim_date() == day:
        clock.advance(days=1)


# ----------------------------------------------------------------------------- brackets


async def test_bracket_stop_gaps_and_fills_at_the_gapped_price(
    tmp_path: Path, clock: Clock
) -> None:
    store, market, broker = setup(tmp_path, clock)
    o = await bracket(broker, market, "b1")
    assert o.status is OrderStatus.FILLED
    sl, tp = o.legs
    assert (sl.client_order_id, tp.client_order_id) == ("b1-sl", "b1-tp")
    assert (sl.order_type, tp.order_type) == (OrderType.STOP, OrderType.LIMIT)
    assert {sl.side, tp.side} == {Side.SELL} and sl.quantity == tp.quantity == 10
    assert sl.stop_price is not None and tp.limit_price is not None
    assert [(r.role, r.time_in_force, r.parent_client_id) for r in rows(store, "b1")] == [
        ("stop", "gtc", "b1"),
        ("target", "gtc", "b1"),
    ]
    assert {x.client_order_id for x in await broker.open_orders()} == {"b1-sl", "b1-tp"}

    market.shock("AAPL", -10.0)  # a gap straight through the stop
    q = await market.quote("AAPL")
    changed = {c.client_order_id: c for c in await broker.refresh()}
    assert set(changed) >= {"b1-sl", "b1-tp"}
    sl, tp = await get(broker, "b1-sl"), await get(broker, "b1-tp")
    assert sl.status is OrderStatus.FILLED and sl.filled_quantity == 10
    assert sl.avg_fill_price == pytest.approx(round(q.bid * (1 - SLIP), 2))
    assert sl.avg_fill_price < 0.95 * sl.stop_price  # the gapped price, not the stop
    assert tp.status is OrderStatus.CANCELED and tp.filled_quantity == 0
    assert tp.reason == "one-cancels-other: b1-sl filled"
    assert await broker.positions() == [] and await broker.open_orders() == []
    parent = await get(broker, "b1")
    assert [x.status for x in parent.legs] == [OrderStatus.FILLED, OrderStatus.CANCELED]


async def test_bracket_target_fills_and_cancels_the_stop(tmp_path: Path, clock: Clock) -> None:
    _, market, broker = setup(tmp_path, clock)
    o = await bracket(broker, market, "b2", "MSFT", qty=20)
    target = o.legs[1].limit_price
    assert target is not None
    market.shock("MSFT", 6.0)
    await broker.refresh()
    tp, sl = await get(broker, "b2-tp"), await get(broker, "b2-sl")
    assert tp.status is OrderStatus.FILLED and tp.filled_quantity == 20
    assert tp.avg_fill_price is not None and tp.avg_fill_price >= target  # the limit or better
    assert sl.status is OrderStatus.CANCELED and sl.reason == "one-cancels-other: b2-tp filled"
    assert await broker.positions() == []


async def test_a_shorts_bracket_buys_back_at_the_gapped_ask(tmp_path: Path, clock: Clock) -> None:
    _, market, broker = setup(tmp_path, clock)
    bid = (await market.quote("TSLA")).bid
    o = await broker.submit(
        req(
            "s1",
            "TSLA",
            Side.SELL,
            8,
            stop_loss=round(bid * 1.03, 2),
            take_profit=round(bid * 0.97, 2),
        )
    )
    assert o.status is OrderStatus.FILLED and await held(broker, "TSLA") == -8
    assert [(x.side, x.quantity) for x in o.legs] == [(Side.BUY, 8)] * 2
    market.shock("TSLA", 10.0)
    q = await market.quote("TSLA")
    await broker.refresh()
    sl = await get(broker, "s1-sl")
    assert sl.status is OrderStatus.FILLED
    assert sl.avg_fill_price == pytest.approx(round(q.ask * (1 + SLIP), 2))
    assert (await get(broker, "s1-tp")).status is OrderStatus.CANCELED
    assert await broker.positions() == []


async def test_partial_entry_then_cancel_protects_the_filled_part(
    tmp_path: Path, clock: Clock
) -> None:
    store, market, broker = setup(
        tmp_path, clock, starting_cash=10_000_000, costs=SimCosts(depth_multiple=1)
    )
    o = await bracket(broker, market, "b3", "INTC", qty=5_000)
    assert o.status is OrderStatus.PARTIALLY_FILLED and o.legs == ()  # not placed yet
    filled = o.filled_quantity
    assert 0 < filled < 5_000
    c = await broker.cancel("b3")
    assert c.status is OrderStatus.CANCELED and c.filled_quantity == filled
    assert [(x.client_order_id, x.quantity, x.status) for x in c.legs] == [
        ("b3-sl", filled, OrderStatus.NEW),
        ("b3-tp", filled, OrderStatus.NEW),
    ]
    assert len(rows(store, "b3")) == 2
    again = await broker.cancel("b3")  # a second cancel changes nothing
    assert again == await get(broker, "b3") and len(rows(store, "b3")) == 2


async def test_cancel_of_an_unfilled_entry_places_no_children(tmp_path: Path, clock: Clock) -> None:
    store, market, broker = setup(tmp_path, clock)
    ask = (await market.quote("AAPL")).ask
    limit = round(ask * 0.9, 2)
    o = await broker.submit(
        req(
            "b4",
            order_type=OrderType.LIMIT,
            limit_price=limit,
            stop_loss=round(limit * 0.97, 2),
            take_profit=round(limit * 1.05, 2),
        )
    )
    assert o.status is OrderStatus.NEW and o.legs == ()
    c = await broker.cancel("b4")
    assert c.status is OrderStatus.CANCELED and c.legs == () and rows(store, "b4") == []
    assert await broker.refresh() == []


async def test_wrong_side_brackets_and_pairs_are_refused(tmp_path: Path, clock: Clock) -> None:
    _, market, broker = setup(tmp_path, clock)
    q = await market.quote("AAPL")
    up, down = round(q.ask * 1.05, 2), round(q.bid * 0.95, 2)
    cases: list[tuple[OrderRequest, str]] = [
        (req("w1", stop_loss=up, take_profit=down), "stop-loss .* must be below"),
        (req("w2", side=Side.SELL, stop_loss=down, take_profit=up), "must be above"),
        (req("w3", stop_loss=down), "both a take-profit and a stop-loss"),
        (
            req(
                "w4",
                order_type=OrderType.LIMIT,
                limit_price=round(q.ask * 0.9, 2),
                stop_loss=round(q.ask * 0.92, 2),  # above the limit entry
                take_profit=up,
            ),
            "must be below",
        ),
        (
            req("w5", order_type=OrderType.STOP, stop_price=up, stop_loss=down, take_profit=up),
            "market or limit",
        ),
        (
            req("w6", side=Side.SELL, oco=True, stop_loss=down, take_profit=up),
            "nothing held in AAPL to sell",
        ),
        (req("w7-sl"), "kept for the venue"),
        (req("w8", time_in_force=TimeInForce.OPG, order_type=OrderType.STOP, stop_price=up), "OPG"),
    ]
    for r, why in cases:
        with pytest.raises(OrderRejectedError, match=why):
            await broker.submit(r)
    await broker.submit(req("long", qty=10))
    with pytest.raises(OrderRejectedError, match="OCO pair: a long's stop-loss"):
        await broker.submit(req("w9", side=Side.SELL, oco=True, stop_loss=up, take_profit=down))
    assert [o.client_order_id for o in await broker.open_orders()] == []
    for r, _ in cases:
        assert await broker.order_by_client_id(r.client_order_id) is None


async def test_a_protective_child_never_sells_more_than_is_held(
    tmp_path: Path, clock: Clock
) -> None:
    _, market, broker = setup(tmp_path, clock)
    await bracket(broker, market, "b5", "NVDA", qty=10)
    await bracket(broker, market, "b6", "AMD", qty=10)
    await broker.submit(req("trim", "NVDA", Side.SELL, 6))  # 4 left for a stop of 10
    await broker.submit(req("flat", "AMD", Side.SELL, 10))  # nothing left for a stop of 10
    market.shock("NVDA", -10.0)
    market.shock("AMD", -10.0)
    await broker.refresh()
    sl = await get(broker, "b5-sl")
    assert sl.status is OrderStatus.CANCELED and sl.filled_quantity == 4
    assert "position is closed" in sl.reason and "remaining 6" in sl.reason
    tp = await get(broker, "b5-tp")
    assert tp.status is OrderStatus.CANCELED and tp.reason == "one-cancels-other: b5-sl filled"
    sl2 = await get(broker, "b6-sl")
    assert sl2.status is OrderStatus.CANCELED and sl2.filled_quantity == 0
    assert sl2.reason.startswith("nothing held in AMD")
    assert (await get(broker, "b6-tp")).reason == "one-cancels-other: b6-sl cancelled"
    assert await broker.positions() == []


# ----------------------------------------------------------------------------- OCO pairs


async def test_oco_pair_is_placed_at_once_and_a_partial_fill_resizes_the_other(
    tmp_path: Path, clock: Clock
) -> None:
    store, market, broker = setup(tmp_path, clock, starting_cash=10_000_000)
    await broker.submit(req("long", "INTC", qty=5_000))
    while await held(broker, "INTC") < 5_000:
        clock.advance(seconds=60)
        await broker.refresh()
    thin = SimBroker(store, market, costs=SimCosts(depth_multiple=1))  # the same account
    last = (await market.quote("INTC")).last
    tp_px, sl_px = round(last * 1.03, 2), round(last * 0.95, 2)
    g = await thin.submit(
        req("p", "INTC", Side.SELL, 5_000, oco=True, take_profit=tp_px, stop_loss=sl_px)
    )
    assert g.client_order_id == "p" and g.status is OrderStatus.NEW and g.fills == ()
    assert [(x.client_order_id, x.order_type, x.quantity) for x in g.legs] == [
        ("p-sl", OrderType.STOP, 5_000),
        ("p-tp", OrderType.LIMIT, 5_000),
    ]
    assert (g.legs[0].stop_price, g.legs[1].limit_price) == (sl_px, tp_px)
    assert {o.client_order_id for o in await thin.open_orders()} == {"p-sl", "p-tp"}

    market.shock("INTC", 8.0)
    changed = {c.client_order_id for c in await thin.refresh()}
    assert changed == {"p", "p-sl", "p-tp"}
    tp, sl = await get(thin, "p-tp"), await get(thin, "p-sl")
    x = tp.filled_quantity
    assert tp.status is OrderStatus.PARTIALLY_FILLED and 0 < x < 5_000
    assert sl.status is OrderStatus.NEW and sl.quantity == 5_000 - x  # resized by the fill
    g = await get(thin, "p")
    assert g.status is OrderStatus.PARTIALLY_FILLED and g.filled_quantity == x
    while (await get(thin, "p-tp")).status is not OrderStatus.FILLED:
        clock.advance(seconds=60)
        await thin.refresh()
    sl = await get(thin, "p-sl")
    assert sl.status is OrderStatus.CANCELED and sl.filled_quantity == 0
    assert sl.reason == "one-cancels-other: p-tp filled"
    g = await get(thin, "p")
    assert g.status is OrderStatus.FILLED and g.filled_quantity == 5_000
    assert await thin.positions() == [] and await thin.open_orders() == []


async def test_cancelling_one_leg_cancels_both(tmp_path: Path, clock: Clock) -> None:
    _, market, broker = setup(tmp_path, clock)
    await broker.submit(req("long", qty=20))
    last = (await market.quote("AAPL")).last
    for cid in ("p1", "p2"):
        await broker.submit(
            req(
                cid,
                side=Side.SELL,
                oco=True,
                take_profit=round(last * 1.05, 2),
                stop_loss=round(last * 0.95, 2),
                time_in_force=TimeInForce.GTC,
            )
        )
    one = await broker.cancel("p1-tp")
    assert one.status is OrderStatus.CANCELED
    sl = await get(broker, "p1-sl")
    assert sl.status is OrderStatus.CANCELED and sl.reason == "one-cancels-other: p1-tp cancelled"
    assert (await get(broker, "p1")).status is OrderStatus.CANCELED
    group = await broker.cancel("p2")  # the pair's own id cancels the pair
    assert group.status is OrderStatus.CANCELED
    assert [x.status for x in group.legs] == [OrderStatus.CANCELED] * 2
    assert await broker.open_orders() == [] and await held(broker, "AAPL") == 20


async def test_repeated_ids_and_restarts_never_duplicate_children(
    tmp_path: Path, clock: Clock
) -> None:
    store, market, broker = setup(tmp_path, clock)
    first = await bracket(broker, market, "b7", qty=10)
    assert await bracket(broker, market, "b7", qty=99) == first
    last = (await market.quote("AAPL")).last
    pair = req("p3", side=Side.SELL, qty=10, oco=True)
    pair = pair.model_copy(
        update={"take_profit": round(last * 1.06, 2), "stop_loss": round(last * 0.94, 2)}
    )
    g = await broker.submit(pair)
    assert await broker.submit(pair) == g
    clock.advance(seconds=30)
    await broker.refresh()
    again = SimBroker(Store(store.url), market)  # a restart on the same books
    assert await again.order_by_client_id("b7") == await get(broker, "b7")
    market.shock("AAPL", -4.0)  # beyond the stop: a fresh bracket would be refused now
    assert (await bracket(again, market, "b7")).legs[0].client_order_id == "b7-sl"
    resent = await again.submit(pair)
    assert [x.broker_order_id for x in resent.legs] == [x.broker_order_id for x in g.legs]
    await again.refresh()
    await again.refresh()
    assert [r.client_order_id for r in rows(store, "b7")] == ["b7-sl", "b7-tp"]
    assert [r.client_order_id for r in rows(store, "p3")] == ["p3-sl", "p3-tp"]
    with store.session() as s:
        assert len(s.exec(select(SimOrder)).all()) == 6  # b7, its 2, p3, its 2
    # the stops fired once each; the targets went with them; nothing was sold twice
    assert await again.positions() == []


async def test_a_pair_the_price_is_already_through_trades_at_once(
    tmp_path: Path, clock: Clock
) -> None:
    """A protective pair put back after the price moved past its stop sells now, as the
    approved stop says, rather than leaving the position bare."""
    _, market, broker = setup(tmp_path, clock)
    await broker.submit(req("long", qty=10))
    last = (await market.quote("AAPL")).last
    g = await broker.submit(
        req(
            "late",
            side=Side.SELL,
            oco=True,
            take_profit=round(last * 1.05, 2),
            stop_loss=round(last * 1.01, 2),
            time_in_force=TimeInForce.GTC,
        )
    )
    assert g.status is OrderStatus.FILLED and g.filled_quantity == 10 and g.fills == ()
    sl, tp = g.legs
    assert sl.status is OrderStatus.FILLED and tp.status is OrderStatus.CANCELED
    assert g.avg_fill_price == pytest.approx(sl.avg_fill_price)
    assert await broker.positions() == [] and await broker.open_orders() == []


async def test_target_partly_filled_then_the_stop_sells_only_the_rest(
    tmp_path: Path, clock: Clock
) -> None:
    store, market, _ = setup(tmp_path, clock, starting_cash=10_000_000)
    deep = SimBroker(store, market, costs=SimCosts(depth_multiple=1_000))
    thin = SimBroker(store, market, costs=SimCosts(depth_multiple=1))  # the same account
    await bracket(deep, market, "b10", "INTC", qty=6_000, pct=2.0)
    market.shock("INTC", 4.0)
    await thin.refresh()
    x = (await get(thin, "b10-tp")).filled_quantity
    assert 0 < x < 6_000 and (await get(thin, "b10-sl")).quantity == 6_000 - x
    market.shock("INTC", -10.0)
    while (await get(thin, "b10-sl")).status.is_open:
        clock.advance(seconds=60)
        await thin.refresh()
    sl, tp = await get(thin, "b10-sl"), await get(thin, "b10-tp")
    assert sl.status is OrderStatus.FILLED and sl.filled_quantity == 6_000 - x
    assert tp.status is OrderStatus.CANCELED and tp.filled_quantity == x == tp.quantity
    assert tp.reason == "one-cancels-other: b10-sl filled"
    assert await held(thin, "INTC") == 0


async def test_the_same_on_postgresql(pg_url: str, clock: Clock) -> None:
    """Brackets, pairs and restarts on PostgreSQL (row locks, booleans, the group filter)."""
    store, other = Store(pg_url), Store(pg_url)  # a second process's engine
    store.upgrade()
    market = SimMarket(seed=42, clock=clock)
    broker = SimBroker(store, market)
    try:
        o = await bracket(broker, market, "g1", "NVDA", qty=10)
        assert [x.client_order_id for x in o.legs] == ["g1-sl", "g1-tp"]
        last = (await market.quote("NVDA")).last
        pair = req(
            "g2",
            "NVDA",
            Side.SELL,
            10,
            oco=True,
            take_profit=round(last * 1.2, 2),
            stop_loss=round(last * 0.8, 2),
        )
        await broker.submit(pair)
        assert {x.client_order_id for x in await broker.open_orders()} == {
            "g1-sl",
            "g1-tp",
            "g2-sl",
            "g2-tp",
        }
        assert (await broker.cancel("g2-sl")).status is OrderStatus.CANCELED
        market.shock("NVDA", -10.0)
        again = SimBroker(other, market)
        assert await again.submit(pair) == await get(broker, "g2")
        await again.refresh()
        assert (await get(again, "g1-sl")).status is OrderStatus.FILLED
        assert (await get(again, "g2")).status is OrderStatus.CANCELED
        assert await again.positions() == [] and await again.open_orders() == []
    finally:
        store.dispose()
        other.dispose()


# ----------------------------------------------------------------------------- time in force


async def test_opg_waits_for_the_next_open_and_fills_at_the_first_price(
    tmp_path: Path, clock: Clock
) -> None:
    _, market, broker = setup(tmp_path, clock)
    o = await broker.submit(req("opg", "MSFT", qty=5, time_in_force=TimeInForce.OPG))
    ask = (await market.quote("MSFT")).ask
    lim = await broker.submit(
        req(
            "opg-lim",
            "MSFT",
            qty=5,
            order_type=OrderType.LIMIT,
            limit_price=round(ask * 0.5, 2),
            time_in_force=TimeInForce.OPG,
        )
    )
    assert o.status is lim.status is OrderStatus.NEW and o.filled_quantity == 0
    clock.advance(hours=2)  # the session is open, but this is not the next open
    assert await broker.refresh() == [] and await broker.positions() == []
    clock.advance(days=1)  # Saturday: the simulated Friday session still
    assert await broker.refresh() == []
    next_session(clock, market)
    opening = (await market.intraday_bars("MSFT", minutes=30, limit=13)).open[0]
    now_px = (await market.quote("MSFT")).ask
    changed = {c.client_order_id: c for c in await broker.refresh()}
    filled = changed["opg"]
    assert filled.status is OrderStatus.FILLED and filled.filled_quantity == 5
    assert filled.avg_fill_price == pytest.approx(round(opening * (1 + SLIP), 2))
    assert filled.avg_fill_price != pytest.approx(round(now_px * (1 + SLIP), 2))
    assert changed["opg-lim"].status is OrderStatus.CANCELED
    assert changed["opg-lim"].reason.startswith("not filled at the open")


async def test_day_expires_at_the_close_gtc_and_children_survive(
    tmp_path: Path, clock: Clock
) -> None:
    _, market, broker = setup(tmp_path, clock)
    ask = (await market.quote("AAPL")).ask
    low = round(ask * 0.7, 2)
    await broker.submit(req("day", order_type=OrderType.LIMIT, limit_price=low))
    await broker.submit(
        req("gtc", order_type=OrderType.LIMIT, limit_price=low, time_in_force=TimeInForce.GTC)
    )
    await bracket(broker, market, "b8", pct=25.0)  # DAY entry, filled: its children are GTC
    last = (await market.quote("AAPL")).last
    await broker.submit(
        req(
            "pday",
            side=Side.SELL,
            qty=5,
            oco=True,
            take_profit=round(last * 1.3, 2),
            stop_loss=round(last * 0.7, 2),
        )
    )  # a DAY pair
    working = {"day", "gtc", "b8-sl", "b8-tp", "pday-sl", "pday-tp"}
    assert {o.client_order_id for o in await broker.open_orders()} == working
    clock.advance(days=1)  # Saturday maps onto the Friday session: nothing expires yet
    await broker.refresh()
    assert {o.client_order_id for o in await broker.open_orders()} == working
    next_session(clock, market)
    await broker.refresh()
    assert {o.client_order_id for o in await broker.open_orders()} == {"gtc", "b8-sl", "b8-tp"}
    day = await get(broker, "day")
    assert day.status is OrderStatus.CANCELED and day.reason == "expired at the close"
    pday = await get(broker, "pday")
    assert pday.status is OrderStatus.CANCELED and pday.reason == "expired at the close"
    assert [x.status for x in pday.legs] == [OrderStatus.CANCELED] * 2


async def test_a_partial_day_entry_expiring_places_its_children(
    tmp_path: Path, clock: Clock
) -> None:
    _, market, broker = setup(
        tmp_path, clock, starting_cash=10_000_000, costs=SimCosts(depth_multiple=1)
    )
    o = await bracket(broker, market, "b9", "INTC", qty=8_000, pct=30.0)
    assert o.status is OrderStatus.PARTIALLY_FILLED
    next_session(clock, market)
    await broker.refresh()
    o = await get(broker, "b9")
    assert o.status is OrderStatus.CANCELED and o.reason == "expired at the close"
    assert [x.quantity for x in o.legs] == [o.filled_quantity] * 2


# ----------------------------------------------------------------------------- the property


async def _run(home: Path, qty: int, actions: list[tuple[str, float]]) -> None:
    clock = Clock()
    store = Store(f"sqlite:///{home / 'h.db'}")
    store.upgrade()
    market = SimMarket(seed=3, clock=clock)
    broker = SimBroker(store, market, starting_cash=100_000_000, costs=SimCosts(depth_multiple=1))
    deep = SimBroker(store, market, costs=SimCosts(depth_multiple=1_000))  # trims fill at once
    try:
        await bracket(broker, market, "e", "INTC", qty=qty, pct=2.0)
        for kind, x in actions:
            if kind == "shock":
                market.shock("INTC", x)
            elif kind == "cancel":
                await broker.cancel("e")
            elif (have := await held(broker, "INTC")) > 0:  # a trim of what is held
                n = 1 + int(x * (have - 1))
                await deep.submit(req(f"s{clock.t.timestamp()}", "INTC", Side.SELL, n))
            clock.advance(seconds=40)
            await broker.refresh()
            assert await held(broker, "INTC") >= 0  # no protective order ever went short
        entry = await get(broker, "e")
        legs = entry.legs
        assert sum(x.filled_quantity for x in legs) <= entry.filled_quantity
        assert sum(x.status is OrderStatus.FILLED for x in legs) <= 1
        done = entry.filled_quantity > 0 and not entry.status.is_open
        assert len(legs) == (2 if done else 0)
    finally:
        store.dispose()


@settings(max_examples=30, deadline=None)
@given(
    qty=st.integers(100, 6_000),
    actions=st.lists(
        st.one_of(
            st.tuples(st.just("shock"), st.floats(-8.0, 8.0)),
            st.tuples(st.just("cancel"), st.just(0.0)),
            st.tuples(st.just("sell"), st.floats(0.0, 1.0)),
        ),
        max_size=12,
    ),
)
def test_bracket_children_never_fill_more_than_the_entry(
    qty: int, actions: list[tuple[str, float]]
) -> None:
    """Whatever the prices do (gaps, partial fills over thin ticks, an entry cancelled
    half way, trims by hand): the children fill at most what the entry filled, together,
    and at most one of them ends filled."""
    with tempfile.TemporaryDirectory() as d:
        asyncio.run(_run(Path(d), qty, actions))
