"""Properties of booking in the domain (models/booking.py): positions, round trips and
buying power as pure functions of the fills."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.booking import (
    BookUpdate,
    Execution,
    PositionState,
    TradeState,
    book_trade,
    buying_power,
    buying_power_shortfall,
    exposure,
)
from models.domain import Side

T0 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
sides = st.sampled_from([Side.BUY, Side.SELL])
qtys = st.integers(1, 1_000)
prices = st.floats(0.5, 2_000.0, allow_nan=False, allow_infinity=False)
fees = st.floats(0.0, 5.0, allow_nan=False, allow_infinity=False)
executions = st.builds(Execution, sides, qtys, prices, fees)


def close(a: float, b: float, scale: float = 1.0) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, scale))


def run(fills: list[Execution]) -> tuple[PositionState, list[TradeState], TradeState | None]:
    """Book fills one by one as the ledger does: the position, closed trades, open trade."""
    pos, done, trade = PositionState(), [], None
    for i, f in enumerate(fills):
        f = Execution(f.side, f.quantity, f.price, f.commission, T0 + timedelta(seconds=i))
        upd = pos.apply(f)
        trade, opened = book_trade(trade, upd, f)
        if trade is not None and trade.closed:
            done.append(trade)
            trade = None
        trade = opened or trade
        pos = upd.position
    return pos, done, trade


# ----------------------------------------------------------------------------- positions


def test_a_flat_position_opens_at_the_fill_price_exactly() -> None:
    upd = PositionState().apply(Execution(Side.BUY, 3, 0.1))
    assert upd == BookUpdate(3, 0.1, 0.0, 0, 3) and upd.exit_price is None
    assert upd.position == PositionState(3, 0.1) and not upd.flipped


@pytest.mark.parametrize("bad", [0, -5])
def test_a_non_positive_fill_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        PositionState(10, 5.0).apply(Execution(Side.SELL, bad, 5.0))


@settings(max_examples=300)
@given(
    start=st.integers(0, 5_000),
    avg=prices,
    side=sides,
    parts=st.lists(st.tuples(qtys, prices), min_size=1, max_size=10),
)
def test_same_side_fills_one_by_one_equal_their_sum(
    start: int, avg: float, side: Side, parts: list[tuple[int, float]]
) -> None:
    """Adding fill by fill ends where one fill of the total at their average price would."""
    pos = PositionState(side.sign * start, avg if start else 0.0)
    fills = [Execution(side, n, px) for n, px in parts]
    one_by_one, realized = pos.apply_all(fills)
    total = sum(n for n, _ in parts)
    vwap = sum(n * px for n, px in parts) / total
    at_once = pos.apply(Execution(side, total, vwap))
    assert one_by_one.quantity == at_once.quantity == pos.quantity + side.sign * total
    assert close(one_by_one.avg_price, at_once.avg_price, at_once.avg_price)
    assert realized == at_once.realized_pnl == 0.0


@settings(max_examples=300)
@given(
    held=st.integers(1, 5_000),
    avg=prices,
    long=st.booleans(),
    parts=st.lists(st.tuples(qtys, prices), min_size=1, max_size=10),
)
def test_reducing_fills_one_by_one_realise_what_their_sum_does(
    held: int, avg: float, long: bool, parts: list[tuple[int, float]]
) -> None:
    """Reductions that do not cross zero realise, together, what one at their average does."""
    pos = PositionState(held if long else -held, avg)
    side = Side.SELL if long else Side.BUY
    kept: list[tuple[int, float]] = []
    total = 0
    for n, px in parts:  # as many as fit in what is held
        if total + n > held:
            break
        kept.append((n, px))
        total += n
    if not kept:
        return
    vwap = sum(n * px for n, px in kept) / total
    one_by_one, realized = pos.apply_all(Execution(side, n, px) for n, px in kept)
    at_once = pos.apply(Execution(side, total, vwap))
    assert one_by_one == at_once.position  # reducing keeps the entry; flat is (0, 0.0)
    assert close(realized, at_once.realized_pnl, total * (avg + vwap))


@settings(max_examples=400)
@given(pos_qty=st.integers(-10_000, 10_000), avg=prices, fill=executions)
def test_quantity_is_conserved(pos_qty: int, avg: float, fill: Execution) -> None:
    pos = PositionState(pos_qty, avg if pos_qty else 0.0)
    upd = pos.apply(fill)
    assert upd.quantity == pos.quantity + fill.signed_quantity
    assert upd.closed_quantity + upd.opened_quantity == fill.quantity
    assert upd.closed_quantity <= abs(pos.quantity)
    assert upd.flipped == (upd.quantity != 0 and pos.quantity * upd.quantity < 0)
    assert (upd.avg_price == 0.0) == (upd.quantity == 0)


# ----------------------------------------------------------------------------- round trips


@settings(max_examples=300)
@given(fills=st.lists(executions, min_size=1, max_size=30))
def test_round_trips_conserve_shares_and_cash(fills: list[Execution]) -> None:
    """Every closed round trip closed all it opened; the open one holds the position; and
    realised P&L (net of every commission) plus the open cost equals the cash moved."""
    pos, done, trade = run(fills)
    for t in done:
        assert t.closed and t.closed_quantity == t.quantity and t.closed_at is not None
    if pos.quantity:
        assert trade is not None and not trade.closed
        assert trade.quantity - trade.closed_quantity == abs(pos.quantity)
        assert trade.direction == ("long" if pos.quantity > 0 else "short")
        assert trade.entry_price == pos.avg_price
    else:
        assert trade is None
    cash = sum(f.cash_flow for f in fills)
    realized = sum(t.realized_pnl for t in done) + (trade.realized_pnl if trade else 0.0)
    scale = sum(f.quantity * f.price for f in fills)
    assert close(realized, cash + pos.quantity * pos.avg_price, scale)
    assert close(
        sum(t.commission for t in done) + (trade.commission if trade else 0.0),
        sum(f.commission for f in fills),
        scale,
    )


@settings(max_examples=300)
@given(
    long=st.booleans(),
    entries=st.lists(st.tuples(qtys, prices, fees), min_size=1, max_size=6),
    exits=st.lists(st.tuples(prices, fees), min_size=1, max_size=6),
    cuts=st.data(),
)
def test_a_round_trip_realises_exit_minus_entry_less_commissions(
    long: bool,
    entries: list[tuple[int, float, float]],
    exits: list[tuple[float, float]],
    cuts: st.DataObject,
) -> None:
    """Entries then exits back to flat: realised = (exit - entry) x qty x sign - fees."""
    opening = Side.BUY if long else Side.SELL
    closing = Side.SELL if long else Side.BUY
    fills = [Execution(opening, n, px, fee) for n, px, fee in entries]
    total = sum(n for n, _, _ in entries)
    left = total
    for i, (px, fee) in enumerate(exits):
        n = left if i == len(exits) - 1 else cuts.draw(st.integers(0, left))
        if n:
            fills.append(Execution(closing, n, px, fee))
            left -= n
    pos, done, trade = run(fills)
    assert pos == PositionState() and trade is None and len(done) == 1
    (t,) = done
    entry = sum(f.quantity * f.price for f in fills if f.side is opening) / total
    exit_ = sum(f.quantity * f.price for f in fills if f.side is closing) / total
    assert close(t.entry_price, entry, entry) and t.exit_price is not None
    assert close(t.exit_price, exit_, exit_)
    sign = 1 if long else -1
    commission = sum(f.commission for f in fills)
    expected = sum((f.price - entry) * f.quantity * sign for f in fills if f.side is closing)
    scale = total * (entry + exit_)
    assert close(t.realized_pnl, expected - commission, scale)
    assert close(t.realized_pnl, (t.exit_price - t.entry_price) * total * sign - commission, scale)
    assert t.direction == ("long" if long else "short") and t.quantity == total


@settings(max_examples=300)
@given(held=st.integers(1, 5_000), avg=prices, extra=st.integers(1, 5_000), fill=executions)
def test_a_flip_closes_the_trade_and_opens_the_remainder(
    held: int, avg: float, extra: int, fill: Execution
) -> None:
    long = fill.side is Side.SELL  # the fill is on the other side of what is held
    pos = PositionState(held if long else -held, avg)
    trade = TradeState(direction="long" if long else "short", quantity=held, entry_price=avg)
    flip = Execution(fill.side, held + extra, fill.price, fill.commission, T0)
    upd = pos.apply(flip)
    assert upd.flipped and upd.closed_quantity == held and upd.opened_quantity == extra
    after, opened = book_trade(trade, upd, flip)
    assert after is not None and opened is not None
    assert after.closed and after.closed_at == T0 and after.closed_quantity == held
    assert after.exit_price == flip.price
    assert opened.direction == ("short" if long else "long") and not opened.closed
    assert opened.quantity == extra and opened.entry_price == flip.price
    assert opened.opened_at == T0
    assert close(after.commission + opened.commission, flip.commission, flip.commission)
    assert close(opened.realized_pnl, -opened.commission, opened.commission)
    gross = (flip.price - avg) * held * (1 if long else -1)
    assert close(after.realized_pnl, gross - after.commission, held * (avg + flip.price))


def test_no_open_trade_and_nothing_opened_books_no_trade() -> None:
    upd = PositionState(10, 5.0).apply(Execution(Side.SELL, 4, 6.0))
    assert book_trade(None, upd, Execution(Side.SELL, 4, 6.0)) == (None, None)


# ----------------------------------------------------------------------------- buying power


def test_buying_power_is_equity_times_margin_less_gross_never_negative() -> None:
    value, gross = exposure([(100, 10.0), (-50, 20.0)])
    assert (value, gross) == (0.0, 2_000.0)
    assert buying_power(10_000.0 + value, gross) == 8_000.0
    assert buying_power(10_000.0, gross, 2.0) == 18_000.0
    assert buying_power(1_000.0, gross) == 0.0
    assert exposure([]) == (0.0, 0.0)


@given(notional=st.floats(0, 1e7), available=st.floats(0, 1e7))
def test_a_shortfall_is_named_exactly_when_the_order_costs_more(
    notional: float, available: float
) -> None:
    why = buying_power_shortfall(notional, available)
    assert (why is None) == (notional <= available)
    if why:
        assert why.startswith("insufficient buying power") and f"${available:,.2f}" in why
