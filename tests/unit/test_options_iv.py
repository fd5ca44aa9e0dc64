"""Implied volatility (services/options/iv.py): round trips over the whole domain at machine
precision, the no-arbitrage bounds with their reasons, Hull's example, input checks, and
the solver on extreme normalised inputs.

How a round trip is judged, honestly: the reprice error of a price P is at most
16 ulps × (P + σ·∂P/∂σ). The first term is P's own rounding; the second is the price change
when σ moves by one ulp (σ·∂P/∂σ ≈ u²·P far out of the money, u = |ln(F/K)|/(σ√T)), the
floor for any solver that returns a double. That is ≤ 1e-12 relative wherever σ·∂P/∂σ ≤
~300·P, i.e. everywhere but the far wings. The vol itself is held to 1e-12 relative plus what
the price's rounding allows (16 ulps of P over ∂P/∂σ) wherever the time value is 1,000 ulps
of P or more; where it is less (the price is at a bound to machine precision, ∂P/∂σ ≈ 0) or
the price is subnormal, the round trip is judged on price alone.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings

from services.options import IVResult, bounds, bsm, check_inputs, implied_vol
from services.options.black import log_otm, otm_upper_gap
from services.options.iv import solve_otm
from tests.unit.option_inputs import EPS, dividends, kinds, moneyness, rates, spots, vols, years


def _check_round_trip(kind, s, k, t, v, r, q) -> tuple[np.ndarray, np.ndarray]:
    """Assert the round trip of bsm(v) through implied_vol; (reprice error, its tolerance)."""
    g = bsm(kind, s, k, t, v, r, q)
    price, vega = np.asarray(g.price), np.asarray(g.vega) * 100  # ∂P/∂σ
    res = implied_vol(kind, price, s, k, t, r, q)
    assert (res.reason == "").all(), np.unique(res.reason)
    iv = np.asarray(res.iv)
    assert (iv >= 0).all()
    again = np.asarray(bsm(kind, s, k, t, iv, r, q).price)
    err = np.abs(again - price)
    tol = 16 * EPS * (price + np.asarray(v) * vega)
    assert (err <= tol).all(), float(np.max(err / tol))
    # the vol is identified where the time value is 1,000 ulps of the price or more (and the
    # price is not subnormal); there, σ's error is what the price's rounding allows
    lower, _ = bounds(kind, s, k, t, r, q)
    known = (price - lower > 1e3 * EPS * price) & (price > 1e-300)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        vol_tol = np.where(known, 1e-12 * np.asarray(v) + 16 * EPS * price / vega, np.inf)
    assert (np.abs(iv - v) <= vol_tol).all(), float(np.max(np.abs(iv - v) / vol_tol))
    return err, tol


@settings(max_examples=400, deadline=None)
@given(kinds, spots, moneyness, years, vols, rates, dividends)
def test_round_trip_over_the_domain(
    kind: str, s: float, m: float, t: float, v: float, r: float, q: float
) -> None:
    _check_round_trip(kind, s, s * m, t, v, r, q)


def test_round_trip_on_a_grid_to_1e_12() -> None:
    """61,500 contracts (moneyness 0.5–2, 1 day–3 years, vol 1%–500%, calls and puts)."""
    m, t, v, call = np.meshgrid(
        np.geomspace(0.5, 2.0, 41),
        np.geomspace(1 / 365, 3.0, 25),
        np.geomspace(0.01, 5.0, 30),
        [True, False],
        indexing="ij",
    )
    s, k = 100.0, 100.0 * m.ravel()
    err, _ = _check_round_trip(call.ravel(), s, k, t.ravel(), v.ravel(), 0.03, 0.01)
    price = bsm(call.ravel(), s, k, t.ravel(), v.ravel(), 0.03, 0.01).price
    informative = price > 0
    rel = err[informative] / price[informative]
    assert np.median(rel) < 1e-15 and np.percentile(rel, 99) < 1e-13 and rel.max() < 1e-11
    assert err.max() <= 1e-12  # per share at spot 100


def test_bench_grid_worst_reprice_error_below_1e_9() -> None:
    """The issue's figure: moneyness 0.5–2, 1 day–3 years, vol 5%–300%, spot 100: ≤ 1e-9."""
    rng = np.random.default_rng(16)
    n = 50_000
    k = 100.0 / np.exp(rng.uniform(math.log(0.5), math.log(2.0), n))
    t = np.exp(rng.uniform(math.log(1 / 365), math.log(3.0), n))
    v = np.exp(rng.uniform(math.log(0.05), math.log(3.0), n))
    call = rng.random(n) < 0.5
    price = bsm(call, 100.0, k, t, v, 0.04, 0.015).price
    res = implied_vol(call, price, 100.0, k, t, 0.04, 0.015)
    again = bsm(call, 100.0, k, t, res.iv, 0.04, 0.015).price
    assert np.max(np.abs(again - price)) <= 1e-9


def test_hull_example_implied_vol() -> None:
    """Hull: a call at 1.875 with S 21, K 20, r 10%, T 0.25 has an implied vol of about 23.5%."""
    res = implied_vol("call", 1.875, 21, 20, 0.25, 0.1)
    assert isinstance(res, IVResult)
    assert res.iv.shape == () and res.reason.item() == ""
    assert float(res.iv) == pytest.approx(0.235, abs=0.0005)
    assert bsm("call", 21, 20, 0.25, float(res.iv), 0.1).price == pytest.approx(1.875, rel=1e-14)


def test_known_vols_come_back_exactly() -> None:
    for kind, s, k, t, v, r, q in [
        ("call", 42, 40, 0.5, 0.2, 0.1, 0.0),
        ("put", 930, 900, 2 / 12, 0.2, 0.08, 0.03),
        ("put", 100, 100, 1 / 365, 0.01, 0.0, 0.0),
        ("call", 100, 100, 1.0, 3.0, 0.05, 0.0),
        ("call", 100, 200, 1.0, 0.35, 0.02, 0.0),
    ]:
        price = bsm(kind, s, k, t, v, r, q).price
        assert float(implied_vol(kind, price, s, k, t, r, q).iv) == pytest.approx(v, rel=1e-13)


# ----------------------------------------------------------------------------- bounds, reasons


def test_prices_outside_the_bounds_give_nan_and_a_reason() -> None:
    res = implied_vol(
        ["call", "call", "put", "put", "call"],
        [4.0, 101.0, 9.0, 111.0, 5.0],
        100.0,
        [95.0, 100.0, 110.0, 110.0, 100.0],
        0.5,
    )
    assert np.isnan(res.iv[:4]).all() and res.iv[4] > 0
    assert list(res.reason) == [
        "below intrinsic value 5.00",
        "above the upper bound 100.00",
        "below intrinsic value 10.00",
        "above the upper bound 110.00",
        "",
    ]


def test_bad_inputs_give_nan_and_a_reason_and_leave_the_rest_alone() -> None:
    res = implied_vol(
        "call",
        [5.0, 5.0, 5.0, 5.0, -1.0, float("nan"), 5.0, 5.0],
        [100.0, -1.0, 100.0, 100.0, 100.0, 100.0, 100.0, float("nan")],
        [100.0, 100.0, 0.0, 100.0, 100.0, 100.0, 100.0, 100.0],
        [0.5, 0.5, 0.5, 0.0, 0.5, 0.5, -1.0, 0.5],
        [0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02],
    )
    assert res.reason[0] == "" and 0 < res.iv[0] < 1
    assert list(res.reason[1:]) == [
        "spot must be > 0",
        "strike must be > 0",
        "time must be > 0",
        "below intrinsic value 1.00",  # 100 − 100·e^{−0.02·0.5}
        "price must be a number",
        "time must be > 0",
        "spot must be > 0",
    ]
    assert np.isnan(res.iv[1:]).all()
    assert implied_vol("put", 5.0, 100, 100, 0.5, float("inf")).reason.item() == (
        "rate must be a number"
    )


def test_prices_at_the_bounds() -> None:
    """At intrinsic (to rounding) there is no time value: vol 0; at the upper bound: NaN."""
    lower, upper = bounds(["call", "put"], 100.0, [90.0, 120.0], 0.5, 0.04, 0.01)
    at_low = implied_vol(["call", "put"], lower, 100.0, [90.0, 120.0], 0.5, 0.04, 0.01)
    assert list(at_low.iv) == [0.0, 0.0] and list(at_low.reason) == ["", ""]
    a_hair_below = implied_vol("call", lower[0] * (1 - 2 * EPS), 100.0, 90.0, 0.5, 0.04, 0.01)
    assert float(a_hair_below.iv) == 0.0  # rounding, not an arbitrage
    assert float(implied_vol("put", 0.0, 100.0, 80.0, 0.5).iv) == 0.0
    at_top = implied_vol(["call", "put"], upper, 100.0, [90.0, 120.0], 0.5, 0.04, 0.01)
    assert np.isnan(at_top.iv).all()
    assert at_top.reason[0] == f"at the upper bound {upper[0]:.2f}: no finite implied vol"
    # greeks at vol 0 are the zero-vol limit, so an at-intrinsic price still has greeks
    assert bsm("call", 100.0, 90.0, 0.5, 0.0, 0.04, 0.01).delta == pytest.approx(math.exp(-0.005))


def test_bounds_values() -> None:
    lower, upper = bounds(["call", "put", "call", "put"], 100.0, [90.0, 90.0, 110.0, 110.0], 1.0)
    np.testing.assert_allclose(lower, [10.0, 0.0, 0.0, 10.0])
    np.testing.assert_allclose(upper, [100.0, 90.0, 100.0, 110.0])
    lower, upper = bounds("call", 100.0, 100.0, 1.0, 0.05, 0.02)
    assert float(lower) == pytest.approx(100 * math.exp(-0.02) - 100 * math.exp(-0.05))
    assert float(upper) == pytest.approx(100 * math.exp(-0.02))


def test_shapes_broadcast() -> None:
    strikes = np.array([[90.0], [100.0], [110.0]])
    prices = bsm("call", 100.0, strikes, [0.25, 0.5], 0.3).price
    res = implied_vol("call", prices, 100.0, strikes, [0.25, 0.5])
    assert res.iv.shape == res.reason.shape == (3, 2)
    np.testing.assert_allclose(res.iv, 0.3, rtol=1e-13)
    with pytest.raises(ValueError, match="unknown option type"):
        implied_vol("calls", 5.0, 100, 100, 1)


def test_check_inputs() -> None:
    assert check_inputs(100, 95, 0.5) is None
    assert check_inputs(100, 95, 0.5, 0.2) is None
    assert check_inputs(-1, 95, 0.5) == "spot must be > 0, got -1"
    assert check_inputs(100, 0, 0.5) == "strike must be > 0, got 0"
    assert check_inputs(100, 95, 0) == (
        "time to expiry must be > 0 (got 0 years): the option has expired"
    )
    assert check_inputs(100, 95, 0.5, 0) == "vol must be > 0 (a decimal: 0.2 means 20%), got 0"
    assert check_inputs(100, 95, 0.5, float("nan")) == "vol must be a finite number, got nan"
    assert check_inputs(100, 95, 0.5, "abc") == "vol must be a number, got 'abc'"
    assert check_inputs("x", 95, 0.5) == "spot must be a number, got 'x'"


# ----------------------------------------------------------------------------- the solver itself


def test_solver_on_extreme_normalised_inputs() -> None:
    """x = ln(F/K) from 0 to −8 (and 1e-12), β from 1e-300 to within 1e-15 of its bound."""
    rng = np.random.default_rng(5)
    n = 60_000
    x = -np.concatenate(
        [np.exp(rng.uniform(math.log(1e-12), math.log(8.0), n // 2)), rng.uniform(0, 3, n // 2)]
    )
    x[:500] = 0.0
    top = np.exp(0.5 * x)
    which = rng.integers(0, 3, n)
    frac = np.where(
        which == 0,
        np.exp(rng.uniform(math.log(1e-300), 0.0, n)),
        np.where(which == 1, rng.random(n), 1 - np.exp(rng.uniform(math.log(1e-15), 0.0, n))),
    )
    beta = frac * top
    keep = (beta > 0) & (beta < top)
    x, beta, top = x[keep], beta[keep], top[keep]
    s, failed = solve_otm(x, beta)
    assert not failed.any() and np.isfinite(s).all() and (s > 0).all()
    cond = (1 + (x / s) ** 2 + s * s / 4) * EPS  # the problem's own condition × ulp
    gap = beta > 0.5 * top
    rel_low = np.abs(np.expm1(log_otm(x[~gap], s[~gap]) - np.log(beta[~gap])))
    assert (rel_low <= 32 * cond[~gap]).all()
    rel_gap = np.abs(np.expm1(np.log(otm_upper_gap(x[gap], s[gap]) / (top[gap] - beta[gap]))))
    assert (rel_gap <= 32 * cond[gap]).all()
