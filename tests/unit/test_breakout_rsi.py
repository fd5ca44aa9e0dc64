"""The breakout's RSI filter: off by default (the signal is the old one, bar for bar), a
hot long breakout (or a cold short one) is not taken and only closes the other side, and
rsi_max outside (50, 100] is refused."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.backtest import OHLCV, StrategyParamError, ohlcv_from_arrays
from services.indicators import rolling_max, rolling_min, rsi, shift
from services.signals import STRATEGIES, breakout, compute_signals, resolve_params


def make_bars(close: np.ndarray, high: np.ndarray, low: np.ndarray) -> OHLCV:
    t = np.datetime64("2024-01-01") + np.arange(len(close)).astype("timedelta64[D]")
    return ohlcv_from_arrays(t, close, high, low, close, np.full(len(close), 1e3), symbol="T")


def random_bars(seed: int, n: int) -> OHLCV:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    high = close * (1 + rng.uniform(0, 0.01, n))
    low = close * (1 - rng.uniform(0, 0.01, n))
    return make_bars(close, high, low)


def reference(bars: OHLCV, n: int, rsi_max: float = 100.0, rsi_n: int = 14) -> list[float]:
    """A plain loop: the old breakout when rsi_max is 100, else the filtered rule."""
    hi = shift(rolling_max(bars.high, n, n))
    lo = shift(rolling_min(bars.low, n, n))
    r = rsi(bars.close, rsi_n)
    state, out = 0.0, []
    for i, c in enumerate(bars.close):
        up, down = c > hi[i], c < lo[i]  # False against NaN
        hot = up and r[i] > rsi_max
        cold = down and r[i] < 100 - rsi_max
        if up and not hot:
            state = 1.0
        elif down and not cold:
            state = -1.0
        elif (hot and state < 0) or (cold and state > 0):
            state = 0.0
        out.append(math.nan if math.isnan(hi[i]) or math.isnan(lo[i]) else state)
    return out


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(2, 40), length=st.integers(2, 300))
def test_defaults_give_the_old_signal_bar_for_bar(seed: int, n: int, length: int) -> None:
    bars = random_bars(seed, length)
    np.testing.assert_array_equal(breakout(bars, n), reference(bars, n))
    np.testing.assert_array_equal(compute_signals("breakout", bars, {"n": n}), reference(bars, n))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    n=st.integers(2, 30),
    rsi_max=st.sampled_from([55.0, 60.0, 65.0, 70.0, 80.0]),
    rsi_n=st.integers(2, 20),
)
def test_the_filter_matches_a_plain_loop(seed: int, n: int, rsi_max: float, rsi_n: int) -> None:
    bars = random_bars(seed, 250)
    expected = reference(bars, n, rsi_max, rsi_n)
    np.testing.assert_array_equal(breakout(bars, n, rsi_max, rsi_n), expected)


NAN = math.nan


def test_a_hot_breakout_is_not_taken_and_only_closes_a_short() -> None:
    close = np.array([100, 103, 99, 102, 98, 101, 97, 99, 96, 98, 101, 105, 110, 116.0])
    bars = make_bars(close, close + 0.1, close - 0.1)
    r = rsi(close, 3)
    assert r[4] > 40 and r[6] < 40 and (r[10:] > 60).all()
    free = [NAN, NAN, NAN, 0, -1, -1, -1, -1, -1, -1, 1, 1, 1, 1]
    np.testing.assert_array_equal(breakout(bars, 3, rsi_n=3), free)
    # RSI 44.7 lets the short in; bar 6's cold breakdown (RSI 38) keeps it; the hot rally
    # from bar 10 (RSI 68-94 > 60) covers it and never goes long
    capped = [NAN, NAN, NAN, 0, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0]
    np.testing.assert_array_equal(breakout(bars, 3, rsi_max=60.0, rsi_n=3), capped)


def test_an_existing_long_is_kept_through_hot_breakouts() -> None:
    close = np.array([100, 103, 99, 102, 98, 101, 99, 103, 100, 104, 108, 113, 119.0])
    bars = make_bars(close, close + 0.1, close - 0.1)
    r = rsi(close, 3)
    assert r[7] <= 70 and (r[10:] > 70).all()  # bars 10-12 are hot breakouts
    expected = [NAN, NAN, NAN, 0, -1, -1, -1, 1, 1, 1, 1, 1, 1]
    np.testing.assert_array_equal(breakout(bars, 3, rsi_max=70.0, rsi_n=3), expected)
    # entered at bar 7 instead, were it hot, the long would never have started
    assert (breakout(bars, 3, rsi_max=65.0, rsi_n=3)[7:] != 1).all()


def test_registry_declares_the_new_parameters() -> None:
    spec = STRATEGIES["breakout"]
    assert spec.defaults == {"n": 20, "rsi_max": 100.0, "rsi_n": 14}
    assert spec.types == {"n": int, "rsi_max": float, "rsi_n": int}
    assert resolve_params("breakout", ["rsi_max=70"]) == {"n": 20, "rsi_max": 70.0, "rsi_n": 14}
    assert resolve_params("breakout", {"rsi_max": 100})["rsi_max"] == 100.0


@pytest.mark.parametrize("value", ["50", "45", "100.5", "0", "-3"])
def test_rsi_max_outside_50_to_100_is_refused(value: str) -> None:
    with pytest.raises(StrategyParamError, match="rsi_max"):
        resolve_params("breakout", [f"rsi_max={value}"])


def test_rsi_n_must_be_an_integer() -> None:
    with pytest.raises(StrategyParamError, match="rsi_n must be an integer"):
        resolve_params("breakout", ["rsi_n=2.5"])
