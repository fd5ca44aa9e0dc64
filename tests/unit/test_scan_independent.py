"""A symbol's score does not depend on what else was scanned: relative strength is always
measured against SPY, fetched once a scan from the same data agent (scanned or not)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from agents.results import ScanReport
from bot.app import App
from models.domain import ScanResult, Side


def found(report: ScanReport, symbol: str) -> ScanResult:
    return next(r for r in (*report.ranked, *report.filtered) if r.symbol == symbol)


def count_bars(app: App, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the data agent's daily-bar requests by symbol."""
    data = app.orchestrator.data
    asked: Counter[str] = Counter()
    real = data.daily_bars

    async def counting(symbol: str, *args: Any, **kwargs: Any) -> Any:
        asked[symbol] += 1
        return await real(symbol, *args, **kwargs)

    monkeypatch.setattr(data, "daily_bars", counting)
    return asked


async def test_a_score_is_the_same_alone_or_with_others(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    orch = app.orchestrator
    asked = count_bars(app, monkeypatch)
    alone = found(await orch.scan(["AAPL"]), "AAPL")
    assert asked["SPY"] == 1  # not scanned, still fetched: once
    asked.clear()
    many = await orch.scan(["AAPL", "MSFT", "NVDA"])
    assert asked["SPY"] == 1
    together = found(many, "AAPL")
    assert alone.passed and together.passed
    assert together.score == alone.score and together.components == alone.components
    rs = next(c for c in alone.components if c.name == "relative_strength")
    assert " vs SPY " in rs.detail and rs.value is not None
    # with the benchmark in the list it is not fetched twice, and nothing changes
    asked.clear()
    with_spy = await orch.scan(["NVDA", "SPY", "AAPL", "MSFT"])
    assert asked["SPY"] == 1
    assert found(with_spy, "AAPL").components == alone.components
    assert {r.symbol for r in (*many.ranked, *many.filtered)} == {"AAPL", "MSFT", "NVDA"}
    # enough peers for a "market" of their own: still SPY, never the scanned set's median
    peers = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "JPM"]
    assert found(await orch.scan(peers), "AAPL").components == alone.components
    # /analyze scores it the same way (a fresh benchmark return, not the last scan's set)
    view = await orch.analyze("AAPL")
    assert view.scan.score == alone.score and view.scan.components == alone.components


async def test_every_result_says_the_days_move_and_its_side(app: App) -> None:
    orch = app.orchestrator
    report = await orch.scan(["AAPL", "MSFT", "NVDA", "SPY", "TLT"])
    for r in (*report.ranked, *report.filtered):
        d = await orch.data.symbol_data(r.symbol)
        prev = float(d.close[-1])  # the sim's daily bars end the session before today's
        assert r.change_pct == pytest.approx((d.quote.last / prev - 1) * 100, abs=1e-3)
        trend = next(c for c in r.components if c.name == "trend")
        word = trend.detail.split()[0]
        assert r.side is {"up": Side.BUY, "down": Side.SELL, "no": None}[word]
