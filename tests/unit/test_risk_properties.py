"""Property tests: a sized entry never breaks a limit; a stopped desk never opens."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from models.config import RiskLimits
from models.domain import Side
from services.risk import (
    DeskState,
    PortfolioView,
    evaluate_entry,
)
from tests.unit.risk_helpers import ACTIVE, CHECK_NAMES, failed

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
