"""services/ta: the one-pass universe panel equals pandas-ta symbol by symbol, whatever is
installed; multi-timeframe; bad input refused."""

from __future__ import annotations

import ast
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services import ta
from services.ta import Indicators, Panel, TaError, TaParams, compute, compute_reference

OHLCV = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
# the bar counts where pandas-ta starts (or stops) returning each indicator
EDGE_LENGTHS = (1, 2, 5, 6, 14, 15, 19, 20, 21, 26, 33, 34, 50, 61, 200, 251, 252, 300)


def bars(n: int, seed: int, vol: float = 0.02, price: float = 100.0) -> OHLCV:
    """A random walk with highs, lows, opens and volume (no flat windows)."""
    g = np.random.default_rng(seed)
    close = price * np.exp(np.cumsum(g.normal(0.0, vol, n)))
    high = close * (1 + np.abs(g.normal(0, vol / 2, n)) + 1e-4)
    low = close * (1 - np.abs(g.normal(0, vol / 2, n)) - 1e-4)
    open_ = np.clip(close * (1 + g.normal(0, vol / 4, n)), low, high)
    volume = g.uniform(1e5, 5e6, n)
    return open_, high, low, close, volume


def panel_of(series: list[OHLCV], timeframe: str = "1d") -> Panel:
    syms = [f"S{i}" for i in range(len(series))]
    return Panel.from_arrays(syms, *([s[k] for s in series] for k in range(5)), timeframe=timeframe)


def assert_same(got: Indicators, ref: Indicators) -> None:
    """Equal to 1e-9 relative; values that cross zero (MACD, returns) are compared with an
    absolute floor of 1e-9 of their column's largest magnitude. NaN exactly where pandas-ta
    has NaN (or returns nothing)."""
    assert set(got.values) == set(ref.values)
    for name, ref_v in ref.values.items():
        got_v = got.values[name]
        assert got_v.shape == ref_v.shape, name
        for j, sym in enumerate(ref.symbols):
            g, r = got_v[:, j], ref_v[:, j]
            nan = np.isnan(r)
            bad = np.flatnonzero(np.isnan(g) != nan)
            assert bad.size == 0, f"{name} {sym}: NaN differs at rows {bad[:5]}"
            if nan.all():
                continue
            scale = float(np.max(np.abs(r[~nan])))
            np.testing.assert_allclose(
                g[~nan], r[~nan], rtol=1e-9, atol=1e-9 * scale, err_msg=f"{name} {sym}"
            )


# ----------------------------------------------------------------------------- equality


def test_every_indicator_equals_pandas_ta_at_every_warmup_edge() -> None:
    p = panel_of([bars(n, seed=n) for n in EDGE_LENGTHS])
    got, ref = compute(p), compute_reference(p)
    assert list(got.values) == TaParams().names()
    assert_same(got, ref)
    # the edges really are edges: a 14-bar series has no RSI(14), a 15-bar one has
    rsi = got.series("S4")["rsi"], got.series("S5")["rsi"]
    assert np.isnan(rsi[0]).all() and np.isfinite(rsi[1][-1])


@settings(max_examples=20, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 320), min_size=1, max_size=4),
    seed=st.integers(0, 2**31),
    vol=st.floats(0.005, 0.08),
    price=st.floats(0.5, 5_000),
    fast=st.integers(2, 30),
    window=st.integers(2, 60),
)
def test_random_universes_equal_pandas_ta(
    lengths: list[int], seed: int, vol: float, price: float, fast: int, window: int
) -> None:
    params = TaParams(
        sma=(fast, window),
        ema=(window,),
        rsi=fast,
        macd_fast=fast,
        macd_slow=window,
        macd_signal=max(2, fast // 2),
        bb_length=max(window, 5),  # see test_bollinger_on_near_constant_prices
        atr=fast,
        adx=fast,
        volume=window,
        roc=(fast,),
        range_window=window * 3,
    )
    p = panel_of([bars(n, seed + i, vol, price) for i, n in enumerate(lengths)])
    assert_same(compute(p, params), compute_reference(p, params))


@settings(max_examples=40, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 200), min_size=2, max_size=6),
    seed=st.integers(0, 2**31),
)
def test_a_symbols_values_do_not_depend_on_its_neighbours(lengths: list[int], seed: int) -> None:
    series = [bars(n, seed + i) for i, n in enumerate(lengths)]
    together = compute(panel_of(series))
    for i, s in enumerate(series):
        alone = compute(panel_of([s]))
        mine = together.series(f"S{i}")
        for name, v in alone.series("S0").items():
            assert len(v) == lengths[i]
            np.testing.assert_array_equal(np.isnan(mine[name]), np.isnan(v), err_msg=name)
            np.testing.assert_allclose(mine[name], v, rtol=1e-12, atol=1e-12, err_msg=name)


def test_bollinger_on_near_constant_prices_is_closer_to_exact_than_pandas_ta() -> None:
    # two-bar bands on prices that barely move: %B is exactly 0.5 +/- sqrt(2)/8, but
    # pandas' running variance (which pandas-ta uses) loses digits here; the panel's
    # two-pass variance does not, so the equality tests keep Bollinger windows >= 5
    params = TaParams(bb_length=2)
    p = panel_of([bars(72, 2, vol=0.002, price=1.0)])
    got = compute(p, params).values["bb_percent"][:, 0]
    ref = compute_reference(p, params).values["bb_percent"][:, 0]
    exact = np.where(got > 0.5, 0.5 + np.sqrt(2) / 8, 0.5 - np.sqrt(2) / 8)
    mine, theirs = np.nanmax(np.abs(got - exact)), np.nanmax(np.abs(ref - exact))
    assert mine < 1e-9
    assert mine < theirs


def test_latest_is_the_last_bar_of_each_symbol() -> None:
    p = panel_of([bars(300, 1), bars(80, 2)])
    got = compute(p)
    last = got.latest()
    for j, sym in enumerate(p.symbols):
        for name, v in got.series(sym).items():
            assert last[name][j] == v[-1] or (np.isnan(last[name][j]) and np.isnan(v[-1]))


# ----------------------------------------------------------------------------- talib pin


def _ta_calls(tree: ast.AST) -> list[ast.Call]:
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and isinstance(n.func.value, ast.Name)
        and n.func.value.id == "ta"
    ]


def test_every_pandas_ta_call_passes_talib_false() -> None:
    tree = ast.parse(Path(ta.__file__).read_text())
    calls = _ta_calls(tree)
    assert len(calls) >= 10
    for call in calls:
        kw = {k.arg: k.value for k in call.keywords}
        assert "talib" in kw, f"line {call.lineno}: ta.{call.func.attr}() without talib="  # type: ignore[attr-defined]
        assert isinstance(kw["talib"], ast.Constant) and kw["talib"].value is False


@pytest.fixture
def talib_installed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A fake TA-Lib that pandas-ta would use if it could: every function records its name
    and raises (so a single use shows up as a failure, not as a small numeric drift)."""
    used: list[str] = []
    fake = types.ModuleType("talib")

    def lookup(name: str) -> object:
        def fn(*_: object, **__: object) -> object:
            used.append(name)
            raise AssertionError(f"TA-Lib {name} was used")

        return fn

    fake.__getattr__ = lookup  # type: ignore[method-assign]
    monkeypatch.setitem(sys.modules, "talib", fake)
    imports = ta.pandas_ta().Imports
    monkeypatch.setitem(imports, "talib", True)
    return used


def test_results_do_not_depend_on_talib_being_installed(talib_installed: list[str]) -> None:
    p = panel_of([bars(n, seed=n) for n in (40, 120, 300)])
    ref = compute_reference(p)  # pandas-ta with a "TA-Lib" importable and switched on
    assert talib_installed == []
    assert_same(compute(p), ref)
    assert ta.pandas_ta().Imports["talib"] is False  # the process-wide pin holds


def test_why_the_module_switch_is_pinned_too(talib_installed: list[str]) -> None:
    # pandas-ta 0.4.71b0's adx() calls atr() without forwarding talib=False: passing the
    # keyword alone would still reach TA-Lib when it is installed
    import pandas as pd
    import pandas_ta
    from pandas_ta.maps import Imports

    Imports["talib"] = True
    h, lo, c = (pd.Series(x) for x in bars(60, 1)[1:4])
    with pytest.raises(AssertionError, match="TA-Lib ATR was used"):
        pandas_ta.adx(h, lo, c, 14, talib=False)


# ----------------------------------------------------------------------------- timeframes


def test_multi_timeframe_daily_and_intraday() -> None:
    daily = panel_of([bars(300, 1), bars(260, 2)])
    intraday = panel_of([bars(78 * 3, 3, vol=0.002), bars(100, 4, vol=0.002)], timeframe="5m")
    out = ta.compute_timeframes({"1d": daily, "5m": intraday})
    assert set(out) == {"1d", "5m"}
    assert out["1d"].params.range_window == 252
    assert out["5m"].params.range_window == 78  # the session's range on 5-minute bars
    assert out["5m"].timeframe == "5m"
    assert_same(out["5m"], compute_reference(intraday))
    hi = out["5m"].series("S0")["range_high"]
    assert hi[-1] == pytest.approx(intraday.high[-78:, 0].max())
    custom = ta.compute_timeframes({"5m": intraday}, {"5m": TaParams(range_window=10)})
    assert custom["5m"].params.range_window == 10


def test_timeframe_mix_ups_are_refused() -> None:
    with pytest.raises(TaError, match="holds '1d' bars"):
        ta.compute_timeframes({"5m": panel_of([bars(50, 1)])})
    with pytest.raises(TaError, match="unknown timeframe '2h'"):
        TaParams.for_timeframe("2h")


# ----------------------------------------------------------------------------- bad input


def test_panel_refuses_bad_input() -> None:
    o, h, lo, c, v = bars(30, 1)
    with pytest.raises(TaError, match="S0: open/high/low/close/volume differ"):
        Panel.from_arrays(["S0"], [o], [h], [lo], [c[:-1]], [v])
    bad = c.copy()
    bad[3] = np.nan
    with pytest.raises(TaError, match="S0: close has missing or non-finite"):
        Panel.from_arrays(["S0"], [o], [h], [lo], [bad], [v])
    with pytest.raises(TaError, match="duplicate"):
        Panel.from_arrays(["A", "A"], [o, o], [h, h], [lo, lo], [c, c], [v, v])
    with pytest.raises(TaError, match="no bars"):
        Panel.from_arrays(["E"], [[]], [[]], [[]], [[]], [[]])
    with pytest.raises(TaError, match="one open/high/low/close/volume column"):
        Panel.from_arrays(["A", "B"], [o], [h], [lo], [c], [v])
    with pytest.raises(TaError, match="not in the panel"):
        compute(panel_of([bars(30, 1)])).series("NOPE")


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"rsi": 0}, "rsi length"),
        ({"sma": (20, -5)}, "sma length"),
        ({"roc": (2.5,)}, "roc length"),
        ({"bb_length": 1}, "bb_length"),
        ({"bb_std": float("nan")}, "bb_std"),
    ],
)
def test_params_refuse_nonsense(kw: dict[str, object], match: str) -> None:
    with pytest.raises(TaError, match=match):
        TaParams(**kw)  # type: ignore[arg-type]


def test_max_bars_keeps_the_latest() -> None:
    long = bars(400, 9)
    trimmed = Panel.from_arrays(["X"], *([a] for a in long), max_bars=120)
    assert trimmed.close.shape == (120, 1)
    assert trimmed.close[-1, 0] == long[3][-1]
    assert_same(compute(trimmed), compute(panel_of([tuple(a[-120:] for a in long)])))  # type: ignore[arg-type]


def test_empty_universe_computes_nothing() -> None:
    p = Panel.from_arrays([], [], [], [], [], [])
    got = compute(p)
    assert got.symbols == () and all(v.shape == (0, 0) for v in got.values.values())
    assert all(v.shape == (0,) for v in got.latest().values())
