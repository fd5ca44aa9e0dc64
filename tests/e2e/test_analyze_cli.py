"""`cotrader analyze SYMBOL [--chart FILE] [--json]` as a process."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agents.research import Research
from bot.app import App
from models.domain import Actor, Bars
from services import chart_data, charts
from tests.conftest import Clock
from tests.e2e.test_cli import CLI, env


def test_analyze_prints_the_strategies_and_writes_the_chart(tmp_path: Path) -> None:
    png = tmp_path / "nvda.png"
    r = subprocess.run(
        [*CLI, "analyze", "nvda", "--chart", str(png), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env(tmp_path / "h"),
    )
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert body["symbol"] == "NVDA" and 0 <= body["scan"]["score"] <= 100
    assert set(body["signals"]) == {
        "sma_cross",
        "ema_cross",
        "breakout",
        "mean_reversion",
        "volume_spike",
    }
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    bad = subprocess.run(
        [*CLI, "analyze", "ZZZZ"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env(tmp_path / "h"),
    )
    assert bad.returncode == 2 and "ZZZZ" in bad.stderr and "Traceback" not in bad.stderr


async def test_the_analyze_chart_has_today_and_the_pending_cards_levels(
    make_app: Callable[..., App], clock: Clock, trader: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(clock)
    orch = app.orchestrator
    # the research agent reads pending cards from the store (the orchestrator passes it)
    research = Research(orch.data, orch.strategy.cfg, orch.mode.label, orch.store)
    assert research.pending_levels("AAPL") is None
    calls: list[tuple[Bars, dict[str, Any]]] = []
    build = charts.build_candles_figure

    def spy(bars: Bars, **kwargs: Any) -> Any:
        calls.append((bars, kwargs))
        return build(bars, **kwargs)

    monkeypatch.setattr(charts, "build_candles_figure", spy)
    png = await research.chart("AAPL")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    bars, kw = calls[-1]
    data = chart_data.candle_data(bars, today=kw["today"], levels=kw["levels"])
    assert data.today is not None and data.lines == ()  # today so far; no card yet
    intraday = await orch.data.intraday_bars("AAPL")
    assert data.close[-1] == intraday.close[-1] and data.high[-1] == max(intraday.high)
    assert data.ts[-2] == np.datetime64(bars.ts[-1].replace(tzinfo=None))  # after the last day

    card = await orch.propose("AAPL", "buy", 5, trader)
    assert card.stop is not None and card.target is not None
    levels = {"entry": card.entry, "stop": card.stop, "target": card.target}
    assert research.pending_levels("aapl".upper()) == levels
    assert research.pending_levels("MSFT") is None
    await research.chart("AAPL")
    bars, kw = calls[-1]
    data = chart_data.candle_data(bars, today=kw["today"], levels=kw["levels"])
    assert [(x.name, x.price) for x in data.lines] == list(levels.items())
    assert data.today is not None and "pending card's levels" in kw["title"]
    # a decided card is no longer drawn
    orch.reject(card.id, trader)
    assert research.pending_levels("AAPL") is None
