"""Research for a trader before a click: strategy signals, charts and backtests of a symbol.

Numbers come from services (signals, backtest, charts); this agent fetches the bars (and
today's so far, and reads a pending card's levels from the store) and runs the CPU-heavy
parts off the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from agents.data import DataAgent
from agents.errors import BadInput, DataUnavailable
from agents.results import AnalysisView, BacktestView
from models.config import StrategyConfig
from models.domain import Bars
from services.backtest.errors import BacktestError
from services.backtest.frames import ohlcv_from_domain
from services.backtest.result import BacktestConfig
from services.backtest.runner import backtest
from services.chart_data import ChartError
from services.charts import render_candles, render_equity
from services.scanner import SymbolData, indicator_snapshot
from services.strategy_ideas import SignalState, signal_states
from services.ta import TaParams

if TYPE_CHECKING:
    from agents.scanner import ScannerAgent
    from agents.strategy import StrategyAgent
    from models.store import Store

HISTORY = 100_000  # every daily bar the source has


class Research:
    def __init__(
        self, data: DataAgent, cfg: StrategyConfig, mode_label: str, store: Store | None = None
    ) -> None:
        self.data = data
        self.cfg = cfg
        self.mode_label = mode_label
        self.store = store  # where pending cards are read from (their levels on the chart)

    def pending_levels(self, symbol: str) -> dict[str, float | None] | None:
        """The entry, stop and target of the newest pending entry card for `symbol` (the
        limit price is the entry of a limit order), or None when there is none."""
        if self.store is None:
            return None
        for p in self.store.proposals.list(["pending"], limit=None):
            if p.symbol == symbol and p.kind == "entry":
                entry = p.limit_price if p.limit_price is not None else p.entry_price
                return {"entry": entry, "stop": p.stop_price, "target": p.target_price}
        return None

    async def _today(self, symbol: str) -> Bars | None:
        """Today's intraday bars so far, or None when the venue has none to give."""
        try:
            return await self.data.intraday_bars(symbol)
        except DataUnavailable:
            return None

    def signals(self, d: SymbolData) -> dict[str, SignalState]:
        return signal_states(d, self.cfg.strategies, self.cfg.params)

    async def chart(self, symbol: str, states: dict[str, SignalState] | None = None) -> bytes:
        """A candlestick PNG with SMAs, Bollinger bands, volume, and the signals marked:
        those of the strategies firing now, else of the SMA crossover; today's candle so far
        after the completed ones, and a pending card's entry, stop and target as lines."""
        sym = self.data.normalise(symbol)
        bars, today = await asyncio.gather(self.data.daily_bars(sym), self._today(sym))
        levels = await asyncio.to_thread(self.pending_levels, sym)
        if states is None:
            d = await self.data.symbol_data(sym)
            states = self.signals(d)
        firing = [s for s in states.values() if s.fires(self.cfg.fresh_bars)]
        marked = firing or [s for s in states.values() if s.strategy == "sma_cross"]
        buys = sorted({i for s in marked for i in s.buys})
        sells = sorted({i for s in marked for i in s.sells})
        names = ", ".join(s.strategy for s in marked) or "no strategy"
        card = " · pending card's levels" if levels else ""
        title = f"{sym} daily · signals: {names}{card} · [{self.mode_label}]"
        p = TaParams()  # the bands /analyze and a card's facts show
        try:
            return await asyncio.to_thread(
                render_candles,
                bars,
                buys=buys,
                sells=sells,
                sma=(self.cfg.fast, self.cfg.slow),
                bollinger=(p.bb_length, p.bb_std),
                title=title,
                today=today,
                levels=levels,
            )
        except ChartError as e:
            raise BadInput(f"Cannot chart {sym}: {e}") from None

    async def backtest(
        self,
        symbol: str,
        strategy: str,
        params: Iterable[str] | dict[str, Any] | None = None,
        cash: float = 10_000.0,
        commission: float = 0.0,
        chart: bool = True,
    ) -> BacktestView:
        """Run a strategy on the symbol's whole daily history (whole units, next-open fills,
        all equity, exclusive orders, open trade closed at the end)."""
        sym = self.data.normalise(symbol)
        if not (0 < cash <= 1e12):
            raise BadInput("Cash must be a positive amount.")
        if not (0 <= commission < 0.1):
            raise BadInput("Commission is a rate per trade side, e.g. 0.002 for 0.2%.")
        bars: Bars = await self.data.daily_bars(sym, HISTORY)
        cfg = BacktestConfig.backtesting_py(cash=cash, commission=commission)
        try:
            result = await asyncio.to_thread(
                backtest, ohlcv_from_domain(bars), strategy, params, cfg
            )
        except BacktestError as e:
            raise BadInput(str(e)) from None
        png = None
        if chart:
            title = f"{sym} · {strategy} {dict(result.params)} · [{self.mode_label}]"
            png = await asyncio.to_thread(
                render_equity, result.equity, list(bars.ts)[-len(result.equity) :], title=title
            )
        return BacktestView(
            mode_label=self.mode_label,
            symbol=sym,
            strategy=strategy,
            params=dict(result.params),
            summary=result.summary(),
            trades=len(result.trades),
            chart_png=png,
        )

    async def analyze(
        self, symbol: str, scanner: ScannerAgent, strategy: StrategyAgent
    ) -> AnalysisView:
        """Indicators, score breakdown and the strategy's view of one symbol; proposes
        nothing. The indicators are the ones a card's facts show (one snapshot function)."""
        sym = self.data.normalise(symbol)
        d = await self.data.symbol_data(sym)
        scan = await scanner.rate(d)
        states = self.signals(d)
        firing = tuple(n for n, s in states.items() if s.fires(self.cfg.fresh_bars))
        idea = strategy.best(d, scan) or strategy.trend(d, scan)
        ind = indicator_snapshot(d, self.cfg)
        if idea is not None:
            verdict = (
                f"{idea.strategy} fires {idea.side.value.upper()}: entry {idea.entry:.2f}, "
                f"stop {idea.stop:.2f}, target {idea.target:.2f} ({idea.summary})"
            )
        else:
            verdict = "No strategy fires: no clear trend. /propose with a side to size one anyway."
        if not scan.passed:
            verdict += " Filtered out of scans: " + "; ".join(scan.reasons) + "."
        return AnalysisView(
            mode_label=self.mode_label,
            symbol=sym,
            scan=scan,
            indicators=ind,
            idea=idea,
            verdict=verdict,
            signals={n: (s.signal, s.since) for n, s in states.items()},
            firing=firing,
        )
