"""ScannerAgent: fetches data for a universe and ranks it with services.scanner."""

from __future__ import annotations

from collections.abc import Sequence

from agents.data import DataAgent
from models.config import ScannerConfig, StrategyConfig
from models.domain import ScanResult
from services.scanner import SymbolData, rank, scan_symbol


class ScannerAgent:
    def __init__(self, data: DataAgent, cfg: ScannerConfig, strategy: StrategyConfig) -> None:
        self.data = data
        self.cfg = cfg
        self.strategy = strategy

    async def scan(
        self, symbols: Sequence[str]
    ) -> tuple[list[ScanResult], list[ScanResult], dict[str, SymbolData]]:
        """(ranked, filtered out with reasons, data by symbol)."""
        datas, skipped = await self.data.many(symbols)
        results = [scan_symbol(d, self.cfg, self.strategy) for d in datas]
        results += [
            ScanResult(symbol=s, passed=False, reasons=(f"data unavailable: {why}",))
            for s, why in skipped.items()
        ]
        ranked = rank(results, self.cfg)
        ranked_syms = {r.symbol for r in ranked}
        filtered = [r for r in results if r.symbol not in ranked_syms]
        filtered.sort(key=lambda r: (r.passed, -r.score, r.symbol), reverse=False)
        return ranked, filtered, {d.symbol: d for d in datas}

    def score(self, d: SymbolData) -> ScanResult:
        """One symbol's filters and score, whatever its rank."""
        return scan_symbol(d, self.cfg, self.strategy)
