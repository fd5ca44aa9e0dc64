"""Trade ideas from the vectorised strategies of services.signals (pure).

A strategy fires for a symbol when its signal on the last completed bar is non-zero and
turned to that value within `fresh_bars` bars: a fresh crossover, breakout, band touch or
volume spike, not a trend that has been running for months. The idea enters at the quote,
puts the stop `stop_atr` ATRs away and the target `target_atr` ATRs away; its facts carry
the last bar's RSI, ATR and bands as /analyze shows them (services.strategies).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.config import StrategyConfig
from models.domain import ScanResult, Side, TradeIdea
from services.backtest.frames import OHLCV, ohlcv_from_arrays
from services.scanner import SymbolData
from services.signals import STRATEGIES, get_strategy, resolve_params
from services.strategies import atr_levels, indicator_facts


@dataclass(frozen=True, slots=True)
class SignalState:
    """Where one strategy stands on a symbol."""

    strategy: str
    signal: float  # the last bar's signal in [-1, 1] (0: flat or warming up)
    since: int | None  # bars since it turned to that value (None: never changed)
    buys: tuple[int, ...]  # bar indexes where it turned long (for a chart)
    sells: tuple[int, ...]  # bar indexes where it turned short or flat from long

    def fires(self, fresh_bars: int) -> bool:
        return self.signal != 0 and self.since is not None and self.since <= fresh_bars


def as_ohlcv(d: SymbolData) -> OHLCV:
    """The symbol's bars on a synthetic daily clock (signals only need the order)."""
    n = len(d.close)
    time = np.datetime64("2000-01-03") + np.arange(n).astype("timedelta64[D]")
    return ohlcv_from_arrays(
        time.astype("datetime64[ns]"), d.open, d.high, d.low, d.close, d.volume, symbol=d.symbol
    )


def signal_state(
    bars: OHLCV, strategy: str, params: Mapping[str, Any] | None = None
) -> SignalState:
    """Evaluate one strategy over `bars`."""
    spec = get_strategy(strategy)
    s = np.nan_to_num(spec.fn(bars, **resolve_params(strategy, params)), nan=0.0)
    s = np.clip(s, -1.0, 1.0)
    prev = np.concatenate(([0.0], s[:-1]))
    buys = np.flatnonzero((s > 0) & (prev <= 0))
    sells = np.flatnonzero((s < 0) & (prev >= 0) | ((s == 0) & (prev > 0)))
    changes = np.flatnonzero(s != prev)
    since = int(len(s) - 1 - changes[-1]) if changes.size else None
    return SignalState(
        strategy, float(s[-1]), since, tuple(int(i) for i in buys), tuple(int(i) for i in sells)
    )


def signal_states(
    d: SymbolData, strategies: Iterable[str], params: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, SignalState]:
    bars = as_ohlcv(d)
    p = params or {}
    return {name: signal_state(bars, name, p.get(name)) for name in strategies}


def idea_from_state(
    d: SymbolData,
    state: SignalState,
    st: StrategyConfig,
    scan: ScanResult | None = None,
    allow_short: bool = True,
) -> TradeIdea | None:
    """The trade idea a firing strategy makes (None when it does not fire or is unusable)."""
    if not state.fires(st.fresh_bars):
        return None
    side = Side.BUY if state.signal > 0 else Side.SELL
    if side is Side.SELL and not allow_short:
        return None
    levels = atr_levels(d, side, st)
    if levels is None:
        return None
    entry, stop, target, a = levels
    score = scan.score if scan else 50.0
    fresh = 1.0 - (state.since or 0) / (st.fresh_bars + 1)
    confidence = round(min(0.95, 0.3 + score / 250 + 0.15 * abs(state.signal) + 0.1 * fresh), 2)
    doc = STRATEGIES[state.strategy].doc.split(". ")[0].rstrip(".")
    return TradeIdea(
        symbol=d.symbol,
        side=side,
        entry=round(entry, 2),
        stop=stop,
        target=target,
        strategy=state.strategy,
        confidence=confidence,
        score=score,
        facts={
            "last": round(d.quote.last, 2),
            "bid": d.quote.bid,
            "ask": d.quote.ask,
            **indicator_facts(d, st, a),
            "signal": round(state.signal, 2),
            "bars_since_signal": float(state.since or 0),
            "score": score,
        },
        summary=f"{state.strategy} turned {side.value} {state.since} bars ago ({doc})",
    )


def best_idea(
    d: SymbolData,
    st: StrategyConfig,
    scan: ScanResult | None = None,
    allow_short: bool = True,
) -> TradeIdea | None:
    """The most confident idea among the configured strategies that fire on `d`."""
    states = signal_states(d, st.strategies, st.params)
    ideas = [idea_from_state(d, s, st, scan, allow_short) for s in states.values()]
    ready = [i for i in ideas if i is not None]
    return max(ready, key=lambda i: i.confidence) if ready else None
