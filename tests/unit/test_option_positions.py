"""Option positions marked to the market: value, cost to close, P&L, DTE and greeks, and
the book's greeks per underlying (issue 17 groundwork, pure)."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.options.positions import HeldLeg, LegQuote, book_greeks, mark

TODAY = date(2026, 12, 4)
EXP = date(2027, 1, 15)
SHORT, LONG = "SPY270115P00500000", "SPY270115P00495000"
SPREAD = [HeldLeg(SHORT, EXP, -2, 2.40), HeldLeg(LONG, EXP, 2, 0.90)]  # 1.50 credit, 2 units
QUOTES = {
    SHORT: LegQuote(1.00, 1.10, delta=-0.25, gamma=0.02, theta=-0.05, vega=0.30),
    LONG: LegQuote(0.40, 0.46, delta=-0.18, gamma=0.015, theta=-0.04, vega=0.25),
}


def test_a_bull_put_spread_marked_to_mid() -> None:
    m = mark(SPREAD, QUOTES, TODAY)
    assert m.open_credit == pytest.approx(1.50 * 200)
    assert m.close_mid == pytest.approx((1.05 - 0.43) * 200)  # buy the short back, sell the long
    assert m.close_natural == pytest.approx((1.10 - 0.40) * 200)  # at the far sides: dearer
    assert m.pnl == pytest.approx((1.50 - 0.62) * 200)
    assert m.dte == 42 and m.missing == ()
    assert m.delta == pytest.approx((-2 * -0.25 + 2 * -0.18) * 100)  # +14 shares: bullish
    assert m.theta == pytest.approx((-2 * -0.05 + 2 * -0.04) * 100) and m.theta > 0


def test_a_missing_quote_is_said_not_guessed() -> None:
    m = mark(SPREAD, {SHORT: QUOTES[SHORT]}, TODAY)
    assert m.missing == (LONG,) and math.isnan(m.pnl) and math.isnan(m.delta)
    crossed = mark(SPREAD, {**QUOTES, LONG: LegQuote(0.5, 0.4)}, TODAY)
    assert crossed.missing == (LONG,)
    with pytest.raises(ValueError):
        mark([], QUOTES, TODAY)


def test_the_books_greeks_per_underlying() -> None:
    spy = mark(SPREAD, QUOTES, TODAY)
    broken = mark(SPREAD, {}, TODAY)
    book = book_greeks({"SPY": [spy, broken]}, {"SPY": 50, "AAPL": 10})
    assert book["SPY"]["delta"] == pytest.approx(spy.delta + 50)
    assert book["AAPL"] == {"delta": 10, "gamma": 0.0, "theta": 0.0, "vega": 0.0}
    assert book["total"]["theta"] == pytest.approx(spy.theta)


@given(
    qty=st.integers(-20, 20).filter(bool),
    paid=st.floats(0.01, 50),
    bid=st.floats(0.0, 50),
    width=st.floats(0.0, 5),
)
def test_pnl_is_what_the_close_adds_to_the_open(
    qty: int, paid: float, bid: float, width: float
) -> None:
    leg = HeldLeg("X270115C00100000", EXP, qty, paid)
    q = LegQuote(bid, bid + width)
    m = mark([leg], {leg.symbol: q}, TODAY)
    mid = bid + width / 2
    assert m.pnl == pytest.approx(qty * (mid - paid) * 100)  # long gains as the price rises
    assert m.close_natural >= m.close_mid - 1e-9  # the far side never costs less
