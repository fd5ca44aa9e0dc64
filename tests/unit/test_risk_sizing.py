"""Sizing: the fixed fraction (the documented 50 shares), fractional Kelly from a strategy's
closed trades (only with enough of them, capped, never above the fixed fraction)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.config import RiskLimits
from models.domain import Side
from services.risk import (
    Candidate,
    StrategyStats,
    fixed_fraction_size,
    kelly_fraction,
    kelly_risk_pct,
    size_entry,
)
from tests.unit.risk_helpers import LIMITS, check, entry, pf

# 40 closed trades: 16 wins of $160, 24 losses of $100 -> W 0.4, R 1.6, full Kelly 2.5%
RECORD = StrategyStats.from_pnls([160.0] * 16 + [-100.0] * 24)


def test_one_percent_of_ten_thousand_with_entry_40_stop_38_is_50_shares() -> None:
    assert fixed_fraction_size(10_000, 1, 40, 38) == 50
    d = entry(price=40.0, stop=38.0, view=pf(equity=10_000.0))
    assert d.approved and d.quantity == 50
    assert d.risk_amount == pytest.approx(100.0) and d.risk_pct == pytest.approx(1.0)
    assert d.sizing == "fixed fraction: 1% of equity at risk to the stop"


def test_stats_from_closed_trades() -> None:
    s = StrategyStats.from_pnls([100.0, -50.0, 0.0, 200.0, math.nan])
    assert (s.trades, s.wins) == (4, 2)  # NaN dropped; a break-even counts as a loss of 0
    assert s.avg_win == pytest.approx(150.0) and s.avg_loss == pytest.approx(25.0)
    assert s.win_rate == pytest.approx(0.5) and s.payoff == pytest.approx(6.0)
    assert StrategyStats.from_pnls([10.0]).payoff == math.inf
    assert StrategyStats.from_pnls([]).win_rate == 0.0


@pytest.mark.parametrize(
    ("w", "r", "f"),
    [
        (0.55, 1.5, 0.25),
        (0.5, 1.0, 0.0),
        (0.4, 1.0, -0.2),
        (0.4, 1.6, 0.025),
        (0.6, math.inf, 0.6),
        (0.3, 0.0, -1.0),
        (0.99, 100.0, 0.9899),
    ],
)
def test_kelly_fraction(w: float, r: float, f: float) -> None:
    assert kelly_fraction(w, r) == pytest.approx(f)


@pytest.mark.parametrize(("w", "r"), [(1.5, 1.0), (-0.1, 1.0), (0.5, -1.0), (0.5, math.nan)])
def test_kelly_fraction_refuses_nonsense(w: float, r: float) -> None:
    with pytest.raises(ValueError, match="win rate"):
        kelly_fraction(w, r)


def test_kelly_needs_enough_closed_trades_and_can_be_turned_off() -> None:
    assert kelly_risk_pct(None, LIMITS) is None
    few = StrategyStats.from_pnls([160.0] * 10 + [-100.0] * 19)  # 29 < 30
    assert kelly_risk_pct(few, LIMITS) is None
    assert kelly_risk_pct(RECORD, RiskLimits(kelly_enabled=False)) is None
    assert kelly_risk_pct(RECORD, RiskLimits(kelly_min_trades=50)) is None


def test_quarter_kelly_and_its_cap() -> None:
    assert kelly_risk_pct(RECORD, LIMITS) == pytest.approx(0.625)  # 0.25 x 2.5%
    strong = StrategyStats.from_pnls([150.0] * 22 + [-100.0] * 18)  # full Kelly 25%
    assert kelly_risk_pct(strong, LIMITS) == pytest.approx(1.0)  # never above the fraction
    assert kelly_risk_pct(strong, RiskLimits(kelly_fraction=0.02)) == pytest.approx(0.5)
    losing = StrategyStats.from_pnls([100.0] * 12 + [-100.0] * 28)
    assert kelly_risk_pct(losing, LIMITS) == 0.0


def test_kelly_sizes_the_trade_and_explains_itself() -> None:
    d = entry(price=40.0, stop=38.0, stats=RECORD)  # $62.50 at risk / $2 = 31.25
    assert d.approved and d.quantity == 31
    assert d.sizing.startswith("kelly: 0.625% of equity at risk (0.25 of full Kelly 2.5%, capped")
    assert "40 closed trades, win 40%, payoff 1.60" in d.sizing


def test_kelly_with_no_edge_sizes_nothing_and_says_why() -> None:
    losing = StrategyStats.from_pnls([100.0] * 12 + [-100.0] * 28)
    d = entry(price=40.0, stop=38.0, stats=losing)
    assert d.quantity == 0 and not d.approved
    assert check(d, "quantity").detail.endswith("(no edge in the strategy's record)")


def test_too_few_trades_falls_back_to_the_fixed_fraction() -> None:
    few = StrategyStats.from_pnls([500.0] * 29)
    d = entry(price=40.0, stop=38.0, stats=few)
    assert d.quantity == 50 and d.sizing.startswith("fixed fraction")


def test_a_requested_quantity_is_not_resized() -> None:
    d = entry(price=40.0, stop=38.0, requested=7, stats=RECORD)
    assert d.quantity == 7 and d.sizing == "quantity as requested"


def test_sizing_reports_the_limit_that_bound() -> None:
    c = Candidate.of("AAPL", Side.BUY, 40.0, 39.0, pf(), LIMITS)
    s = size_entry(c)
    assert (s.target, s.quantity, s.binding) == (100, 50, "position size")
    assert s.text.endswith("; 100 cut to 50 by position size")
    assert s.why_zero == ""


stats_st = st.builds(
    StrategyStats.from_pnls,
    st.lists(st.floats(-1_000, 1_000, allow_nan=False), min_size=0, max_size=120),
)


@settings(max_examples=300, deadline=None)
@given(
    stats=stats_st,
    fraction=st.floats(0.01, 1.0),
    risk=st.floats(0.05, 10),
    equity=st.floats(1_000, 1e7),
    px=st.floats(1, 2_000),
    dist=st.floats(0.01, 0.5),
)
def test_kelly_never_risks_more_than_the_fixed_fraction(
    stats: StrategyStats, fraction: float, risk: float, equity: float, px: float, dist: float
) -> None:
    limits = RiskLimits(
        risk_per_trade_pct=risk,
        max_risk_per_trade_pct=max(risk, 2.0),
        kelly_fraction=fraction,
        kelly_min_trades=5,
        max_position_pct=100,
        max_heat_pct=100,
        cash_reserve_pct=0,
        max_order_quantity=10**9,
    )
    k = kelly_risk_pct(stats, limits)
    stop = px * (1 - dist)
    view = pf(equity=equity, buying_power=1e12, day_start=equity, cash=1e12)
    s = size_entry(Candidate.of("AAPL", Side.BUY, px, stop, view, limits), stats)
    ff = fixed_fraction_size(equity, risk, px, stop)
    assert isinstance(s.quantity, int) and 0 <= s.quantity <= s.target <= ff
    if k is None:
        assert stats.trades < 5 and s.method == "fixed fraction" and s.target == ff
    else:
        assert 0.0 <= k <= risk
        assert s.method == "kelly"
        assert s.quantity * abs(px - stop) <= equity * k / 100 * (1 + 1e-9)


def test_an_exact_fit_is_not_cut_by_float_noise() -> None:
    # 2% of $10,000 over a $2 stop is exactly 100 shares, exactly at the 2% hard cap
    lim = RiskLimits(risk_per_trade_pct=2, max_risk_per_trade_pct=2, max_position_pct=100)
    d = entry(price=40.0, stop=38.0, limits=lim)
    assert d.quantity == 100 and d.approved
    assert check(d, "risk_per_trade").value == pytest.approx(2.0)


def test_a_short_below_the_cash_reserve_sizes_nothing_quickly() -> None:
    d = entry(side=Side.SELL, price=40.0, stop=40.01, view=pf(cash=100.0))
    assert d.quantity == 0 and not d.approved
    assert check(d, "quantity").detail.endswith("(cut to 0 by cash reserve)")
    assert not check(d, "cash_reserve").passed
