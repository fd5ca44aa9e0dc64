"""ScannerAgent: fetches data for a universe and ranks it with services.scanner."""

from __future__ import annotations

from collections.abc import Sequence

from agents.data import DataAgent
from models.config import ScannerConfig, StrategyConfig
from models.domain import ScanResult
from services.scanner import Reference, SymbolData, scan_symbol, scan_universe, split_ranked


class ScannerAgent:
    def __init__(self, data: DataAgent, cfg: ScannerConfig, strategy: StrategyConfig) -> None:
        self.data = data
        self.cfg = cfg
        self.strategy = strategy
        # what relative strength was measured against in the last scan (reused by `score`)
        self.reference: Reference | None = None

    async def scan(
        self, symbols: Sequence[str]
    ) -> tuple[list[ScanResult], list[ScanResult], dict[str, SymbolData]]:
        """(ranked, the rest each with its reason, data by symbol): one indicator pass over
        the whole universe."""
        unique = list(dict.fromkeys(symbols))
        datas, skipped = await self.data.many(unique)
        uni = scan_universe(datas, self.cfg, self.strategy)
        if uni.reference is not None:
            self.reference = uni.reference
        results = list(uni.results)
        results += [
            ScanResult(symbol=s, passed=False, reasons=(f"data unavailable: {why}",))
            for s, why in skipped.items()
        ]
        ranked, filtered = split_ranked(results, self.cfg)
        filtered.sort(key=lambda r: (r.passed, -r.score, r.symbol))
        return ranked, filtered, {d.symbol: d for d in datas}

    def score(self, d: SymbolData) -> ScanResult:
        """One symbol's filters and score, whatever its rank (relative strength against the
        last scan's reference, when there was one)."""
        return scan_symbol(d, self.cfg, self.strategy, self.reference)
