"""services/charts: candlestick and equity PNGs, their overlays and markers, no leaked
figures, the Agg backend, lazy imports, and clear errors on bad input."""

from __future__ import annotations

import struct
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.domain import Bars
from services import indicators as ind
from services.chart_data import ChartError, candle_data, card_levels, today_bar
from services.charts import build_candles_figure, drawdown, render_candles, render_equity

PNG = b"\x89PNG\r\n\x1a\n"
T0 = datetime(2025, 1, 2, 21, 0, tzinfo=UTC)


def make_bars(n: int = 250, seed: int = 1) -> Bars:
    g = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(g.normal(0, 0.015, n)))
    high, low = close * 1.01, close * 0.99
    open_ = np.clip(close * (1 + g.normal(0, 0.004, n)), low, high)
    return Bars(
        symbol="TEST",
        ts=[T0 + timedelta(days=i) for i in range(n)],
        open=open_.tolist(),
        high=high.tolist(),
        low=low.tolist(),
        close=close.tolist(),
        volume=g.uniform(1e6, 3e6, n).tolist(),
    )


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG)
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture
def plt() -> Iterator[object]:
    import matplotlib.pyplot as pyplot

    yield pyplot
    pyplot.close("all")


def _scatter_points(fig: object, colour_index: int) -> list[tuple[float, float]]:
    from matplotlib.collections import PathCollection

    ax = fig.axes[0]  # type: ignore[attr-defined]
    found = [c for c in ax.collections if isinstance(c, PathCollection)]
    pts = np.ma.compress_rows(np.ma.masked_invalid(found[colour_index].get_offsets()))
    return [(float(x), float(y)) for x, y in pts]


# ----------------------------------------------------------------------------- candles


def test_render_candles_is_a_png_of_the_asked_size(plt: object) -> None:
    data = render_candles(make_bars(), buys=[200], sells=[220], size=(8.0, 5.0), dpi=80)
    assert png_size(data) == (640, 400)
    assert len(data) > 10_000
    assert plt.get_fignums() == []  # type: ignore[attr-defined]
    import matplotlib

    assert matplotlib.get_backend().lower() == "agg"


def test_signal_markers_sit_on_their_bars(plt: object) -> None:
    b = make_bars()
    fig = build_candles_figure(b, buys=[200, 240], sells=[220], last=None)
    buys, sells = _scatter_points(fig, 0), _scatter_points(fig, 1)
    assert [x for x, _ in buys] == [200, 240]
    assert [x for x, _ in sells] == [220]
    assert all(y < b.low[int(x)] for x, y in buys)  # below the bar for a buy
    assert all(y > b.high[int(x)] for x, y in sells)  # above it for a sell


def test_markers_follow_the_shown_window(plt: object) -> None:
    b = make_bars()
    fig = build_candles_figure(b, buys=[5, 200], sells=[], last=60)  # shows bars 190..249
    assert [x for x, _ in _scatter_points(fig, 0)] == [10]  # bar 5 is off the chart
    assert len(fig.axes[0].get_lines()) >= 4  # type: ignore[attr-defined]


def test_overlays_are_computed_on_the_whole_history(plt: object) -> None:
    b = make_bars()
    close = np.asarray(b.close)
    fig = build_candles_figure(b, last=100, sma=(20, 50), bollinger=(20, 2.0))
    lines = [np.asarray(line.get_ydata(), dtype=float) for line in fig.axes[0].get_lines()]  # type: ignore[attr-defined]
    want = {
        "sma20": ind.rolling_mean(close, 20)[-100:],
        "sma50": ind.rolling_mean(close, 50)[-100:],
        "bb_upper": ind.bbands(close, 20, 2.0).upper[-100:],
        "bb_lower": ind.bbands(close, 20, 2.0).lower[-100:],
    }
    for name, w in want.items():
        assert np.isfinite(w).all()  # full values from the first shown bar on
        assert any(len(y) == 100 and np.allclose(y, w) for y in lines), name
    volume_ax = fig.axes[2]  # type: ignore[attr-defined]
    bars = [c for c in volume_ax.collections if len(c.get_paths()) == 100]
    assert bars, "one volume bar per shown candle"


def test_short_history_draws_what_it_can(plt: object) -> None:
    data = render_candles(make_bars(15), buys=[3], sma=(20, 50))  # no SMA, no bands yet
    assert data.startswith(PNG)


def test_a_failing_render_still_closes_its_figure(
    plt: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib.figure import Figure

    def boom(*_: object, **__: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", boom)
    with pytest.raises(OSError, match="disk full"):
        render_candles(make_bars(60))
    assert plt.get_fignums() == []  # type: ignore[attr-defined]


def test_rendering_leaves_no_figures_or_styles_behind(plt: object) -> None:
    import matplotlib

    before = dict(matplotlib.rcParams)
    for _ in range(3):
        render_candles(make_bars(80))
    render_equity([1.0, 2.0, 1.5], [T0, T0 + timedelta(days=1), T0 + timedelta(days=2)])
    assert plt.get_fignums() == []  # type: ignore[attr-defined]
    assert dict(matplotlib.rcParams) == before


def _broken(field: str, value: object) -> Bars:
    b = make_bars(30)
    return b.model_copy(update={field: value})


@pytest.mark.parametrize(
    ("bars", "kw", "match"),
    [
        (make_bars(1), {}, "at least 2 bars"),
        (_broken("close", make_bars(30).close[:-1]), {}, "differ in length"),
        (_broken("close", [float("nan")] * 30), {}, "non-finite"),
        (_broken("high", [1.0] * 30), {}, "high is below its low"),
        (_broken("ts", [T0] * 30), {}, "strictly increasing"),
        (_broken("ts", [T0] * 29), {}, "29 timestamps for 30"),
        (make_bars(30), {"buys": [30]}, "buy index 30 outside the bars 0..29"),
        (make_bars(30), {"sells": [-1]}, "sell index -1 outside"),
        (make_bars(30), {"buys": [True]}, "not a bar number"),
        (make_bars(30), {"last": 1}, "at least 2 bars"),
        (make_bars(30), {"sma": (0,)}, "windows must be positive"),
    ],
)
def test_bad_candle_input_is_refused(bars: Bars, kw: dict[str, object], match: str) -> None:
    with pytest.raises(ChartError, match=match):
        render_candles(bars, **kw)


# ----------------------------------------------------------------------------- equity


def test_render_equity_png(plt: object) -> None:
    g = np.random.default_rng(3)
    equity = 100_000 * np.cumprod(1 + g.normal(0.0005, 0.01, 400))
    stamps = [T0 + timedelta(days=i) for i in range(400)]
    data = render_equity(equity, stamps, title="SMA cross, SPY", size=(9.0, 4.5), dpi=100)
    assert png_size(data) == (900, 450)
    assert plt.get_fignums() == []  # type: ignore[attr-defined]
    naive = np.array([np.datetime64("2025-01-01") + np.timedelta64(i, "D") for i in range(400)])
    assert render_equity(equity, naive).startswith(PNG)


@pytest.mark.parametrize(
    ("equity", "ts", "match"),
    [
        ([1.0], [T0], "at least 2 points"),
        ([1.0, float("nan")], [T0, T0 + timedelta(days=1)], "non-finite"),
        ([1.0, -2.0], [T0, T0 + timedelta(days=1)], "never go negative"),
        ([0.0, 1.0], [T0, T0 + timedelta(days=1)], "start above 0"),
        ([1.0, 2.0], [T0], "1 timestamps for 2"),
        ([1.0, 2.0], [T0, T0], "strictly increasing"),
        ([1.0, 2.0], ["soon", "later"], "not dates"),
    ],
)
def test_bad_equity_input_is_refused(equity: list[float], ts: list[object], match: str) -> None:
    with pytest.raises(ChartError, match=match):
        render_equity(equity, ts)


def test_drawdown_by_hand() -> None:
    dd = drawdown([100.0, 110.0, 99.0, 121.0, 60.5])
    assert dd.tolist() == pytest.approx([0.0, 0.0, -10.0, 0.0, -50.0])


@settings(max_examples=200)
@given(st.lists(st.floats(0.01, 1e9), min_size=1, max_size=200))
def test_drawdown_properties(values: list[float]) -> None:
    e = np.array(values)
    dd = drawdown(e)
    assert (dd <= 0).all() and (dd >= -100).all()
    peak = np.maximum.accumulate(e)
    assert (dd[e == peak] == 0).all()
    worst = min((v / max(values[: i + 1]) - 1) * 100 for i, v in enumerate(values))
    assert dd.min() == pytest.approx(min(worst, 0.0), abs=1e-9)


# ----------------------------------------------------------------------------- imports


def test_heavy_libraries_are_imported_lazily() -> None:
    code = (
        "import sys, services.charts, services.scanner, services.ta\n"
        "heavy = {'matplotlib', 'mplfinance', 'pandas_ta', 'pandas', 'scipy'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- today, levels


def make_intraday(day: datetime, closes: list[float], symbol: str = "TEST") -> Bars:
    """Five-minute bars from 14:30 UTC on `day` with the given closes."""
    opens = [closes[0] - 0.5, *closes[:-1]]
    return Bars(
        symbol=symbol,
        ts=[day.replace(hour=14, minute=30) + timedelta(minutes=5 * i) for i in range(len(closes))],
        open=opens,
        high=[max(o, c) + 0.25 for o, c in zip(opens, closes, strict=True)],
        low=[min(o, c) - 0.25 for o, c in zip(opens, closes, strict=True)],
        close=closes,
        volume=[1000.0 * (i + 1) for i in range(len(closes))],
    )


LEVELS = {"entry": 101.5, "stop": 95.25, "target": 140.0}


def test_candle_data_appends_todays_bar_and_the_cards_lines() -> None:
    b = make_bars(250)
    today = make_intraday(b.ts[-1] + timedelta(days=1), [100.0, 102.0, 99.0, 101.0])
    data = candle_data(b, today=today, levels=LEVELS, last=120)
    assert data.completed == 120 and len(data.close) == 121  # the window, then today
    assert data.close[:-1].tolist() == b.close[-120:]
    t = data.today
    assert t is not None and t.ts == today.ts[0]
    assert (t.open, t.high, t.low, t.close, t.volume) == (99.5, 102.25, 98.75, 101.0, 10_000.0)
    assert (data.open[-1], data.high[-1], data.low[-1], data.close[-1]) == (
        99.5,
        102.25,
        98.75,
        101.0,
    )
    assert data.volume[-1] == 10_000.0 and data.ts[-1] > data.ts[-2]
    assert [(x.name, x.price) for x in data.lines] == list(LEVELS.items())
    assert [x.label for x in data.lines] == ["entry 101.50", "stop 95.25", "target 140.00"]
    lo, hi = data.price_range
    assert lo <= min(data.low) and lo <= 95.25 and hi == 140.0  # every level stays in view


def test_candle_data_without_today_or_levels_is_the_completed_window() -> None:
    b = make_bars(250)
    data = candle_data(b, last=60)
    assert data.today is None and data.lines == () and data.completed == len(data.close) == 60
    # after the close the daily history already has today: no second candle for it
    same_day = make_intraday(b.ts[-1], [100.0, 101.0])
    assert today_bar(same_day, after=b.ts[-1]) is None
    assert candle_data(b, today=same_day, last=60).today is None
    assert today_bar(None) is None
    empty = Bars(symbol="TEST", ts=[], open=[], high=[], low=[], close=[], volume=[])
    assert today_bar(empty) is None
    # a missing stop or target is left out; a nonsense price is refused
    assert [x.name for x in card_levels({"entry": 10.0, "stop": None, "target": 12.0})] == [
        "entry",
        "target",
    ]
    with pytest.raises(ChartError, match=r"stop level -1\.0 is not a price"):
        card_levels({"entry": 10.0, "stop": -1.0})
    bad = make_intraday(b.ts[-1] + timedelta(days=1), [100.0, float("nan")])
    with pytest.raises(ChartError, match="intraday bars have bad values"):
        today_bar(bad)


def test_the_figure_draws_todays_candle_and_labelled_lines(plt: object) -> None:
    b = make_bars(250)
    today = make_intraday(b.ts[-1] + timedelta(days=1), [100.0, 102.0, 99.0, 101.0])
    fig = build_candles_figure(b, today=today, levels=LEVELS, last=100)
    ax = fig.axes[0]  # type: ignore[attr-defined]
    labelled = {str(line.get_label()): line for line in ax.get_lines()}
    for label, price in (("entry 101.50", 101.5), ("stop 95.25", 95.25), ("target 140.00", 140)):
        assert list(labelled[label].get_ydata()) == [price, price]
    assert {t.get_text() for t in ax.texts} >= {"entry 101.50", "stop 95.25", "target 140.00"}
    assert ax.get_ylim()[1] >= 140.0 and ax.get_xlim()[1] >= 100  # today's slot is at x=100
    # the overlays stay those of the completed bars: one value per completed bar shown
    sma20 = np.asarray(labelled["SMA20"].get_ydata(), dtype=float)
    assert len(sma20) == 100 and np.allclose(sma20, ind.sma(np.asarray(b.close), 20)[-100:])
    plt.close(fig)  # type: ignore[attr-defined]
    png = render_candles(b, today=today, levels=LEVELS, size=(8.0, 5.0), dpi=80)
    assert png_size(png) == (640, 400)
    assert plt.get_fignums() == []  # type: ignore[attr-defined]
