"""Property tests: a sized entry never breaks a limit (recomputed here independently), is
whole and never negative; a halted desk never opens; REDUCING passes only reducing trades."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from models.config import RiskLimits
from models.domain import Side
from services.risk import (
    DeskState,
    Holding,
    PortfolioView,
    StrategyStats,
    evaluate,
    evaluate_entry,
    is_reducing,
)
from tests.unit.risk_helpers import ACTIVE, CHECK_NAMES, failed

SYMBOLS = ["AAPL", "MSFT", "NVDA", "SPY", "TSLA", "XOM"]
SECTORS = {"AAPL": "Tech", "MSFT": "Tech", "NVDA": "Tech", "XOM": "Energy"}  # SPY, TSLA unknown
TOL = 1e-9  # float noise only: far below one share of any limit here


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
        max_sector_pct=draw(st.floats(0.5, 100)),
        max_heat_pct=draw(st.floats(0.1, 100)),
        no_stop_risk_pct=draw(st.floats(1, 100)),
        cash_reserve_pct=draw(st.floats(0, 50)),
        max_positions_per_symbol=draw(st.integers(1, 3)),
    )


def test_limits_refuse_a_sizing_target_above_its_cap() -> None:
    with pytest.raises(ValueError, match="must not exceed"):
        RiskLimits(risk_per_trade_pct=5, max_risk_per_trade_pct=2)


money = st.floats(0, 5_000_000, allow_nan=False, allow_infinity=False)
price = st.floats(0.5, 3_000, allow_nan=False, allow_infinity=False)
holding_st = st.builds(
    Holding,
    quantity=st.integers(-300, 300),
    price=price,
    stop=st.one_of(st.none(), price),
)
positions_st = st.dictionaries(st.sampled_from(SYMBOLS), holding_st, max_size=6)
stats_st = st.one_of(
    st.none(),
    st.builds(
        StrategyStats,
        trades=st.integers(0, 200),
        wins=st.integers(0, 200),
        avg_win=st.floats(0, 1_000),
        avg_loss=st.floats(0, 1_000),
    ).filter(lambda s: s.wins <= s.trades),
)


def _risk_of(h: Holding, no_stop_pct: float) -> float:
    if h.quantity == 0:
        return 0.0
    if h.stop is None:
        return abs(h.quantity) * h.price * no_stop_pct / 100
    gap = (h.price - h.stop) if h.quantity > 0 else (h.stop - h.price)
    return max(gap, 0.0) * abs(h.quantity)


@settings(max_examples=500, deadline=None)
@given(
    equity=st.one_of(money, st.floats(5_000, 5_000_000)),
    cash_frac=st.floats(-0.5, 1.5),
    bp_frac=st.floats(0, 4),
    px=price,
    stop_frac=st.floats(0.001, 0.5),
    side=st.sampled_from([Side.BUY, Side.SELL]),
    symbol=st.sampled_from(SYMBOLS),
    positions=positions_st,
    limits=limits_st(),
    stats=stats_st,
)
def test_sized_entry_never_breaks_a_limit(
    equity: float,
    cash_frac: float,
    bp_frac: float,
    px: float,
    stop_frac: float,
    side: Side,
    symbol: str,
    positions: dict[str, Holding],
    limits: RiskLimits,
    stats: StrategyStats | None,
) -> None:
    stop = px * (1 - side.sign * stop_frac)
    dist = abs(px - stop)
    assume(dist > 0)
    cash, buying_power = equity * cash_frac, equity * bp_frac
    view = PortfolioView(equity, cash, buying_power, equity, positions, SECTORS)
    d = evaluate_entry(symbol, side, px, stop, None, view, limits, ACTIVE, stats)
    q = d.quantity
    assert isinstance(q, int) and not isinstance(q, bool)
    assert 0 <= q <= limits.max_order_quantity
    assert tuple(c.name for c in d.checks) == CHECK_NAMES
    if q == 0:
        assert "quantity" in failed(d) and not d.approved
        return
    # every size-dependent limit, recomputed here, whether or not other checks failed
    assert q * dist <= equity * limits.risk_per_trade_pct / 100 * (1 + TOL)
    assert q * px <= buying_power
    same = [h for s, h in positions.items() if s == symbol and h.quantity]
    pos_value = sum(abs(h.quantity) * h.price for h in same) + q * px
    assert pos_value <= limits.max_position_pct * equity / 100 * (1 + TOL)
    if symbol in SECTORS:
        peers = [h for s, h in positions.items() if SECTORS.get(s) == SECTORS[symbol]]
        sector_value = sum(abs(h.quantity) * h.price for h in peers) + q * px
        assert sector_value <= limits.max_sector_pct * equity / 100 * (1 + TOL)
    held = positions.get(symbol)
    heat = sum(_risk_of(h, limits.no_stop_risk_pct) for h in positions.values())
    if held is not None and held.quantity and (held.quantity > 0) == (side is Side.BUY):
        heat += (abs(held.quantity) + q) * dist - _risk_of(held, limits.no_stop_risk_pct)
    else:
        heat += q * dist
    assert heat <= limits.max_heat_pct * equity / 100 * (1 + TOL) + TOL
    if side is Side.BUY:
        assert cash - q * px >= limits.cash_reserve_pct * equity / 100 * (1 - TOL) - TOL
    if d.approved:
        assert d.risk_amount == pytest.approx(q * dist, abs=0.006)
        assert d.notional == pytest.approx(q * px, abs=0.006)


@settings(max_examples=300, deadline=None)
@given(
    equity=money,
    buying_power=money,
    px=price,
    stop=price,
    requested=st.one_of(st.none(), st.integers(0, 10_000)),
    side=st.sampled_from([Side.BUY, Side.SELL]),
    desk=st.builds(
        DeskState,
        paused=st.booleans(),
        halted=st.booleans(),
        reducing=st.booleans(),
        reason=st.text(),
    ),
    positions=positions_st,
    limits=limits_st(),
)
def test_a_stopped_desk_never_approves_an_entry(
    equity: float,
    buying_power: float,
    px: float,
    stop: float,
    requested: int | None,
    side: Side,
    desk: DeskState,
    positions: dict[str, Holding],
    limits: RiskLimits,
) -> None:
    assume(desk.paused or desk.halted or desk.reducing)
    view = PortfolioView(equity, equity, buying_power, equity, positions)
    d = evaluate_entry("AAPL", side, px, stop, requested, view, limits, desk)
    assert d.approved is False
    assert "desk_state" in failed(d)


@settings(max_examples=400, deadline=None)
@given(
    px=price,
    stop=price,
    quantity=st.one_of(st.none(), st.integers(0, 5_000)),
    side=st.sampled_from([Side.BUY, Side.SELL]),
    kind=st.sampled_from(["entry", "exit"]),
    halted=st.booleans(),
    positions=positions_st,
    limits=limits_st(),
)
def test_halted_or_reducing_passes_only_reducing_trades(
    px: float,
    stop: float,
    quantity: int | None,
    side: Side,
    kind: str,
    halted: bool,
    positions: dict[str, Holding],
    limits: RiskLimits,
) -> None:
    """Whatever is proposed (entry or exit, sized or not), a halted or REDUCING desk only
    ever approves an order that shrinks a position without flipping it."""
    desk = DeskState(halted=halted, reducing=not halted, reason="limit")
    view = PortfolioView(1e6, 1e6, 1e6, 1e6, positions)
    d = evaluate("AAPL", side, px, stop, quantity, view, limits, desk, kind)
    held = positions["AAPL"].quantity if "AAPL" in positions else 0
    if d.approved:
        assert is_reducing(side, d.quantity, held)
        assert abs(held + side.sign * d.quantity) < abs(held)
