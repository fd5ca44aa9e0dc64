"""Strategies: each rule on hand-made bars, their indicators against plain loops, the
registry's parameter validation, and properties every strategy keeps on random bars."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.backtest import OHLCV, StrategyParamError, UnknownStrategyError, ohlcv_from_arrays
from services.indicators import bbands, ema, rolling_max, rsi, shift, sma
from services.signals import (
    STRATEGIES,
    breakout,
    compute_signals,
    mean_reversion,
    parse_param,
    resolve_params,
    sma_cross,
    volume_spike,
)


def make_bars(
    close: list[float] | np.ndarray,
    *,
    open_: list[float] | np.ndarray | None = None,
    high: list[float] | np.ndarray | None = None,
    low: list[float] | np.ndarray | None = None,
    volume: list[float] | np.ndarray | None = None,
) -> OHLCV:
    c = np.asarray(close, dtype=float)
    o = c if open_ is None else np.asarray(open_, dtype=float)
    h = np.maximum(o, c) if high is None else np.asarray(high, dtype=float)
    lo = np.minimum(o, c) if low is None else np.asarray(low, dtype=float)
    v = np.full(len(c), 1000.0) if volume is None else np.asarray(volume, dtype=float)
    t = np.datetime64("2024-01-01") + np.arange(len(c)).astype("timedelta64[D]")
    return ohlcv_from_arrays(t, o, h, lo, c, v, symbol="TEST")


def random_bars(seed: int, n: int) -> OHLCV:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = close * np.exp(rng.normal(0, 0.005, n))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, n))
    volume = rng.lognormal(10, 0.6, n)
    return make_bars(close, open_=open_, high=high, low=low, volume=volume)


# ----------------------------------------------------------------------------- indicators


def test_sma_matches_pandas_rolling_mean() -> None:
    x = random_bars(1, 300).close
    expected = pd.Series(x).rolling(17).mean().to_numpy()
    np.testing.assert_allclose(sma(x, 17), expected, rtol=1e-12, equal_nan=True)


def test_ema_is_seeded_with_the_sma_then_recursive() -> None:
    x = random_bars(2, 60).close
    n, alpha = 10, 2 / 11
    ref = [math.nan] * (n - 1) + [float(np.mean(x[:n]))]
    for v in x[n:]:
        ref.append(alpha * v + (1 - alpha) * ref[-1])
    np.testing.assert_allclose(ema(x, n), ref, rtol=1e-12, equal_nan=True)


def test_rsi_is_wilders_smoothing_from_the_first_change() -> None:
    # the one library's convention (pandas-ta's): alpha 1/n averages of gains and losses
    # from the first change on, not TA-Lib's seed with the mean of the first n
    x = random_bars(3, 80).close
    n = 14
    change = np.diff(x)
    gain, loss = np.maximum(change, 0), np.maximum(-change, 0)
    g, lo = gain[0], loss[0]
    ref = [math.nan, 100 * g / (g + lo)]
    for gi, li in zip(gain[1:], loss[1:], strict=True):
        g, lo = (g * (n - 1) + gi) / n, (lo * (n - 1) + li) / n
        ref.append(100 * g / (g + lo))
    np.testing.assert_allclose(rsi(x, n), ref, rtol=1e-10, equal_nan=True)


def test_rsi_edges() -> None:
    up = np.arange(1.0, 31.0)
    assert rsi(up, 14)[-1] == 100.0  # no losses at all
    assert np.isnan(rsi(np.full(30, 5.0), 14)[-1])  # no movement yet: no RSI
    assert np.isnan(rsi(up[:10], 14)).all()  # too short


def test_bollinger_uses_the_sample_std() -> None:
    x = random_bars(4, 100).close
    lower, mid, upper = bbands(x, 20, 2.0)[:3]
    sd = pd.Series(x).rolling(20).std(ddof=1).to_numpy()
    np.testing.assert_allclose(upper - mid, 2 * sd, rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(mid - lower, 2 * sd, rtol=1e-9, equal_nan=True)


def test_rolling_max_and_shift() -> None:
    x = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    np.testing.assert_array_equal(rolling_max(x, 2, min_periods=2), [np.nan, 3, 3, 5, 5])
    np.testing.assert_array_equal(shift(x, 1), [np.nan, 1, 3, 2, 5])
    assert np.isnan(sma(x, 0)).all()  # no window, no average
    with pytest.raises(StrategyParamError, match="n must be positive"):
        resolve_params("breakout", {"n": 0})  # and a strategy refuses one


# ----------------------------------------------------------------------------- rules


def test_sma_cross_is_backtesting_lib_crossover_held() -> None:
    bars = random_bars(5, 400)
    sig = sma_cross(bars, 5, 15)
    f, s = sma(bars.close, 5), sma(bars.close, 15)
    state, expected = 0.0, []
    for i in range(len(f)):
        if i >= 1 and f[i - 1] < s[i - 1] and f[i] > s[i]:
            state = 1.0
        elif i >= 1 and f[i - 1] > s[i - 1] and f[i] < s[i]:
            state = -1.0
        expected.append(math.nan if math.isnan(s[i]) else state)
    np.testing.assert_array_equal(sig, expected)
    assert np.isnan(sig[:14]).all() and not np.isnan(sig[14:]).any()


def test_sma_cross_needs_a_strict_cross() -> None:
    # fast == slow on one bar, then above: not a cross (backtesting.lib.crossover agrees)
    close = [10, 10, 10, 10, 9, 11, 10, 10, 12]
    sig = sma_cross(make_bars(close), 1, 3)
    assert sig[5] == 1  # below on bar 4, above on bar 5
    assert sig[8] == 1


def test_breakout_long_above_the_prior_high_short_below_the_prior_low() -> None:
    close = [10, 11, 10, 11, 10, 12, 11, 11, 9, 10]
    bars = make_bars(close)
    sig = breakout(bars, 3)
    assert np.isnan(sig[:3]).all()
    # bar 5 closes at 12 above the highest high of bars 2..4 (11): long, held
    assert list(sig[3:]) == [0, 0, 1, 1, 1, -1, -1]


def test_mean_reversion_enters_at_the_band_with_rsi_and_exits_at_the_middle() -> None:
    close = [100.0] * 25 + [99, 98, 96, 93, 89, 95, 99, 101, 102]
    bars = make_bars(close)
    sig = mean_reversion(bars, n=20, k=2.0, rsi_n=5, oversold=30, overbought=70)
    lower, mid = bbands(bars.close, 20, 2.0)[:2]
    r = rsi(bars.close, 5)
    first = next(i for i in range(len(close)) if close[i] < lower[i] and r[i] < 30)
    assert sig[first] == 1 and (sig[:first][~np.isnan(sig[:first])] == 0).all()
    back = next(i for i in range(first, len(close)) if close[i] >= mid[i])
    assert (sig[first:back] == 1).all() and (sig[back:] == 0).all()


def test_mean_reversion_shorts_above_the_upper_band() -> None:
    close = [100.0] * 25 + [101, 102, 104, 107, 111, 105, 100, 99]
    sig = mean_reversion(make_bars(close), n=20, k=2.0, rsi_n=5)
    assert -1 in sig and 1 not in sig
    assert sig[-1] == 0  # back under the middle band: covered


def test_volume_spike_direction_hold_and_doji() -> None:
    n = 30
    close = np.full(n, 100.0)
    open_ = np.full(n, 100.0)
    volume = np.full(n, 1000.0)
    volume[22], close[22] = 5000.0, 102.0  # up bar on a spike
    volume[26], open_[26], close[26] = 5000.0, 100.0, 100.0  # doji spike: ignored
    bars = make_bars(close, open_=open_, volume=volume)
    sig = volume_spike(bars, n=20, k=2.0, hold=3)
    assert np.isnan(sig[:20]).all()
    assert list(sig[20:]) == [0, 0, 1, 1, 1, 0, 0, 0, 0, 0]
    close2, open2 = close.copy(), open_.copy()
    open2[22], close2[22] = 102.0, 99.0  # the same spike on a down bar: short
    assert list(volume_spike(make_bars(close2, open_=open2, volume=volume), 20, 2.0, 3)[22:25]) == [
        -1,
        -1,
        -1,
    ]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 300), name=st.sampled_from(list(STRATEGIES)))
def test_every_strategy_gives_warmup_nan_then_values_in_range(seed: int, n: int, name: str) -> None:
    bars = random_bars(seed, n)
    sig = compute_signals(name, bars)
    assert sig.shape == (n,)
    defined = ~np.isnan(sig)
    if defined.any():
        first = int(defined.argmax())
        assert defined[first:].all()  # NaN only as a warm-up prefix
        assert set(np.unique(sig[first:])) <= {-1.0, 0.0, 1.0}


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), cut=st.integers(30, 200))
def test_signals_do_not_look_ahead(seed: int, cut: int) -> None:
    bars = random_bars(seed, 250)
    head = OHLCV(
        *(getattr(bars, c)[:cut] for c in ("time", "open", "high", "low", "close", "volume"))
    )
    for name in STRATEGIES:
        full, part = compute_signals(name, bars), compute_signals(name, head)
        np.testing.assert_array_equal(full[:cut], part, err_msg=name)


# ----------------------------------------------------------------------------- registry


def test_registry_entries_are_fn_defaults_types_with_a_docstring() -> None:
    assert set(STRATEGIES) == {
        "sma_cross",
        "ema_cross",
        "breakout",
        "mean_reversion",
        "volume_spike",
    }
    for name, spec in STRATEGIES.items():
        fn, defaults, types = spec[:3]
        assert callable(fn)
        assert set(defaults) == set(types), name
        assert all(isinstance(defaults[k], types[k]) for k in defaults), name
        assert len(spec.doc) > 40, name
        assert resolve_params(name) == dict(defaults)


def test_resolve_params_coerces_command_line_values() -> None:
    assert resolve_params("sma_cross", ["fast=5", "slow=30"]) == {"fast": 5, "slow": 30}
    assert resolve_params("sma_cross", {"fast": "7"}) == {"fast": 7, "slow": 20}
    assert resolve_params("sma_cross", {"fast": 8.0})["fast"] == 8
    p = resolve_params("mean_reversion", ["k=1.5", "oversold=25"])
    assert p["k"] == 1.5 and p["oversold"] == 25.0


@pytest.mark.parametrize(
    ("strategy", "params", "message"),
    [
        ("sma_cross", ["fast=abc"], "fast must be an integer, got 'abc'"),
        ("sma_cross", ["fast=10.5"], "fast must be an integer"),
        ("sma_cross", ["fast=true"], "fast must be an integer"),
        ("sma_cross", ["fast=-3"], "fast must be positive"),
        ("sma_cross", ["fast=30"], "fast (30) must be less than slow (20)"),
        ("sma_cross", ["speed=3"], "no parameter 'speed'; its parameters: fast, slow"),
        ("mean_reversion", ["k=nan"], "k must be positive"),
        ("mean_reversion", ["oversold=80"], "oversold (80.0) < overbought (70.0)"),
        ("breakout", ["n"], "'n' is not KEY=VALUE"),
        ("breakout", ["=5"], "not KEY=VALUE"),
    ],
)
def test_bad_parameters_are_named(strategy: str, params: list[str], message: str) -> None:
    with pytest.raises(StrategyParamError) as e:
        resolve_params(strategy, params)
    assert message in str(e.value)


def test_unknown_strategy_lists_the_known_ones() -> None:
    with pytest.raises(UnknownStrategyError, match="unknown strategy 'smacross'; known: breakout"):
        resolve_params("smacross")


def test_parse_param_keeps_equals_in_the_value() -> None:
    assert parse_param(" fast = 5 ") == ("fast", "5")
    assert parse_param("a=b=c") == ("a", "b=c")
