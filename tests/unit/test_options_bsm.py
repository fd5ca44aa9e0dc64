"""Black–Scholes–Merton prices and greeks (services/options/bsm.py): Hull's worked examples,
put–call parity, the no-arbitrage bounds, greeks against finite differences, far-wing prices
against an independent quadrature, broadcasting, bad inputs and the expiry clock."""

from __future__ import annotations

import math
import warnings
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import IntegrationWarning, quad

from services.options import Greeks, bounds, bsm, is_call_array, parse_kind, year_fraction
from tests.unit.option_inputs import EPS, dividends, kinds, moneyness, rates, spots, vols, years

ET = ZoneInfo("America/New_York")

# ----------------------------------------------------------------------------- Hull's examples


def test_hull_example_15_6_call_and_put() -> None:
    """Hull (Options, Futures and Other Derivatives), Example 15.6: c = 4.76, p = 0.81."""
    assert bsm("call", 42, 40, 0.5, 0.2, 0.1).price == pytest.approx(4.7594, abs=1e-4)
    assert bsm("put", 42, 40, 0.5, 0.2, 0.1).price == pytest.approx(0.8086, abs=1e-4)


def test_hull_greek_letters_example() -> None:
    """Hull's running example of the greek letters chapter: S 49, K 50, r 5%, σ 20%, 20 weeks."""
    g = bsm("call", 49, 50, 0.3846, 0.2, 0.05)
    assert g.price == pytest.approx(2.40, abs=0.005)
    assert g.delta == pytest.approx(0.522, abs=0.0005)
    assert g.gamma == pytest.approx(0.066, abs=0.0005)
    assert g.theta * 365 == pytest.approx(-4.31, abs=0.005)  # per year in the book
    assert g.vega * 100 == pytest.approx(12.1, abs=0.05)  # per 1.00 of vol in the book
    assert g.rho * 100 == pytest.approx(8.91, abs=0.005)  # per 1.00 of rate in the book


def test_hull_example_17_1_index_call_with_dividend_yield() -> None:
    """Hull, Example 17.1: index 930, K 900, r 8%, q 3%, σ 20%, two months: c = 51.83."""
    assert bsm("call", 930, 900, 2 / 12, 0.2, 0.08, 0.03).price == pytest.approx(51.83, abs=0.005)


# ----------------------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(spots, moneyness, years, vols, rates, dividends)
def test_put_call_parity(s: float, m: float, t: float, v: float, r: float, q: float) -> None:
    k = s * m
    c = bsm("call", s, k, t, v, r, q).price
    p = bsm("put", s, k, t, v, r, q).price
    forward_gap = s * math.exp(-q * t) - k * math.exp(-r * t)
    assert c - p == pytest.approx(forward_gap, abs=16 * EPS * (s + k))


@settings(max_examples=300, deadline=None)
@given(kinds, spots, moneyness, years, vols, rates, dividends)
def test_price_within_no_arbitrage_bounds(
    kind: str, s: float, m: float, t: float, v: float, r: float, q: float
) -> None:
    price = bsm(kind, s, s * m, t, v, r, q).price
    lower, upper = bounds(kind, s, s * m, t, r, q)
    slack = 4 * EPS * float(upper)
    assert float(lower) - slack <= price <= float(upper) + slack
    assert price >= 0


def _finite_differences(kind: str, s: float, k: float, t: float, v: float, r: float, q: float):
    def p(**kw: float) -> float:
        a = {"spot": s, "strike": k, "years": t, "vol": v, "rate": r, "dividend": q, **kw}
        return bsm(kind, **a).price

    hs, hv, ht, hr = 1e-4 * s, 1e-5, 1e-6, 1e-6
    return {
        "delta": (p(spot=s + hs) - p(spot=s - hs)) / (2 * hs),
        "gamma": (p(spot=s + hs) - 2 * p() + p(spot=s - hs)) / hs**2,
        "vega": (p(vol=v + hv) - p(vol=v - hv)) / (2 * hv) / 100,
        "theta": -(p(years=t + ht) - p(years=t - ht)) / (2 * ht) / 365,
        "rho": (p(rate=r + hr) - p(rate=r - hr)) / (2 * hr) / 100,
    }


@settings(max_examples=150, deadline=None)
@given(kinds, st.floats(0.7, 1.4), st.floats(0.05, 2.0), st.floats(0.1, 1.0), rates, dividends)
def test_greeks_match_finite_differences(
    kind: str, m: float, t: float, v: float, r: float, q: float
) -> None:
    s, k = 100.0, 100.0 * m
    g = bsm(kind, s, k, t, v, r, q)
    fd = _finite_differences(kind, s, k, t, v, r, q)
    for name, approx in fd.items():
        exact = getattr(g, name)
        scale = {"gamma": 1e-3, "delta": 1e-6}.get(name, 1e-6)  # abs floor, per unit of it
        assert exact == pytest.approx(approx, rel=2e-5, abs=scale), name


def test_far_wing_prices_match_an_independent_quadrature() -> None:
    """Deep out of the money (down to 1e-240) the price keeps ~13 significant digits.

    Reference: b(x, s) = ∫₀^s exp(−(x²/σ² + σ²/4)/2)/√(2π) dσ by adaptive quadrature (an
    identity with no cancellation, scaled by its value at s); bsm's price is e^{−rT}√(FK)·b.
    Covers each of black.py's methods: Gauss–Laguerre, the Taylor series, the direct formula.
    """
    cases = [(0.5, 0.021), (0.3, 0.04), (2.0, 0.05), (1.5, 0.15), (0.8, 0.4), (0.6, 0.03)]
    cases += [(0.99, 0.0005), (0.97, 0.01), (1.02, 0.2), (1.0001, 0.001)]
    for m, s_total in cases:
        x = -abs(math.log(m))

        def log_vega(sig: float, x: float = x) -> float:
            return -0.5 * (x * x / (sig * sig) + 0.25 * sig * sig) - 0.5 * math.log(2 * math.pi)

        top = log_vega(s_total)
        with warnings.catch_warnings():  # "roundoff detected" near the money: it still agrees
            warnings.simplefilter("ignore", IntegrationWarning)
            scaled, _ = quad(
                lambda w, top=top: math.exp(log_vega(w) - top), 0, s_total, epsabs=0, epsrel=1.2e-14
            )
        kind = "call" if m < 1 else "put"  # out of the money: K = S/m, T = 1
        price = bsm(kind, 1.0, 1.0 / m, 1.0, s_total).price
        assert price > 0
        log_b = math.log(price / math.sqrt(1.0 / m))
        assert log_b == pytest.approx(math.log(scaled) + top, abs=2e-13), (m, s_total)


# ----------------------------------------------------------------------------- shapes, inputs


def test_broadcasting_and_kinds() -> None:
    strikes = np.array([[90.0, 100.0, 110.0]])
    vols = np.array([[0.1], [0.2]])
    g = bsm(np.array(["call", "put", "C"]), 100.0, strikes, 0.5, vols, 0.03)
    assert isinstance(g, Greeks)
    assert g.price.shape == (2, 3)
    one = bsm("put", 100.0, 100.0, 0.5, 0.2, 0.03)
    assert isinstance(one.price, float) and isinstance(one.delta, float)
    assert g.price[1, 1] == pytest.approx(one.price, rel=1e-15)
    as_bools = bsm(np.array([True, False]), 100.0, 100.0, 0.5, 0.2)
    as_names = bsm(["call", "put"], 100.0, 100.0, 0.5, 0.2)
    np.testing.assert_array_equal(as_bools.price, as_names.price)
    assert is_call_array("Put").item() is False
    assert parse_kind(" CALL ") is True


def test_unknown_kind_raises() -> None:
    with pytest.raises(ValueError, match="unknown option type 'straddle'"):
        bsm("straddle", 100, 100, 1, 0.2)
    with pytest.raises(ValueError, match="unknown option type"):
        bsm(["call", "cal"], 100, 100, 1, 0.2)


def test_bad_inputs_give_nan_and_zero_vol_gives_the_limit() -> None:
    g = bsm("call", [100, -1, 100, 100, 100], [100, 100, 0, 100, 100], [1, 1, 1, -0.1, 1],
            [0.2, 0.2, 0.2, 0.2, float("nan")])  # fmt: skip
    assert np.isfinite(g.price[0]) and np.isnan(g.price[1:]).all()
    assert np.isnan(g.delta[1:]).all() and np.isnan(g.vega[1:]).all()
    itm = bsm("call", 100, 90, 0.5, 0.0, 0.05)
    assert itm.price == pytest.approx(100 - 90 * math.exp(-0.025), rel=1e-15)
    assert (itm.delta, itm.gamma, itm.vega) == (1.0, 0.0, 0.0)
    assert bsm("put", 100, 90, 0.5, 0.0).price == 0.0


def test_greek_signs_and_units() -> None:
    c = bsm("call", 100, 100, 30 / 365, 0.25, 0.04, 0.01)
    p = bsm("put", 100, 100, 30 / 365, 0.25, 0.04, 0.01)
    assert 0 < c.delta < 1 and -1 < p.delta < 0
    assert c.gamma == pytest.approx(p.gamma) and c.vega == pytest.approx(p.vega)
    assert c.theta < 0 and p.theta < 0
    assert c.rho > 0 > p.rho
    # one day's theta is about the price change over one calendar day
    later = bsm("call", 100, 100, 29 / 365, 0.25, 0.04, 0.01).price
    assert later - c.price == pytest.approx(c.theta, rel=0.02)


# ----------------------------------------------------------------------------- the clock


def test_year_fraction_counts_to_four_pm_new_york() -> None:
    expiry = date(2026, 6, 19)
    now = datetime(2026, 6, 19, 14, 0, tzinfo=ET)
    assert year_fraction(now, expiry) == pytest.approx(2 / (365 * 24))
    assert year_fraction(datetime(2026, 6, 19, 20, 0, tzinfo=UTC), expiry) == pytest.approx(
        0.0
    )  # 20:00 UTC is 16:00 EDT
    assert year_fraction(datetime(2026, 6, 19, 17, 0, tzinfo=ET), expiry) < 0  # expired
    week = year_fraction(datetime(2026, 6, 12, 16, 0, tzinfo=ET), expiry)
    assert week == pytest.approx(7 / 365)


def test_year_fraction_across_a_clock_change() -> None:
    """US clocks go forward on 8 Mar 2026 and back on 1 Nov: 23 and 25 hour days."""
    spring = datetime(2026, 3, 7, 16, 0, tzinfo=ET)
    assert year_fraction(spring, date(2026, 3, 8)) == pytest.approx(23 / (365 * 24))
    autumn = datetime(2026, 10, 31, 16, 0, tzinfo=ET)
    assert year_fraction(autumn, date(2026, 11, 1)) == pytest.approx(25 / (365 * 24))


def test_year_fraction_refuses_naive_times_and_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        year_fraction(datetime(2026, 6, 19, 14, 0), date(2026, 6, 19))
    with pytest.raises(TypeError):
        year_fraction(datetime(2026, 6, 19, 14, 0, tzinfo=ET), datetime(2026, 6, 20))
