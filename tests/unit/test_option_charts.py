"""services/option_charts: the /chain smile chart is a PNG of the asked size, draws from
plain numbers, skips unusable points, renders a "no usable quotes" figure rather than
failing when nothing can be drawn, refuses malformed input clearly, and is fast."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from services.option_charts import SmileLine, smile_png, smile_title

PNG = b"\x89PNG\r\n\x1a\n"


def size(png: bytes) -> tuple[int, int]:
    w, h = struct.unpack(">II", png[16:24])
    return w, h


def curves(n: int = 4, points: int = 30) -> list[tuple[str, list[float], list[float]]]:
    k = np.linspace(400, 700, points)
    return [
        (f"{d}d · 2027-01-{i + 10}", k.tolist(), (0.2 + 0.1 * ((k - 550) / 150) ** 2).tolist())
        for i, d in enumerate((7, 30, 60, 120)[:n])
    ]


def test_smile_is_a_png_of_the_asked_size() -> None:
    png = smile_png(curves(), spot=550.0, symbol="SPY", simulated=True, source="sim")
    assert png.startswith(PNG)
    assert size(png) == (900, 500)
    small = smile_png(curves(1), spot=550.0, symbol="SPY", size=(6.0, 4.0), dpi=50)
    assert small.startswith(PNG) and size(small) == (300, 200)


def test_smile_lines_and_tuples_draw_the_same() -> None:
    tuples = curves(2)
    lines = [SmileLine(*t) for t in tuples]
    a = smile_png(tuples, spot=550.0, symbol="SPY")
    b = smile_png(lines, spot=550.0, symbol="SPY")
    assert a == b


def test_no_curves_or_no_usable_point_still_renders_a_no_quotes_figure() -> None:
    empty = smile_png([], spot=100.0, symbol="XYZ", simulated=True, source="sim")
    assert empty.startswith(PNG) and size(empty) == (900, 500)
    unusable = smile_png(
        [("7d", [90.0, 100.0], [math.nan, 0.0]), ("30d", [], [])], spot=100.0, symbol="XYZ"
    )
    assert unusable.startswith(PNG)
    drawn = smile_png([("7d", [90.0, 100.0], [0.3, 0.25])], spot=100.0, symbol="XYZ")
    assert drawn != unusable


def test_bad_input_is_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match="spot must be a positive number"):
        smile_png(curves(1), spot=0.0, symbol="SPY")
    with pytest.raises(ValueError, match="spot must be a positive number"):
        smile_png(curves(1), spot=math.nan, symbol="SPY")
    with pytest.raises(ValueError, match="2 strikes but 1 IVs"):
        smile_png([("7d", [90.0, 100.0], [0.3])], spot=100.0, symbol="SPY")


def test_title_says_simulated() -> None:
    assert smile_title("AAPL", True) == "AAPL implied-vol smile · SIMULATED"
    assert smile_title("AAPL", False) == "AAPL implied-vol smile"


def test_payoff_chart_is_a_png_and_refuses_nonsense() -> None:
    from services.option_charts import payoff_png
    from services.options.payoff import LegSpec

    spread = [LegSpec("put", 100, "sell"), LegSpec("put", 95, "buy")]
    png = payoff_png(spread, 1.5, spot=104.0, title="SPY bull put spread", contracts=2)
    assert png.startswith(PNG) and size(png) == (800, 450)
    with pytest.raises(ValueError, match="at least one leg"):
        payoff_png([], 1.0, spot=100.0, title="x")
    with pytest.raises(ValueError, match="spot must be a positive number"):
        payoff_png(spread, 1.0, spot=float("nan"), title="x")
