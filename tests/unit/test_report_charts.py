"""services.report_charts: PNGs that decode, the edge cases (one point, no benchmark, no
data, no trades), the colours of gains and losses, the rebased benchmark, the lock, speed."""

from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
import pytest
from PIL import Image

from services.chart_data import DOWN, UP
from services.charts import RENDER_LOCK
from services.report_charts import equity_vs_benchmark_png, rebased_benchmark, strategy_pnl_png
from services.reports.types import EquityPoint, GroupLine

PNG = b"\x89PNG\r\n\x1a\n"


def points(n: int, bench: bool = True) -> list[EquityPoint]:
    g = np.random.default_rng(n)
    eq = 100_000 + g.normal(0, 800, n).cumsum()
    spy = 450 + g.normal(0, 3, n).cumsum()
    return [
        EquityPoint(date(2026, 11, 2) + timedelta(days=i), float(e), float(b) if bench else None)
        for i, (e, b) in enumerate(zip(eq, spy, strict=True))
    ]


def decode(png: bytes) -> np.ndarray:
    assert png.startswith(PNG)
    img = Image.open(io.BytesIO(png))
    img.load()
    return np.asarray(img.convert("RGB"))


def has_colour(pixels: np.ndarray, hex_colour: str) -> bool:
    rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return bool((pixels == rgb).all(axis=-1).any())


@pytest.mark.parametrize(
    "pts",
    [points(22), points(1), points(5, bench=False), points(300), []],
    ids=["month", "one point", "no benchmark", "long", "empty"],
)
def test_equity_chart_renders(pts: list[EquityPoint]) -> None:
    pixels = decode(equity_vs_benchmark_png(pts, "Equity vs SPY"))
    assert pixels.shape == (500, 900, 3)
    assert not RENDER_LOCK.locked()


def test_equity_chart_draws_the_drawdown_in_red() -> None:
    falling = [EquityPoint(date(2026, 12, d), v) for d, v in ((1, 100.0), (2, 90.0), (3, 95.0))]
    assert has_colour(decode(equity_vs_benchmark_png(falling, "t")), DOWN)


def test_rebased_benchmark_starts_at_the_equity() -> None:
    pts = [
        EquityPoint(date(2026, 12, 1), 1000.0, None),
        EquityPoint(date(2026, 12, 2), 1100.0, 200.0),
        EquityPoint(date(2026, 12, 3), 1200.0, 220.0),
    ]
    got = rebased_benchmark(pts)
    assert np.isnan(got[0])
    assert got[1:].tolist() == pytest.approx([1100.0, 1210.0])
    assert np.isnan(rebased_benchmark(points(3, bench=False))).all()


def test_strategy_chart_colours_gains_and_losses() -> None:
    lines = [GroupLine("breakout", 4, 3, 420.0, 4.0), GroupLine("manual", 2, 0, -130.0, 2.0)]
    pixels = decode(strategy_pnl_png(lines, "P&L by strategy"))
    assert has_colour(pixels, UP) and has_colour(pixels, DOWN)
    gains_only = decode(strategy_pnl_png(lines[:1], "t"))
    assert has_colour(gains_only, UP) and not has_colour(gains_only, DOWN)


def test_strategy_chart_without_trades_and_with_many_lines() -> None:
    empty = decode(strategy_pnl_png([], "P&L by strategy"))
    assert empty.shape == (500, 900, 3)
    assert not has_colour(empty, UP) and not has_colour(empty, DOWN)
    many = [GroupLine(f"S{i}", 1, int(i % 2), float(i - 40), 1.0) for i in range(80)]
    assert decode(strategy_pnl_png(many, "P&L by symbol")).shape[1] == 900
    assert not RENDER_LOCK.locked()
