"""Trade ideas: the SMA trend rule and the trader's own (manual) idea."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.config import StrategyConfig
from models.domain import Quote, Side
from services.indicators import atr, bars_since_cross, sma
from services.scanner import SymbolData
from services.strategies import SMA_TREND, manual_idea, sma_trend_idea
from tests.unit.market_fixtures import (
    STRAT,
    TS,
    downtrend,
    flat,
    quote,
    result,
    series,
    uptrend,
)

# ----------------------------------------------------------------------------- sma_trend_idea


def test_uptrend_gives_a_buy() -> None:
    d = uptrend()
    idea = sma_trend_idea(d, STRAT)
    assert idea is not None
    assert idea.side is Side.BUY
    assert idea.strategy == SMA_TREND
    assert idea.entry == d.quote.ask
    assert idea.stop < idea.entry < idea.target
    assert idea.stop == pytest.approx(d.quote.ask - 2.0 * 2.0)
    assert idea.target == pytest.approx(d.quote.ask + 3.0 * 2.0)
    assert idea.facts["atr14"] == pytest.approx(2.0)
    assert idea.facts["sma20"] < idea.facts["last"]
    assert idea.facts["sma50"] < idea.facts["sma20"]
    assert "above SMA20" in idea.summary


def test_downtrend_gives_a_sell() -> None:
    d = downtrend()
    idea = sma_trend_idea(d, STRAT)
    assert idea is not None
    assert idea.side is Side.SELL
    assert idea.entry == d.quote.bid
    assert idea.target < idea.entry < idea.stop
    assert idea.stop == pytest.approx(d.quote.bid + 4.0)
    assert "below SMA20" in idea.summary


def test_downtrend_gives_nothing_when_shorting_disabled() -> None:
    assert sma_trend_idea(downtrend(), STRAT, allow_short=False) is None
    assert sma_trend_idea(uptrend(), STRAT, allow_short=False) is not None


def test_flat_gives_nothing() -> None:
    assert sma_trend_idea(flat(), STRAT) is None


def test_too_short_history_gives_nothing() -> None:
    assert sma_trend_idea(uptrend(STRAT.slow + 1), STRAT) is None
    assert sma_trend_idea(uptrend(STRAT.slow + 2), STRAT) is not None


def test_quote_below_fast_sma_vetoes_the_buy() -> None:
    d = uptrend()
    fast = float(sma(d.close, STRAT.fast)[-1])
    q = quote("TEST", round(fast - 1, 2))
    assert sma_trend_idea(series(d.close, q=q), STRAT) is None


def test_stop_below_zero_gives_nothing() -> None:
    # a cheap uptrend with a huge range: two ATRs below entry is under $0
    d = series(1.0 + 0.01 * np.arange(120), rng=2.0)
    assert sma_trend_idea(d, STRAT) is None


def test_confidence_grows_with_score() -> None:
    d = uptrend()
    assert bars_since_cross(sma(d.close, 20), sma(d.close, 50)) is None
    assert sma_trend_idea(d, STRAT).confidence == pytest.approx(0.6)  # type: ignore[union-attr]
    high = sma_trend_idea(d, STRAT, result("TEST", 80))
    assert high is not None
    assert high.confidence == pytest.approx(0.75)
    assert high.score == 80
    assert sma_trend_idea(d, STRAT, result("TEST", 100)).confidence == pytest.approx(0.85)  # type: ignore[union-attr]


def _v_shape(up_bars: int) -> SymbolData:
    return series(
        np.concatenate([np.linspace(150, 100, 80), 100 + 2.0 * np.arange(1, up_bars + 1)])
    )


def test_confidence_bonus_for_a_fresh_cross() -> None:
    fresh, stale = _v_shape(24), _v_shape(40)
    assert bars_since_cross(sma(fresh.close, 20), sma(fresh.close, 50)) == 8
    assert bars_since_cross(sma(stale.close, 20), sma(stale.close, 50)) == 24
    a, b = sma_trend_idea(fresh, STRAT), sma_trend_idea(stale, STRAT)
    assert a is not None
    assert b is not None
    assert a.confidence == pytest.approx(0.7)
    assert b.confidence == pytest.approx(0.6)
    assert "crossed 8 bars ago" in a.summary


@settings(max_examples=100, deadline=None)
@given(
    stop_atr=st.floats(0.5, 5.0),
    target_atr=st.floats(0.5, 10.0),
    slope=st.floats(0.1, 2.0),
    rng=st.floats(0.2, 3.0),
    up=st.booleans(),
)
def test_reward_risk_is_target_atr_over_stop_atr(
    stop_atr: float, target_atr: float, slope: float, rng: float, up: bool
) -> None:
    cfg = StrategyConfig(stop_atr=stop_atr, target_atr=target_atr)
    n = 120
    close = 500 + (1 if up else -1) * slope * np.arange(n)
    d = series(close, rng=rng)
    idea = sma_trend_idea(d, cfg)
    assert idea is not None
    assert idea.side is (Side.BUY if up else Side.SELL)
    a = float(atr(d.high, d.low, d.close, cfg.atr_period)[-1])
    # entry, stop and target are each rounded to cents: allow exactly that, nothing more
    lo = (target_atr * a - 0.01) / (stop_atr * a + 0.01)
    hi = (target_atr * a + 0.01) / (stop_atr * a - 0.01)
    assert lo - 1e-12 <= idea.reward_risk <= hi + 1e-12


def test_reward_risk_exact_with_default_config() -> None:
    idea = sma_trend_idea(uptrend(), STRAT)
    assert idea is not None
    assert idea.reward_risk == pytest.approx(STRAT.target_atr / STRAT.stop_atr)
    assert idea.risk_per_share == pytest.approx(4.0)


# ----------------------------------------------------------------------------- manual_idea


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_manual_idea_either_side_on_flat(side: Side) -> None:
    d = flat()
    idea = manual_idea(d, side, STRAT)
    assert idea is not None
    assert idea.side is side
    assert idea.strategy == "manual"
    assert idea.confidence == 0.5
    assert idea.score == 0.0
    assert idea.entry == d.quote.price_for(side)
    assert idea.stop == pytest.approx(idea.entry - side.sign * 4.0)
    assert idea.target == pytest.approx(idea.entry + side.sign * 6.0)
    if side is Side.BUY:
        assert idea.stop < idea.entry < idea.target
    else:
        assert idea.target < idea.entry < idea.stop
    assert idea.reward_risk == pytest.approx(1.5)
    assert f"your {side.value} idea" in idea.summary


def test_manual_idea_against_the_trend_is_allowed() -> None:
    idea = manual_idea(uptrend(), Side.SELL, STRAT, result("TEST", 42))
    assert idea is not None
    assert idea.side is Side.SELL
    assert idea.score == 42


def test_manual_idea_stop_below_zero_gives_nothing() -> None:
    d = flat(price=3.0, q=Quote(symbol="TEST", bid=3.0, ask=3.0, last=3.0, ts=TS))
    assert manual_idea(d, Side.BUY, STRAT) is None  # 3 - 2 * 2 < 0
    assert manual_idea(d, Side.SELL, STRAT) is not None


def test_manual_idea_without_enough_bars_for_atr_gives_nothing() -> None:
    assert manual_idea(flat(10), Side.BUY, STRAT) is None
