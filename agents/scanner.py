"""ScannerAgent: fetches data for a universe and ranks it with services.scanner.

Relative strength is always measured against the benchmark (ScannerConfig.benchmark, SPY by
default), whose data is fetched once a scan from the same data agent, whether or not it is
in the scan list: a symbol scores the same alone or among others.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.data import DataAgent
from agents.errors import CotraderError
from models.config import ScannerConfig, StrategyConfig
from models.domain import ScanResult
from services.relative_strength import Reference, benchmark_reference
from services.scanner import SymbolData, scan_symbol, scan_universe, split_ranked


class ScannerAgent:
    def __init__(self, data: DataAgent, cfg: ScannerConfig, strategy: StrategyConfig) -> None:
        self.data = data
        self.cfg = cfg
        self.strategy = strategy
        # the benchmark's return as last fetched (what the synchronous `score` uses)
        self.reference: Reference | None = None

    async def benchmark(self) -> Reference | None:
        """The benchmark's return over `rs_window` from its own daily bars (the data agent
        caches them); None when there is no benchmark or its bars are unavailable."""
        name, self.reference = self.cfg.benchmark, None
        if name:
            try:
                bars = await self.data.daily_bars(name)
            except CotraderError:
                return None
            self.reference = benchmark_reference(name, bars.close, self.cfg.rs_window)
        return self.reference

    async def scan(
        self, symbols: Sequence[str]
    ) -> tuple[list[ScanResult], list[ScanResult], dict[str, SymbolData]]:
        """(ranked, the rest each with its reason, data by symbol): one indicator pass over
        the whole universe, relative strength against the benchmark. The benchmark's data
        rides in the scan's own batched request when it is not in the list (and is then no
        result of the scan)."""
        unique = list(dict.fromkeys(symbols))
        bench = self.cfg.benchmark
        extra = [bench] if bench and bench not in unique else []
        datas, skipped = await self.data.many([*unique, *extra])
        mine = next((d for d in datas if d.symbol == bench), None)
        if extra:
            datas = [d for d in datas if d.symbol != bench]
            skipped.pop(extra[0], None)
        w = self.cfg.rs_window
        self.reference = None if mine is None else benchmark_reference(mine.symbol, mine.close, w)
        uni = scan_universe(datas, self.cfg, self.strategy, self.reference)
        results = list(uni.results)
        results += [
            ScanResult(symbol=s, passed=False, reasons=(f"data unavailable: {why}",))
            for s, why in skipped.items()
        ]
        ranked, filtered = split_ranked(results, self.cfg)
        filtered.sort(key=lambda r: (r.passed, -r.score, r.symbol))
        return ranked, filtered, {d.symbol: d for d in datas}

    async def rate(self, d: SymbolData) -> ScanResult:
        """One symbol's filters and score, whatever its rank, against a fresh benchmark
        return: the same result a scan gives it, whatever else was scanned."""
        return scan_symbol(d, self.cfg, self.strategy, await self.benchmark())

    def score(self, d: SymbolData) -> ScanResult:
        """`rate` without the fetch: relative strength against the benchmark return last
        fetched (none before the first scan or `rate`). Prefer `await rate(d)`."""
        return scan_symbol(d, self.cfg, self.strategy, self.reference)
