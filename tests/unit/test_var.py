"""Portfolio risk: historical and parametric 1-day VaR, correlation, and the what-if."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.risk import (
    RiskInputError,
    historical_var,
    parametric_var,
    portfolio_risk,
    returns_from_closes,
    what_if,
)

RNG = np.random.default_rng(7)
A = list(RNG.normal(0.0005, 0.02, 250))
B = list(RNG.normal(0.0, 0.01, 250))


def test_historical_var_is_the_loss_at_the_quantile() -> None:
    pnl = list(range(-50, 50))  # linear interpolation between order statistics
    assert historical_var(pnl, 0.95) == pytest.approx(45.05)
    assert historical_var(pnl, 0.99) == pytest.approx(49.01)
    assert historical_var([1.0, 2.0, 3.0], 0.95) == 0.0  # no loss in the sample


def test_parametric_var_is_z_sigma() -> None:
    assert parametric_var(100.0, 0.95) == pytest.approx(164.4854, abs=1e-4)
    assert parametric_var(100.0, 0.99) == pytest.approx(232.6348, abs=1e-4)


def test_one_holding() -> None:
    r = portfolio_risk({"A": 10_000.0}, {"A": A}, equity=50_000.0)
    sigma = 10_000 * float(np.std(A, ddof=1))
    assert r.observations == 250 and r.symbols == ("A",)
    assert r.volatility == pytest.approx(sigma, abs=0.01)
    v95 = r.at(0.95)
    assert v95 is not None
    assert v95.historical == pytest.approx(-np.quantile(np.array(A) * 10_000, 0.05), abs=0.01)
    assert v95.parametric == pytest.approx(1.644854 * sigma, abs=0.01)
    assert v95.historical_pct == pytest.approx(v95.historical / 50_000 * 100, abs=1e-4)
    assert r.correlation == ((1.0,),) and r.avg_correlation is None
    assert [v.confidence for v in r.var] == [0.95, 0.99]
    r.model_dump(mode="json")  # renderable and storable as is


def test_a_perfect_hedge_has_no_risk_and_correlates_minus_one() -> None:
    neg = [-x for x in A]
    r = portfolio_risk({"A": 10_000.0, "H": 10_000.0}, {"A": A, "H": neg}, 50_000.0)
    assert r.volatility == pytest.approx(0.0, abs=1e-6)
    assert all(v.historical == pytest.approx(0.0, abs=1e-6) for v in r.var)
    assert r.correlation[0][1] == pytest.approx(-1.0)
    assert r.most_correlated == ("A", "H", pytest.approx(-1.0))
    short = portfolio_risk({"A": 10_000.0, "S": -10_000.0}, {"A": A, "S": A}, 50_000.0)
    assert short.volatility == pytest.approx(0.0, abs=1e-6)  # long and short the same


def test_correlation_of_a_flat_series_is_zero() -> None:
    flat = [0.0] * 250
    r = portfolio_risk({"A": 1.0, "B": 1.0, "F": 1.0}, {"A": A, "B": B, "F": flat}, 100.0)
    assert r.symbols == ("A", "B", "F")
    corr = np.array(r.correlation)
    assert np.allclose(np.diag(corr), 1.0)
    assert corr[0][2] == 0.0 and corr[2][1] == 0.0
    assert corr[0][1] == pytest.approx(float(np.corrcoef(A, B)[0][1]), abs=1e-4)


def test_series_are_aligned_on_their_recent_window_and_short_ones_left_out() -> None:
    r = portfolio_risk(
        {"A": 5_000.0, "B": 5_000.0, "NEW": 1_000.0, "FLAT": 0.0},
        {"A": A, "B": B[-100:], "NEW": B[:5]},
        equity=20_000.0,
    )
    assert r.observations == 100 and r.symbols == ("A", "B")
    assert r.missing == ("NEW",)  # FLAT (0 held) is not a holding
    assert r.gross == 11_000.0 and r.net == 11_000.0


def test_an_empty_book() -> None:
    r = portfolio_risk({}, {}, equity=10_000.0)
    assert (r.observations, r.var, r.volatility, r.most_correlated) == (0, (), 0.0, None)
    assert r.at(0.95) is None


def test_what_if_shows_the_book_before_and_after() -> None:
    values, rets = {"A": 10_000.0}, {"A": A, "B": B}
    same = what_if(values, rets, 50_000.0, "A", 10_000.0)
    before, after = same.before.at(0.95), same.after.at(0.95)
    assert before is not None and after is not None
    assert after.historical == pytest.approx(2 * before.historical, abs=0.02)
    assert same.delta(0.95) == pytest.approx(before.historical, abs=0.02)
    hedge = what_if(values, {"A": A, "H": [-x for x in A]}, 50_000.0, "H", 5_000.0)
    assert (hedge.delta(0.99, "parametric") or 0.0) < 0
    new = what_if(values, rets, 50_000.0, "B", -3_000.0)  # a short sale of B
    assert new.after.symbols == ("A", "B") and new.value == -3_000.0
    unknown = what_if(values, rets, 50_000.0, "ZZZ", 1_000.0)
    assert unknown.after.missing == ("ZZZ",)
    assert what_if({}, {}, 1.0, "ZZZ", 1.0).delta() is None


def test_returns_from_closes() -> None:
    assert returns_from_closes([100.0, 110.0, 99.0]) == pytest.approx([0.1, -0.1])
    assert returns_from_closes([100.0]) == []
    with pytest.raises(RiskInputError, match="close must be greater than 0"):
        returns_from_closes([100.0, 0.0])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: portfolio_risk({"A": 1.0}, {"A": [*A[:-1], math.nan]}, 1.0), "returns of A"),
        (lambda: portfolio_risk({"A": math.inf}, {"A": A}, 1.0), "value of A"),
        (lambda: portfolio_risk({"A": 1.0}, {"A": A}, math.nan), "equity"),
        (lambda: portfolio_risk({"A": 1.0}, {"A": A}, 1.0, (1.2,)), "confidence"),
        (lambda: historical_var([], 0.95), "at least one"),
        (lambda: parametric_var(-1.0, 0.95), "sigma"),
        (lambda: what_if({}, {}, 1.0, "A", math.nan), "proposal value"),
    ],
)
def test_bad_input_is_a_typed_error(call: object, match: str) -> None:
    with pytest.raises(RiskInputError, match=match):
        call()  # type: ignore[operator]


returns_st = st.lists(st.floats(-0.2, 0.2), min_size=20, max_size=60)


@settings(max_examples=200, deadline=None)
@given(
    a=returns_st,
    b=returns_st,
    va=st.floats(-1e6, 1e6).filter(lambda v: abs(v) > 1),
    vb=st.floats(-1e6, 1e6).filter(lambda v: abs(v) > 1),
    k=st.floats(0.1, 10),
)
def test_var_is_a_non_negative_scalable_loss_and_99_is_at_least_95(
    a: list[float], b: list[float], va: float, vb: float, k: float
) -> None:
    values, rets = {"A": va, "B": vb}, {"A": a, "B": b}
    r = portfolio_risk(values, rets, 1e6)
    scaled = portfolio_risk({s: v * k for s, v in values.items()}, rets, 1e6)
    for v, w in zip(r.var, scaled.var, strict=True):
        assert v.historical >= 0 and v.parametric >= 0
        assert w.historical == pytest.approx(k * v.historical, rel=1e-6, abs=0.05)
        assert w.parametric == pytest.approx(k * v.parametric, rel=1e-6, abs=0.05)
    v95, v99 = r.var
    assert v99.parametric >= v95.parametric
    assert v99.historical >= v95.historical - 0.01
    corr = np.array(r.correlation)
    if corr.size:
        assert np.allclose(corr, corr.T) and np.all(np.abs(corr) <= 1.0)
