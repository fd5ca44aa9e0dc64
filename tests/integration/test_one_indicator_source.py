"""One indicator source: for the same bars, a card's facts, /analyze, the chart, the scanner's
universe panel and the strategy signal show the same RSI, ATR and Bollinger bands.

The card and /analyze round what they show (services.ta.shown); the chart, the panel and
the signal keep the full values. Every number is compared to 1e-9 relative.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from bot.app import App
from models.domain import Actor, Side
from services import charts
from services import indicators as ind
from services.scanner import scan_universe
from services.signals import mean_reversion_lines, resolve_params
from services.strategies import atr_levels
from services.strategy_ideas import as_ohlcv
from services.ta import TaParams, shown
from tests.conftest import Clock

REL = 1e-9
SYMBOL = "AAPL"


def same(a: float, b: float, what: str) -> None:
    assert math.isfinite(a) and math.isfinite(b), what
    assert math.isclose(a, b, rel_tol=REL, abs_tol=0.0), f"{what}: {a!r} != {b!r}"


def drawn_bands(fig: Any, p: TaParams, sma: tuple[int, int]) -> dict[str, float]:
    """The last drawn value of the chart's bands (the middle band is the SMA of its length)."""
    lines = {str(line.get_label()): line for line in fig.axes[0].get_lines()}
    upper_label = f"BB({p.bb_length}, {p.bb_std:g})"
    upper = lines[upper_label]
    (lower,) = [v for k, v in lines.items() if k.startswith("_") and v.get_linestyle() == "--"]
    mid = lines[f"SMA{p.bb_length}"]
    assert p.bb_length in sma  # so the chart's SMA line of that length is the middle band
    return {
        name: float(np.asarray(line.get_ydata(), dtype=float)[-1])
        for name, line in (("bb_upper", upper), ("bb_mid", mid), ("bb_lower", lower))
    }


async def test_card_analyze_chart_panel_and_signal_show_the_same_numbers(
    make_app: Callable[..., App], clock: Clock, trader: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(clock)
    orch = app.orchestrator
    st = orch.strategy.cfg
    p = TaParams(atr=st.atr_period)
    rsi_k, atr_k = f"rsi{p.rsi}", f"atr{p.atr}"
    keys = (rsi_k, atr_k, "bb_upper", "bb_mid", "bb_lower")

    # the card: a proposal's facts as stored with it
    card = await orch.propose(SYMBOL, "buy", 1, trader)
    stored = orch.store.proposals.get(card.id)
    assert stored is not None
    facts = stored.facts or {}
    assert set(keys) <= set(facts), facts

    # /analyze
    view = await orch.analyze(SYMBOL)
    for k in keys:
        same(facts[k], view.indicators[k], f"card vs /analyze {k}")

    # the chart /analyze attaches: what it draws
    figures: list[Any] = []
    build = charts.build_candles_figure

    def spy(*args: Any, **kwargs: Any) -> Any:
        fig = build(*args, **kwargs)
        figures.append(fig)
        return fig

    monkeypatch.setattr(charts, "build_candles_figure", spy)
    png = await orch.research.chart(SYMBOL)
    assert png.startswith(b"\x89PNG") and len(figures) == 1
    chart = drawn_bands(figures[0], p, (st.fast, st.slow))

    # the strategy signal: the lines mean_reversion reads, and the ATR every signal's stop uses
    d = await orch.data.symbol_data(SYMBOL)
    mr = resolve_params("mean_reversion", st.params.get("mean_reversion"))
    assert (mr["n"], mr["k"], mr["rsi_n"]) == (p.bb_length, p.bb_std, p.rsi)
    lines = mean_reversion_lines(as_ohlcv(d), int(mr["n"]), float(mr["k"]), int(mr["rsi_n"]))
    levels = atr_levels(d, Side.BUY, st)
    assert levels is not None
    signal = {k: float(lines[k][-1]) for k in ("bb_upper", "bb_mid", "bb_lower")}
    signal |= {rsi_k: float(lines["rsi"][-1]), atr_k: levels[3]}

    # the scanner's one pass over the whole universe
    datas, skipped = await orch.data.many(orch.universe())
    assert SYMBOL not in skipped
    uni = scan_universe(datas, orch.scanner.cfg, st)
    assert uni.indicators is not None and len(uni.indicators.symbols) > 1
    col = uni.indicators.symbols.index(SYMBOL)
    latest = uni.indicators.latest()
    names = {rsi_k: "rsi", atr_k: "atr"} | {k: k for k in ("bb_upper", "bb_mid", "bb_lower")}
    panel = {k: float(latest[v][col]) for k, v in names.items()}

    # the library itself, on the same bars
    bands = ind.bbands(d.close, p.bb_length, p.bb_std)
    library = {
        rsi_k: float(ind.rsi(d.close, p.rsi)[-1]),
        atr_k: float(ind.atr(d.high, d.low, d.close, p.atr)[-1]),
        "bb_upper": float(bands.upper[-1]),
        "bb_mid": float(bands.mid[-1]),
        "bb_lower": float(bands.lower[-1]),
    }

    for k in keys:
        for where, got in (("signal", signal), ("panel", panel)):
            same(got[k], library[k], f"{where} vs library {k}")
        if k in chart:
            same(chart[k], library[k], f"chart vs library {k}")
        same(facts[k], shown(library[k]), f"card vs library {k}")
    assert 0 < library[rsi_k] < 100
    assert library["bb_lower"] < library["bb_mid"] < library["bb_upper"]
