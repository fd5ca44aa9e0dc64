"""StrategyAgent: turns scanned symbols into trade ideas with services.strategies."""

from __future__ import annotations

from agents.errors import BadInput
from models.config import StrategyConfig
from models.domain import ScanResult, Side, TradeIdea
from services.scanner import SymbolData
from services.signals import STRATEGIES
from services.strategies import manual_idea, sma_trend_idea
from services.strategy_ideas import best_idea, idea_from_state, signal_states


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

    def by_name(
        self, d: SymbolData, name: str, side: Side | None, scan: ScanResult | None
    ) -> TradeIdea:
        """The named strategy's idea; BadInput when it is unknown, quiet, or on the other side."""
        key = name.strip().lower().replace("-", "_").replace(" ", "_")
        if key not in STRATEGIES:
            raise BadInput(f"Unknown strategy {name[:30]!r}; known: {', '.join(STRATEGIES)}.")
        state = signal_states(d, (key,), self.cfg.params)[key]
        idea = idea_from_state(d, state, self.cfg, scan, self.allow_short)
        if idea is None:
            raise BadInput(
                f"{key} has no fresh signal on {d.symbol} now (last {state.signal:+.0f}, "
                f"{state.since} bars ago); /analyze {d.symbol} shows every strategy."
            )
        if side is not None and idea.side is not side:
            raise BadInput(f"{key} signals {idea.side.value} on {d.symbol}, not {side.value}.")
        return idea

    def trend(self, d: SymbolData, scan: ScanResult | None) -> TradeIdea | None:
        """The trend idea, whichever side it points to (None without a clear trend)."""
        return sma_trend_idea(d, self.cfg, scan, self.allow_short)

    def for_side(self, d: SymbolData, side: Side, scan: ScanResult | None) -> TradeIdea | None:
        """The trend idea if it agrees with the requested side, else the trader's own."""
        idea = sma_trend_idea(d, self.cfg, scan, allow_short=True)
        if idea is not None and idea.side is side:
            return idea
        return manual_idea(d, side, self.cfg, scan)
