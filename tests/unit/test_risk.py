"""Sizing and every entry limit, alone and together."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.config import RiskLimits
from models.domain import Side
from services.risk import (
    DeskState,
    fixed_fraction_size,
)
from tests.unit.risk_helpers import CHECK_NAMES, LIMITS, check, entry, failed, pf

# ----------------------------------------------------------------------------- sizing


def test_fixed_fraction_documented_example() -> None:
    assert fixed_fraction_size(10_000, 1, 40, 38) == 50


@pytest.mark.parametrize(
    ("equity", "pct", "entry_px", "stop", "expected"),
    [
        (10_000, 1, 40, 38, 50),
        (10_000, 1, 38, 40, 50),  # a short's stop above entry: same distance
        (10_000, 1, 40, 36, 25),
        (10_000, 1, 40, 37, 33),  # 33.33 rounds down
        (10_000, 2, 40, 38, 100),
        (100_000, 0.5, 100, 97.5, 200),
        (1_000, 1, 100, 50, 0),  # one share would risk 5%
        (10_000, 1, 0.3, 0.1, 500),  # 100 / 0.2 in floats is 499.99..., still 500
        (0, 1, 40, 38, 0),
        (-5_000, 1, 40, 38, 0),
        (10_000, 1, 40, 40, 0),  # no stop distance
        (10_000, 0, 40, 38, 0),
    ],
)
def test_fixed_fraction_cases(
    equity: float, pct: float, entry_px: float, stop: float, expected: int
) -> None:
    n = fixed_fraction_size(equity, pct, entry_px, stop)
    assert n == expected
    assert isinstance(n, int)


@given(
    equity=st.floats(0, 1e8),
    pct=st.floats(0.01, 10),
    entry_px=st.floats(0.5, 5_000),
    dist=st.floats(0.01, 500),
)
def test_fixed_fraction_never_risks_more_than_asked(
    equity: float, pct: float, entry_px: float, dist: float
) -> None:
    n = fixed_fraction_size(equity, pct, entry_px, entry_px - dist)
    budget = equity * pct / 100
    assert n >= 0
    # float-noise tolerance only (the 1e-9 nudge in the floor), never a whole share
    assert n * dist <= budget * (1 + 1e-9) + 1e-9
    assert (n + 1) * dist > budget * (1 - 1e-9)


# ----------------------------------------------------------------------------- entry: all pass


def test_entry_all_checks_present_with_numbers() -> None:
    d = entry()
    assert d.approved
    assert d.quantity == 25
    assert tuple(c.name for c in d.checks) == CHECK_NAMES
    for c in d.checks:
        assert c.passed
        assert math.isfinite(c.value)
        assert math.isfinite(c.limit)
        assert c.detail
    assert d.failures == ()
    assert d.reason() == "all checks passed"
    assert d.risk_amount == pytest.approx(100.0)
    assert d.risk_pct == pytest.approx(1.0)
    assert d.notional == pytest.approx(1_000.0)
    assert "fixed fraction" in d.sizing
    assert check(d, "quantity").value == 25
    assert check(d, "quantity").limit == LIMITS.max_order_quantity
    assert check(d, "risk_per_trade").value == pytest.approx(1.0)
    assert check(d, "risk_per_trade").limit == LIMITS.max_risk_per_trade_pct
    assert check(d, "position_size").value == pytest.approx(10.0)
    assert check(d, "position_size").limit == LIMITS.max_position_pct
    assert check(d, "open_positions").value == 1
    assert check(d, "buying_power").value == pytest.approx(1_000.0)
    assert check(d, "buying_power").limit == pytest.approx(10_000.0)
    assert check(d, "daily_loss").value == pytest.approx(0.0)
    assert check(d, "daily_loss").limit == -LIMITS.daily_loss_limit_pct
    assert check(d, "stop").value == 36.0
    assert check(d, "stop").limit == 40.0


def test_entry_with_requested_quantity_uses_it() -> None:
    d = entry(requested=7)
    assert d.approved
    assert d.quantity == 7
    assert d.sizing == "quantity as requested"
    assert d.notional == pytest.approx(280.0)
    assert d.risk_amount == pytest.approx(28.0)


def test_entry_short_passes_when_allowed() -> None:
    d = entry(side=Side.SELL, price=40.0, stop=44.0)
    assert d.approved
    assert d.quantity == 25


def test_entry_sizing_is_capped_by_position_size() -> None:
    # 1% risk with a $1 stop is 100 shares = $4,000 = 40%; the 20% cap allows 50
    d = entry(stop=39.0)
    assert d.quantity == 50
    assert d.approved
    assert check(d, "position_size").value == pytest.approx(20.0)


def test_entry_sizing_counts_the_position_already_held() -> None:
    # $1,500 of AAPL held leaves $500 of the 20% room: 12 shares at $40
    d = entry(stop=39.0, view=pf(positions={"AAPL": (30, 50.0)}))
    assert d.quantity == 12
    assert d.approved
    assert check(d, "open_positions").value == 1  # adding to AAPL is not a new position


def test_entry_sizing_is_capped_by_buying_power() -> None:
    d = entry(view=pf(buying_power=400.0))
    assert d.quantity == 10
    assert d.approved


def test_entry_sizing_is_capped_by_max_order_quantity() -> None:
    d = entry(limits=RiskLimits(max_order_quantity=5))
    assert d.quantity == 5
    assert d.approved


# ----------------------------------------------------------------------------- each limit alone


def test_desk_paused_fails_alone() -> None:
    d = entry(desk=DeskState(paused=True, reason="lunch"))
    assert not d.approved
    assert failed(d) == {"desk_state"}
    assert check(d, "desk_state").detail == "desk paused: lunch (a person must /resume)"
    assert d.reason() == "desk paused: lunch (a person must /resume)"


def test_desk_halted_fails_alone() -> None:
    d = entry(desk=DeskState(halted=True))
    assert not d.approved
    assert failed(d) == {"desk_state"}
    assert check(d, "desk_state").detail == "desk halted (a person must /resume)"


def test_halted_wins_over_paused_in_the_message() -> None:
    d = entry(desk=DeskState(halted=True, paused=True, reason="loss limit"))
    assert check(d, "desk_state").detail.startswith("desk halted: loss limit")


def test_short_disabled_fails_alone() -> None:
    d = entry(side=Side.SELL, stop=44.0, limits=RiskLimits(allow_short=False))
    assert not d.approved
    assert failed(d) == {"shorting"}
    assert check(d, "shorting").detail == "short selling is disabled"


def test_sell_against_a_long_is_not_shorting() -> None:
    d = entry(
        side=Side.SELL,
        stop=44.0,
        requested=10,
        view=pf(positions={"AAPL": (20, 40.0)}),
        limits=RiskLimits(allow_short=False),
    )
    assert check(d, "shorting").passed


def test_sell_that_flips_a_long_to_short_is_refused_when_shorting_disabled() -> None:
    # Holding 10 long, selling 50 leaves 40 short: that is short selling.
    d = entry(
        side=Side.SELL,
        stop=44.0,
        requested=50,
        view=pf(positions={"AAPL": (10, 40.0)}),
        limits=RiskLimits(allow_short=False),
    )
    assert not check(d, "shorting").passed
    assert not d.approved


@pytest.mark.parametrize(
    ("side", "stop", "word"),
    [(Side.BUY, 42.0, "below"), (Side.SELL, 38.0, "above")],
)
def test_stop_on_the_wrong_side_fails_alone(side: Side, stop: float, word: str) -> None:
    d = entry(side=side, stop=stop)
    assert not d.approved
    assert failed(d) == {"stop"}
    assert check(d, "stop").detail == f"stop {stop:.2f} must be {word} entry 40.00"


def test_stop_equal_to_entry_fails() -> None:
    d = entry(stop=40.0)
    assert not d.approved
    assert {"stop", "quantity"} <= failed(d)
    assert d.quantity == 0


def test_quantity_zero_fails_alone() -> None:
    d = entry(requested=0)
    assert not d.approved
    assert failed(d) == {"quantity"}
    assert check(d, "quantity").detail.startswith("quantity 0 outside 1-100,000")


def test_sized_quantity_zero_says_why() -> None:
    d = entry(
        price=100.0, stop=50.0, view=pf(equity=1_000.0, buying_power=1_000.0, day_start=1_000.0)
    )
    assert d.quantity == 0
    assert not d.approved
    assert failed(d) == {"quantity"}
    assert "stop too wide or account too small" in check(d, "quantity").detail


def test_quantity_above_max_fails_alone() -> None:
    d = entry(
        stop=38.0,
        requested=11,
        view=pf(equity=100_000.0, buying_power=100_000.0, day_start=100_000.0),
        limits=RiskLimits(max_order_quantity=10),
    )
    assert not d.approved
    assert failed(d) == {"quantity"}
    assert check(d, "quantity").value == 11
    assert check(d, "quantity").limit == 10


def test_risk_per_trade_over_cap_with_requested_size_fails_alone() -> None:
    d = entry(stop=30.0, requested=30)  # $300 at risk = 3% > 2%
    assert not d.approved
    assert failed(d) == {"risk_per_trade"}
    c = check(d, "risk_per_trade")
    assert c.value == pytest.approx(3.0)
    assert c.limit == 2.0
    assert c.detail == "$300.00 at risk = 3.00% of equity > 2%"
    assert d.risk_amount == pytest.approx(300.0)


def test_position_size_over_max_fails_alone() -> None:
    d = entry(stop=39.9, requested=60)  # $2,400 = 24% > 20%
    assert not d.approved
    assert failed(d) == {"position_size"}
    assert check(d, "position_size").value == pytest.approx(24.0)
    assert check(d, "position_size").detail == "AAPL would be 24.0% of equity > 20%"


def test_open_positions_over_max_fails_alone() -> None:
    view = pf(positions={"MSFT": (1, 10.0), "NVDA": (-1, 10.0), "FLAT": (0, 10.0)})
    d = entry(view=view, limits=RiskLimits(max_open_positions=2))
    assert not d.approved
    assert failed(d) == {"open_positions"}
    assert check(d, "open_positions").value == 3  # two held + this one; FLAT is not open


def test_buying_power_fails_alone() -> None:
    d = entry(requested=40, view=pf(buying_power=1_000.0))  # $1,600 > $1,000
    assert not d.approved
    assert failed(d) == {"buying_power"}
    assert check(d, "buying_power").detail == "$1,600.00 exceeds buying power $1,000.00"


def test_daily_loss_hit_fails_alone() -> None:
    d = entry(view=pf(day_start=10_500.0))  # -4.76% today
    assert not d.approved
    assert failed(d) == {"daily_loss"}
    assert check(d, "daily_loss").value == pytest.approx(-4.7619, abs=1e-4)
    assert "daily loss limit -3%" in check(d, "daily_loss").detail


def test_daily_loss_below_limit_passes() -> None:
    d = entry(view=pf(day_start=10_200.0))  # -1.96%
    assert check(d, "daily_loss").passed


def test_reason_joins_every_failure() -> None:
    d = entry(requested=0, desk=DeskState(paused=True))
    assert failed(d) == {"desk_state", "quantity"}
    assert d.reason().count("; ") == 1
