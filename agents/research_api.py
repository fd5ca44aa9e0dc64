"""The orchestrator's research and watchlist methods (a mixin: the orchestrator is the one
API): analysis, its chart, backtests, and the watchlist scans look at."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from agents.errors import BadInput
from agents.results import AnalysisView, BacktestView
from models.domain import Actor

if TYPE_CHECKING:
    from agents.orchestrator import Orchestrator


class ResearchApi:
    """Mixed into Orchestrator (its data, research, scanner, strategy agents and store)."""

    # ------------------------------------------------------------------ research
    async def analyze(self: Orchestrator, symbol: str) -> AnalysisView:
        """Indicators, score breakdown and the strategies' view of one symbol (no proposal)."""
        view, rank = await asyncio.gather(
            self.research.analyze(symbol, self.scanner, self.strategy),
            self.options.rank_or_none(symbol),
        )
        await self.news_agent.poll([view.symbol])
        news = tuple(self.news_agent.headlines(view.symbol, hours=48, limit=5))
        return view.model_copy(update={"iv_rank": rank, "headlines": news})

    async def analysis_chart(self: Orchestrator, symbol: str) -> bytes:
        """The /analyze chart: candles, SMAs, bands, volume and the strategy signals (PNG)."""
        return await self.research.chart(symbol)

    async def backtest(
        self: Orchestrator,
        symbol: str,
        strategy: str,
        params: Sequence[str] | dict[str, object] | None = None,
        cash: float = 10_000.0,
        commission: float = 0.0,
    ) -> BacktestView:
        """A strategy over the symbol's daily history, with its metrics and equity chart."""
        return await self.research.backtest(symbol, strategy, params, cash, commission)

    # ------------------------------------------------------------------ watchlist
    def watch(self: Orchestrator, symbol: str, actor: Actor) -> bool:
        return self.store.state.watch(self.data.normalise(symbol), actor.id)

    def unwatch(self: Orchestrator, symbol: str, actor: Actor) -> bool:
        sym = (symbol or "").strip().upper().lstrip("$")
        if not self.store.state.unwatch(sym, actor.id):
            raise BadInput(f"{sym[:12] or '(empty)'} is not on the watchlist.")
        return True

    def watchlist(self: Orchestrator) -> list[str]:
        return self.store.state.watchlist()
