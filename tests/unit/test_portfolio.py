"""Tests for position book-keeping (services/portfolio.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.booking import BookUpdate
from models.domain import Side
from services.portfolio import Mark, apply_fill

# ----------------------------------------------------------------------------- longs


def test_open_long_from_flat() -> None:
    u = apply_fill(0, 0.0, Side.BUY, 100, 50.0)
    assert u == BookUpdate(
        quantity=100, avg_price=50.0, realized_pnl=0.0, closed_quantity=0, opened_quantity=100
    )
    assert u.exit_price is None


def test_add_to_long_keeps_weighted_average() -> None:
    u = apply_fill(100, 50.0, Side.BUY, 50, 56.0)
    assert u.quantity == 150
    assert u.avg_price == pytest.approx((100 * 50 + 50 * 56) / 150)
    assert u.realized_pnl == 0.0
    assert u.opened_quantity == 50
    assert u.closed_quantity == 0


def test_partial_reduce_long_realises_price_minus_avg() -> None:
    u = apply_fill(100, 50.0, Side.SELL, 40, 55.0)
    assert u.quantity == 60
    assert u.avg_price == 50.0  # reducing does not move the entry
    assert u.realized_pnl == pytest.approx((55.0 - 50.0) * 40)
    assert u.closed_quantity == 40
    assert u.opened_quantity == 0
    assert u.exit_price == 55.0


def test_partial_reduce_long_at_a_loss() -> None:
    u = apply_fill(100, 50.0, Side.SELL, 30, 45.0)
    assert u.quantity == 70
    assert u.realized_pnl == pytest.approx(-150.0)


def test_close_long_to_flat() -> None:
    u = apply_fill(100, 50.0, Side.SELL, 100, 52.5)
    assert u.quantity == 0
    assert u.avg_price == 0.0
    assert u.realized_pnl == pytest.approx(250.0)
    assert u.closed_quantity == 100
    assert u.opened_quantity == 0
    assert u.exit_price == 52.5


def test_flip_long_to_short_opens_remainder_at_fill_price() -> None:
    u = apply_fill(100, 50.0, Side.SELL, 150, 60.0)
    assert u.quantity == -50
    assert u.avg_price == 60.0
    assert u.realized_pnl == pytest.approx((60.0 - 50.0) * 100)
    assert u.closed_quantity == 100
    assert u.opened_quantity == 50
    assert u.exit_price == 60.0


# ----------------------------------------------------------------------------- shorts


def test_open_short_from_flat() -> None:
    u = apply_fill(0, 0.0, Side.SELL, 100, 50.0)
    assert u.quantity == -100
    assert u.avg_price == 50.0
    assert u.realized_pnl == 0.0
    assert u.opened_quantity == 100
    assert u.closed_quantity == 0


def test_add_to_short_keeps_weighted_average() -> None:
    u = apply_fill(-100, 50.0, Side.SELL, 100, 40.0)
    assert u.quantity == -200
    assert u.avg_price == pytest.approx(45.0)
    assert u.realized_pnl == 0.0
    assert u.opened_quantity == 100


def test_partial_cover_short_realises_avg_minus_price() -> None:
    u = apply_fill(-100, 50.0, Side.BUY, 40, 45.0)
    assert u.quantity == -60
    assert u.avg_price == 50.0
    # a short gains when the price falls: (price - avg) * qty * direction(-1)
    assert u.realized_pnl == pytest.approx((50.0 - 45.0) * 40)
    assert u.closed_quantity == 40
    assert u.opened_quantity == 0


def test_partial_cover_short_at_a_loss() -> None:
    u = apply_fill(-100, 50.0, Side.BUY, 10, 58.0)
    assert u.quantity == -90
    assert u.realized_pnl == pytest.approx(-80.0)


def test_cover_short_to_flat() -> None:
    u = apply_fill(-100, 50.0, Side.BUY, 100, 47.0)
    assert u.quantity == 0
    assert u.avg_price == 0.0
    assert u.realized_pnl == pytest.approx(300.0)
    assert u.closed_quantity == 100


def test_flip_short_to_long_opens_remainder_at_fill_price() -> None:
    u = apply_fill(-100, 50.0, Side.BUY, 130, 44.0)
    assert u.quantity == 30
    assert u.avg_price == 44.0
    assert u.realized_pnl == pytest.approx((50.0 - 44.0) * 100)
    assert u.closed_quantity == 100
    assert u.opened_quantity == 30
    assert u.exit_price == 44.0


@pytest.mark.parametrize("bad", [0, -1, -100])
def test_non_positive_fill_quantity_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        apply_fill(10, 5.0, Side.BUY, bad, 5.0)


# ----------------------------------------------------------------------------- invariants


fills = st.lists(
    st.tuples(
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(1, 1_000),
        st.floats(0.5, 2_000.0, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=400)
@given(fills=fills, mark=st.floats(0.5, 2_000.0, allow_nan=False, allow_infinity=False))
def test_realised_plus_unrealised_equals_cash_pnl(
    fills: list[tuple[Side, int, float]], mark: float
) -> None:
    qty, avg, realised = 0, 0.0, 0.0
    cash = 0.0
    gross = 0.0
    for side, n, price in fills:
        u = apply_fill(qty, avg, side, n, price)
        # the book's own accounting is consistent with the fill
        assert u.quantity == qty + side.sign * n
        assert u.closed_quantity + u.opened_quantity == n
        assert u.closed_quantity <= abs(qty)
        qty, avg = u.quantity, u.avg_price
        realised += u.realized_pnl
        cash += -side.sign * n * price
        gross += n * price
        assert isinstance(qty, int)
        if qty != 0:
            assert avg > 0
        else:
            assert avg == 0.0
    unrealised = Mark("X", qty, avg, mark).unrealized_pnl
    independent = cash + qty * mark
    scale = max(1.0, gross + abs(qty) * mark)
    assert math.isclose(realised + unrealised, independent, rel_tol=1e-6, abs_tol=1e-6 * scale)


@given(
    qty=st.integers(-10_000, 10_000),
    avg=st.floats(0.5, 1_000.0),
    side=st.sampled_from([Side.BUY, Side.SELL]),
    n=st.integers(1, 10_000),
    price=st.floats(0.5, 1_000.0),
)
def test_avg_price_stays_between_old_avg_and_fill_when_adding(
    qty: int, avg: float, side: Side, n: int, price: float
) -> None:
    if qty == 0:
        avg = 0.0
    u = apply_fill(qty, avg, side, n, price)
    if qty == 0 or (qty > 0) == (side is Side.BUY):
        lo, hi = (min(avg, price), max(avg, price)) if qty else (price, price)
        assert lo - 1e-9 * hi <= u.avg_price <= hi + 1e-9 * hi
        assert u.realized_pnl == 0.0
    elif u.quantity != 0 and (u.quantity > 0) == (qty > 0):
        assert u.avg_price == avg  # reducing keeps the entry
    elif u.quantity != 0:
        assert u.avg_price == price  # flipped: the remainder opens at the fill


# ----------------------------------------------------------------------------- marks


def test_mark_long() -> None:
    m = Mark("AAPL", 100, 50.0, 55.0)
    assert m.market_value == pytest.approx(5_500.0)
    assert m.unrealized_pnl == pytest.approx(500.0)
    assert m.unrealized_pct == pytest.approx(10.0)


def test_mark_short() -> None:
    m = Mark("TSLA", -100, 50.0, 45.0)
    assert m.market_value == pytest.approx(-4_500.0)
    assert m.unrealized_pnl == pytest.approx(500.0)
    assert m.unrealized_pct == pytest.approx(10.0)


def test_mark_short_losing() -> None:
    m = Mark("TSLA", -10, 50.0, 60.0)
    assert m.unrealized_pnl == pytest.approx(-100.0)
    assert m.unrealized_pct == pytest.approx(-20.0)


def test_mark_flat_has_zero_pct_not_division_error() -> None:
    m = Mark("X", 0, 0.0, 10.0)
    assert m.market_value == 0.0
    assert m.unrealized_pnl == 0.0
    assert m.unrealized_pct == 0.0


def test_mark_is_frozen() -> None:
    m = Mark("X", 1, 1.0, 1.0)
    with pytest.raises(AttributeError):
        m.price = 2.0  # type: ignore[misc]
