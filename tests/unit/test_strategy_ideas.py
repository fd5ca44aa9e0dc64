"""Fresh strategy signals become trade ideas with ATR stops; stale ones do not."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from models.config import StrategyConfig
from models.domain import Quote, Side
from services.scanner import SymbolData
from services.strategy_ideas import as_ohlcv, best_idea, idea_from_state, signal_state


def data(close: np.ndarray, volume: np.ndarray | None = None) -> SymbolData:
    c = close.astype(float)
    q = Quote(symbol="TEST", bid=c[-1] - 0.01, ask=c[-1] + 0.01, last=c[-1], ts=datetime.now(UTC))
    v = volume if volume is not None else np.full(len(c), 1e6)
    o = np.concatenate([[c[0]], c[:-1]])  # each bar opens at the previous close
    return SymbolData("TEST", o, np.maximum(o, c) + 1, np.minimum(o, c) - 1, c, v.astype(float), q)


def falling_then_rising(n_up: int) -> np.ndarray:
    down = np.linspace(120, 80, 80)
    up = np.linspace(80, 80 + 2 * n_up, n_up + 1)[1:]
    return np.concatenate([down, up])


def test_a_fresh_crossover_fires_and_becomes_a_buy_with_atr_stop_and_target() -> None:
    st = StrategyConfig(strategies=("sma_cross",), fresh_bars=20)
    d = data(falling_then_rising(12))
    state = signal_state(as_ohlcv(d), "sma_cross")
    assert state.signal == 1.0 and state.since is not None and state.since <= 12
    assert state.buys and state.buys[-1] == len(d.close) - 1 - state.since
    idea = idea_from_state(d, state, st)
    assert idea is not None and idea.side is Side.BUY and idea.strategy == "sma_cross"
    assert idea.entry == round(d.quote.ask, 2)
    atr = idea.facts["atr14"]
    assert abs((idea.entry - idea.stop) - 2 * atr) < 0.02
    assert abs((idea.target - idea.entry) - 3 * atr) < 0.02
    assert 0 < idea.confidence <= 0.95


def test_an_old_signal_does_not_fire() -> None:
    d = data(falling_then_rising(60))
    st = StrategyConfig(strategies=("sma_cross",), fresh_bars=3)
    assert best_idea(d, st) is None


def test_shorts_are_not_proposed_when_shorting_is_off() -> None:
    c = np.concatenate([np.linspace(80, 120, 80), np.linspace(120, 100, 12)[1:]])
    d = data(c)
    st = StrategyConfig(strategies=("sma_cross",), fresh_bars=10)
    state = signal_state(as_ohlcv(d), "sma_cross")
    assert state.signal == -1.0
    assert idea_from_state(d, state, st, allow_short=True).side is Side.SELL  # type: ignore[union-attr]
    assert idea_from_state(d, state, st, allow_short=False) is None


def test_the_most_confident_firing_strategy_wins() -> None:
    rng = np.random.default_rng(3)
    c = np.concatenate([100 + rng.normal(0, 0.5, 80), [106.0]])  # a breakout bar
    v = np.concatenate([np.full(80, 1e6), [5e6]])  # on five times the volume
    d = data(c, v)
    st = StrategyConfig(fresh_bars=2)
    states = {n: signal_state(as_ohlcv(d), n) for n in st.strategies}
    firing = [n for n, s in states.items() if s.fires(st.fresh_bars)]
    assert {"breakout", "volume_spike"} <= set(firing)
    ideas = [idea_from_state(d, states[n], st) for n in firing]
    idea = best_idea(d, st)
    assert idea is not None and idea.side is Side.BUY
    assert idea.confidence == max(i.confidence for i in ideas if i is not None)
