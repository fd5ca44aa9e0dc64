"""Tests for risk checks and sizing (services/risk.py)."""

from __future__ import annotations

import inspect
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from models.config import RiskLimits
from models.domain import RiskCheck, RiskDecision, Side
from services.risk import (
    DeskState,
    PortfolioView,
    drift_pct,
    evaluate_entry,
    evaluate_exit,
    fixed_fraction_size,
    is_reducing,
)

CHECK_NAMES = (
    "desk_state",
    "shorting",
    "stop",
    "quantity",
    "risk_per_trade",
    "position_size",
    "open_positions",
    "buying_power",
    "daily_loss",
)

ACTIVE = DeskState()
LIMITS = RiskLimits()


def pf(
    equity: float = 10_000.0,
    buying_power: float = 10_000.0,
    day_start: float = 10_000.0,
    positions: dict[str, tuple[int, float]] | None = None,
) -> PortfolioView:
    return PortfolioView(
        equity=equity,
        cash=equity,
        buying_power=buying_power,
        day_start_equity=day_start,
        positions=positions or {},
    )


def entry(
    side: Side = Side.BUY,
    price: float = 40.0,
    stop: float = 36.0,
    requested: int | None = None,
    view: PortfolioView | None = None,
    limits: RiskLimits = LIMITS,
    desk: DeskState = ACTIVE,
    symbol: str = "AAPL",
) -> RiskDecision:
    return evaluate_entry(symbol, side, price, stop, requested, view or pf(), limits, desk)


def failed(d: RiskDecision) -> set[str]:
    return {c.name for c in d.failures}


def check(d: RiskDecision, name: str) -> RiskCheck:
    return next(c for c in d.checks if c.name == name)


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


# ----------------------------------------------------------------------------- exits


HELD = pf(positions={"AAPL": (100, 150.0), "TSLA": (-50, 200.0)})


def test_exit_reducing_long_passes() -> None:
    d = evaluate_exit("AAPL", Side.SELL, 40, HELD)
    assert d.approved
    assert d.quantity == 40
    assert d.notional == pytest.approx(6_000.0)
    assert d.risk_amount == 0.0
    assert d.sizing == "position exit"
    assert [c.name for c in d.checks] == ["reduces_position"]
    assert d.checks[0].value == 40
    assert d.checks[0].limit == 100


def test_exit_closing_all_passes() -> None:
    assert evaluate_exit("AAPL", Side.SELL, 100, HELD).approved


def test_exit_covering_short_passes() -> None:
    d = evaluate_exit("TSLA", Side.BUY, 50, HELD)
    assert d.approved
    assert d.quantity == 50


def test_exit_over_closing_fails() -> None:
    d = evaluate_exit("AAPL", Side.SELL, 101, HELD)
    assert not d.approved
    assert d.quantity == 0
    assert "does not reduce the position held (100)" in d.reason()


def test_exit_on_the_wrong_side_fails() -> None:
    assert not evaluate_exit("AAPL", Side.BUY, 10, HELD).approved
    assert not evaluate_exit("TSLA", Side.SELL, 10, HELD).approved


def test_exit_of_nothing_held_fails() -> None:
    d = evaluate_exit("NVDA", Side.SELL, 1, HELD)
    assert not d.approved
    assert d.quantity == 0


def test_exits_are_allowed_while_halted() -> None:
    # evaluate_exit takes no desk state at all, so a halted desk cannot block an exit
    assert "desk" not in inspect.signature(evaluate_exit).parameters
    d = evaluate_exit("AAPL", Side.SELL, 100, HELD)
    assert d.approved
    assert all(c.name != "desk_state" for c in d.checks)


@pytest.mark.parametrize(
    ("side", "quantity", "held", "expected"),
    [
        (Side.SELL, 10, 100, True),
        (Side.SELL, 100, 100, True),
        (Side.SELL, 101, 100, False),
        (Side.BUY, 10, 100, False),
        (Side.BUY, 10, -100, True),
        (Side.BUY, 100, -100, True),
        (Side.BUY, 101, -100, False),
        (Side.SELL, 10, -100, False),
        (Side.SELL, 10, 0, False),
        (Side.BUY, 10, 0, False),
        (Side.SELL, 0, 100, False),
        (Side.SELL, -5, 100, False),
    ],
)
def test_is_reducing(side: Side, quantity: int, held: int, expected: bool) -> None:
    assert is_reducing(side, quantity, held) is expected


@pytest.mark.parametrize(
    ("proposed", "current", "expected"),
    [
        (100.0, 101.0, 1.0),
        (100.0, 99.0, 1.0),
        (100.0, 100.0, 0.0),
        (50.0, 55.0, 10.0),
        (0.0, 10.0, math.inf),
        (-1.0, 10.0, math.inf),
    ],
)
def test_drift_pct(proposed: float, current: float, expected: float) -> None:
    assert drift_pct(proposed, current) == pytest.approx(expected)


# ----------------------------------------------------------------------------- properties


@st.composite
def limits_st(draw: st.DrawFn) -> RiskLimits:
    """Valid limits: the sizing target never above its own cap (RiskLimits enforces it)."""
    cap = draw(st.floats(0.05, 20))
    return RiskLimits(
        risk_per_trade_pct=draw(st.floats(0.05, min(cap, 10))),
        max_risk_per_trade_pct=cap,
        max_position_pct=draw(st.floats(0.5, 100)),
        max_open_positions=draw(st.integers(1, 20)),
        daily_loss_limit_pct=draw(st.floats(0.5, 50)),
        max_order_quantity=draw(st.integers(1, 100_000)),
        allow_short=draw(st.booleans()),
    )


def test_limits_refuse_a_sizing_target_above_its_cap() -> None:
    with pytest.raises(ValueError, match="must not exceed"):
        RiskLimits(risk_per_trade_pct=5, max_risk_per_trade_pct=2)


money = st.floats(0, 5_000_000, allow_nan=False, allow_infinity=False)
price = st.floats(0.5, 3_000, allow_nan=False, allow_infinity=False)
positions_st = st.dictionaries(
    st.sampled_from(["AAPL", "MSFT", "NVDA", "SPY", "TSLA"]),
    st.tuples(st.integers(-2_000, 2_000), price),
    max_size=5,
)


@settings(max_examples=500)
@given(
    equity=money,
    cash=money,
    buying_power=money,
    day_start=money,
    px=price,
    stop_frac=st.floats(0.001, 0.5),
    side=st.sampled_from([Side.BUY, Side.SELL]),
    positions=positions_st,
    limits=limits_st(),
)
def test_sized_entry_never_breaks_a_limit(
    equity: float,
    cash: float,
    buying_power: float,
    day_start: float,
    px: float,
    stop_frac: float,
    side: Side,
    positions: dict[str, tuple[int, float]],
    limits: RiskLimits,
) -> None:
    stop = px * (1 - side.sign * stop_frac)
    assume(abs(px - stop) > 0)
    view = PortfolioView(equity, cash, buying_power, day_start, positions)
    d = evaluate_entry("AAPL", side, px, stop, None, view, limits, ACTIVE)
    assert isinstance(d.quantity, int)
    assert d.quantity >= 0
    assert d.quantity <= limits.max_order_quantity
    assert tuple(c.name for c in d.checks) == CHECK_NAMES
    if d.approved:
        risk = d.quantity * abs(px - stop)
        # strictly within the sizing target: float noise allowed, never an extra share
        assert risk <= equity * limits.risk_per_trade_pct / 100 * (1 + 1e-9)
        assert d.quantity * px <= buying_power
        held, held_px = positions.get("AAPL", (0, px))
        pos_pct = (abs(held) * held_px + d.quantity * px) / equity * 100
        assert pos_pct <= limits.max_position_pct
        assert d.risk_amount == pytest.approx(risk, abs=0.006)
        assert d.notional == pytest.approx(d.quantity * px, abs=0.006)


@settings(max_examples=300)
@given(
    equity=money,
    buying_power=money,
    px=price,
    stop=price,
    requested=st.one_of(st.none(), st.integers(0, 10_000)),
    side=st.sampled_from([Side.BUY, Side.SELL]),
    desk=st.builds(DeskState, paused=st.booleans(), halted=st.booleans(), reason=st.text()),
    positions=positions_st,
    limits=limits_st(),
)
def test_halted_or_paused_desk_never_approves_an_entry(
    equity: float,
    buying_power: float,
    px: float,
    stop: float,
    requested: int | None,
    side: Side,
    desk: DeskState,
    positions: dict[str, tuple[int, float]],
    limits: RiskLimits,
) -> None:
    assume(desk.paused or desk.halted)
    view = PortfolioView(equity, equity, buying_power, equity, positions)
    d = evaluate_entry("AAPL", side, px, stop, requested, view, limits, desk)
    assert d.approved is False
    assert "desk_state" in failed(d)
