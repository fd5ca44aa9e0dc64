"""ScannerAgent: fetches data for a universe and ranks it with services.scanner.

Relative strength is always measured against the benchmark (ScannerConfig.benchmark, SPY by
default), whose data is fetched once a scan from the same data agent, whether or not it is
in the scan list: a symbol scores the same alone or among others.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Awaitable, Callable, Sequence

from agents.data import DataAgent
from agents.errors import BadInput, CotraderError
from models.config import ScannerConfig, StrategyConfig
from models.domain import ScanResult
from services.relative_strength import Reference, benchmark_reference
from services.scanner import SymbolData, scan_symbol, scan_universe, split_ranked

_IV_FILTER = re.compile(r"^iv_?rank\s*(>=|>|=)\s*(\S+)$", re.IGNORECASE)


def scan_filters(args: Sequence[str] | None) -> tuple[list[str], float | None]:
    """The symbols of a /scan and its IV-rank filter (`ivrank>25`, `ivrank>=25` or
    `ivrank=25`: a minimum IV rank, 0-100). BadInput for a filter that is not one."""
    symbols: list[str] = []
    min_rank: float | None = None
    for arg in args or ():
        m = _IV_FILTER.match(arg.strip())
        if m is None:
            if arg.lower().startswith(("ivrank", "iv_rank")):
                raise BadInput(f"IV rank filter {arg[:20]!r}: write it like ivrank>25.")
            symbols.append(arg)
            continue
        try:
            value = float(m.group(2).rstrip("%"))
        except ValueError:
            raise BadInput(f"IV rank filter {arg[:20]!r}: write it like ivrank>25.") from None
        if not 0 <= value <= 100:
            raise BadInput(f"IV rank runs from 0 to 100, not {value:g}.")
        min_rank = value
    return symbols, min_rank


class ScannerAgent:
    def __init__(self, data: DataAgent, cfg: ScannerConfig, strategy: StrategyConfig) -> None:
        self.data = data
        self.cfg = cfg
        self.strategy = strategy
        # the benchmark's return as last fetched (what the synchronous `score` uses)
        self.reference: Reference | None = None
        # IV rank (0-100) of a symbol, None when it has none: set by the orchestrator
        self.iv_rank_of: Callable[[str], Awaitable[float | None]] | None = None

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

    async def with_iv_ranks(self, datas: list[SymbolData], cfg: ScannerConfig) -> list[SymbolData]:
        """`datas` with their IV rank attached when `cfg` filters on it (fetched at once)."""
        if cfg.min_iv_rank is None or self.iv_rank_of is None or not datas:
            return datas
        ranks = await asyncio.gather(*(self.iv_rank_of(d.symbol) for d in datas))
        return [dataclasses.replace(d, iv_rank=r) for d, r in zip(datas, ranks, strict=True)]

    async def scan(
        self, symbols: Sequence[str], min_iv_rank: float | None = None
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
        cfg = self.cfg
        if min_iv_rank is not None:
            cfg = cfg.model_copy(update={"min_iv_rank": min_iv_rank})
        datas = await self.with_iv_ranks(datas, cfg)
        w = cfg.rs_window
        self.reference = None if mine is None else benchmark_reference(mine.symbol, mine.close, w)
        uni = scan_universe(datas, cfg, self.strategy, self.reference)
        results = list(uni.results)
        results += [
            ScanResult(symbol=s, passed=False, reasons=(f"data unavailable: {why}",))
            for s, why in skipped.items()
        ]
        ranked, filtered = split_ranked(results, cfg)
        filtered.sort(key=lambda r: (r.passed, -r.score, r.symbol))
        return ranked, filtered, {d.symbol: d for d in datas}

    async def rate(self, d: SymbolData) -> ScanResult:
        """One symbol's filters and score, whatever its rank, against a fresh benchmark
        return: the same result a scan gives it, whatever else was scanned."""
        [d] = await self.with_iv_ranks([d], self.cfg)
        return scan_symbol(d, self.cfg, self.strategy, await self.benchmark())

    def score(self, d: SymbolData) -> ScanResult:
        """`rate` without the fetch: relative strength against the benchmark return last
        fetched (none before the first scan or `rate`). Prefer `await rate(d)`."""
        return scan_symbol(d, self.cfg, self.strategy, self.reference)
