"""StrategyAgent: turns scanned symbols into trade ideas with services.strategies."""

from __future__ import annotations

from models.config import StrategyConfig
from models.domain import ScanResult, Side, TradeIdea
from services.scanner import SymbolData
from services.strategies import manual_idea, sma_trend_idea
from services.strategy_ideas import best_idea


class StrategyAgent:
    def __init__(self, cfg: StrategyConfig, allow_short: bool = True) -> None:
        self.cfg = cfg
        self.allow_short = allow_short

    def ideas(self, ranked: list[ScanResult], data: dict[str, SymbolData]) -> list[TradeIdea]:
        """Per ranked symbol: the most confident fresh strategy signal, else the SMA trend."""
        out: list[TradeIdea] = []
        for r in ranked:
            d = data[r.symbol]
            idea = best_idea(d, self.cfg, r, self.allow_short) or sma_trend_idea(
                d, self.cfg, r, self.allow_short
            )
            if idea is not None:
                out.append(idea)
        return out

    def best(self, d: SymbolData, scan: ScanResult | None) -> TradeIdea | None:
        """The most confident strategy signal firing now (None when none does)."""
        return best_idea(d, self.cfg, scan, self.allow_short)

    def trend(self, d: SymbolData, scan: ScanResult | None) -> TradeIdea | None:
        """The trend idea, whichever side it points to (None without a clear trend)."""
        return sma_trend_idea(d, self.cfg, scan, self.allow_short)

    def for_side(self, d: SymbolData, side: Side, scan: ScanResult | None) -> TradeIdea | None:
        """The trend idea if it agrees with the requested side, else the trader's own."""
        idea = sma_trend_idea(d, self.cfg, scan, allow_short=True)
        if idea is not None and idea.side is side:
            return idea
        return manual_idea(d, side, self.cfg, scan)
