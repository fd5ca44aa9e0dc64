"""Synthetic SymbolData for scanner and strategy tests: clean up, down and flat series."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from models.config import ScannerConfig, StrategyConfig
from models.domain import Quote, ScanResult
from services.scanner import SymbolData, score_components

TS = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
SCAN = ScannerConfig()
STRAT = StrategyConfig()
MAX_POINTS = {
    "trend": 25,
    "momentum": 20,
    "relative_strength": 15,
    "volatility": 15,
    "volume": 10,
    "liquidity": 15,
}


def quote(symbol: str, last: float, half_spread: float = 0.01) -> Quote:
    """A quote with bid/ask `half_spread` either side of the last price (to the cent)."""
    bid, ask = round(last - half_spread, 2), round(last + half_spread, 2)
    return Quote(symbol=symbol, bid=bid, ask=ask, last=last, ts=TS)


def series(
    close: np.ndarray,
    symbol: str = "TEST",
    volume: float | np.ndarray = 1_000_000.0,
    rng: float = 1.0,
    q: Quote | None = None,
) -> SymbolData:
    """Bars with high/low `rng` either side of the close (true range 2*rng on a smooth trend)."""
    close = np.asarray(close, dtype=float)
    vol = np.full(close.shape, float(volume)) if np.isscalar(volume) else np.asarray(volume)
    return SymbolData(
        symbol=symbol,
        open=close - rng / 4,
        high=close + rng,
        low=close - rng,
        close=close,
        volume=vol.astype(float),
        quote=q or quote(symbol, round(float(close[-1]), 2)),
    )


def uptrend(n: int = 120, **kw: object) -> SymbolData:
    return series(50 + 0.5 * np.arange(n), **kw)  # type: ignore[arg-type]


def downtrend(n: int = 120, **kw: object) -> SymbolData:
    return series(200 - 0.5 * np.arange(n), **kw)  # type: ignore[arg-type]


def flat(n: int = 120, price: float = 100.0, **kw: object) -> SymbolData:
    return series(np.full(n, price), **kw)  # type: ignore[arg-type]


def comps(d: SymbolData) -> dict[str, float]:
    return {c.name: c.points for c in score_components(d, STRAT)}


def result(symbol: str, score: float, passed: bool = True) -> ScanResult:
    """A ScanResult with just a symbol, a score and whether it passed."""
    return ScanResult(symbol=symbol, passed=passed, score=score)
