"""Trading strategies as pure, vectorized functions from bars to signals, and their registry.

A signal is the target position decided at a bar's close: +1 long, -1 short, 0 flat (values
in between scale the size), NaN while the strategy's indicators warm up. The backtester acts
when the signal changes and fills at the next bar's open. Every strategy here is event
based: it holds the side of its last entry event until an exit or opposite event.
Indicators come from services.indicators, the one library (its docstring has the
conventions), so a card, /analyze and the chart show the numbers a signal was made from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

import numpy as np

from services.backtest.errors import StrategyParamError, UnknownStrategyError
from services.backtest.frames import OHLCV
from services.indicators import Array, bbands, ema, rolling_max, rolling_min, rsi, shift, sma

ParamValue = int | float
Params = dict[str, ParamValue]


# ----------------------------------------------------------------------------- helpers


def _hold(events: Array) -> Array:
    """Forward-fill the non-NaN events; 0 before the first one."""
    idx = np.maximum.accumulate(np.where(np.isnan(events), -1, np.arange(len(events))))
    return np.where(idx >= 0, events[np.maximum(idx, 0)], 0.0)


def _warm(signal: Array, *indicators: Array) -> Array:
    """NaN wherever an indicator is not yet defined."""
    bad = np.zeros(len(signal), dtype=bool)
    for ind in indicators:
        bad |= np.isnan(ind)
    signal[bad] = np.nan
    return signal


def _cross_state(fast: Array, slow: Array) -> Array:
    """+1 from a cross of `fast` above `slow`, -1 from a cross below (strict, like
    backtesting.lib.crossover: below on the previous bar and above on this one)."""
    pf, ps = shift(fast), shift(slow)
    with np.errstate(invalid="ignore"):
        up = (pf < ps) & (fast > slow)
        down = (pf > ps) & (fast < slow)
    events = np.where(up, 1.0, np.where(down, -1.0, np.nan))
    return _warm(_hold(events), fast, slow)


# ----------------------------------------------------------------------------- strategies


def sma_cross(bars: OHLCV, fast: int = 10, slow: int = 20) -> Array:
    """Long when the `fast` SMA of the close crosses above the `slow` SMA, short when it
    crosses below; always in the market after the first cross (backtesting.py's SmaCross)."""
    return _cross_state(sma(bars.close, fast), sma(bars.close, slow))


def ema_cross(bars: OHLCV, fast: int = 12, slow: int = 26) -> Array:
    """Long when the `fast` EMA of the close crosses above the `slow` EMA, short when it
    crosses below; always in the market after the first cross."""
    return _cross_state(ema(bars.close, fast), ema(bars.close, slow))


def breakout(bars: OHLCV, n: int = 20, rsi_max: float = 100.0, rsi_n: int = 14) -> Array:
    """Momentum breakout: long when the close exceeds the highest high of the previous `n`
    bars, short (or exit, with shorts off) when it falls below their lowest low. A long
    breakout is not taken while RSI(`rsi_n`) on that bar is above `rsi_max`, a short one
    while it is under 100 - `rsi_max`: such a bar only closes a position on the other side
    (the default 100 never filters; a bar without an RSI yet is not filtered)."""
    hi = shift(rolling_max(bars.high, n, n))
    lo = shift(rolling_min(bars.low, n, n))
    c = bars.close
    with np.errstate(invalid="ignore"):
        up, down = c > hi, c < lo
    if rsi_max < 100.0:
        r = rsi(c, rsi_n)
        with np.errstate(invalid="ignore"):
            hot, cold = up & (r > rsi_max), down & (r < 100.0 - rsi_max)
    else:
        hot = cold = np.zeros(len(c), dtype=bool)
    events = np.where(up & ~hot, 1.0, np.where(down & ~cold, -1.0, np.nan))
    state = _hold(events)
    if hot.any() or cold.any():
        i = np.arange(len(c))
        last_entry = np.maximum.accumulate(np.where(np.isnan(events), -1, i))
        last_hot = np.maximum.accumulate(np.where(hot, i, -1))
        last_cold = np.maximum.accumulate(np.where(cold, i, -1))
        closed = ((state < 0) & (last_hot > last_entry)) | ((state > 0) & (last_cold > last_entry))
        state = np.where(closed, 0.0, state)
    return _warm(state, hi, lo)


def mean_reversion_lines(
    bars: OHLCV, n: int = 20, k: float = 2.0, rsi_n: int = 14
) -> dict[str, Array]:
    """The lines `mean_reversion` reads: Bollinger bands (`n`, `k`) and RSI(`rsi_n`)."""
    bands = bbands(bars.close, n, k)
    return {
        "bb_lower": bands.lower,
        "bb_mid": bands.mid,
        "bb_upper": bands.upper,
        "rsi": rsi(bars.close, rsi_n),
    }


def mean_reversion(
    bars: OHLCV,
    n: int = 20,
    k: float = 2.0,
    rsi_n: int = 14,
    oversold: float = 30.0,
    overbought: float = 70.0,
) -> Array:
    """Mean reversion: long when the close is below the lower Bollinger Band (`n`, `k`) and
    RSI(`rsi_n`) is under `oversold`; short when above the upper band with RSI over
    `overbought`; either exits when the close gets back to the middle band."""
    c = bars.close
    lines = mean_reversion_lines(bars, n, k, rsi_n)
    lower, mid, upper, r = (lines[x] for x in ("bb_lower", "bb_mid", "bb_upper", "rsi"))
    i = np.arange(len(c))
    with np.errstate(invalid="ignore"):
        entry = np.where(
            (c < lower) & (r < oversold), 1, np.where((c > upper) & (r > overbought), -1, 0)
        )
        exit_long, exit_short = c >= mid, c <= mid
    last_entry = np.maximum.accumulate(np.where(entry != 0, i, -1))
    side = np.where(last_entry >= 0, entry[np.maximum(last_entry, 0)], 0)
    last_exit = np.where(
        side > 0,
        np.maximum.accumulate(np.where(exit_long, i, -1)),
        np.maximum.accumulate(np.where(exit_short, i, -1)),
    )
    state = np.where(last_exit > last_entry, 0.0, side.astype(np.float64))
    return _warm(state, mid, r)


def volume_spike(bars: OHLCV, n: int = 20, k: float = 2.0, hold: int = 5) -> Array:
    """Volume spike: when volume exceeds `k` × its average over the previous `n` bars, go
    long on an up bar (close > open) or short on a down bar, and hold for `hold` bars (a new
    spike restarts the count; a doji spike is ignored)."""
    avg = shift(sma(bars.volume, n))
    i = np.arange(len(bars.close))
    with np.errstate(invalid="ignore"):
        spike = (avg > 0) & (bars.volume > k * avg)
    side = np.sign(bars.close - bars.open)
    fired = spike & (side != 0)
    last = np.maximum.accumulate(np.where(fired, i, -1))
    state = np.where((last >= 0) & (i - last < hold), side[np.maximum(last, 0)], 0.0)
    return _warm(state, avg)


# ----------------------------------------------------------------------------- registry


def _check_fast_slow(p: Mapping[str, ParamValue]) -> None:
    if p["fast"] >= p["slow"]:
        raise StrategyParamError(f"fast ({p['fast']}) must be less than slow ({p['slow']})")


def _check_rsi_levels(p: Mapping[str, ParamValue]) -> None:
    if not 0 < p["oversold"] < p["overbought"] < 100:
        raise StrategyParamError(
            f"need 0 < oversold ({p['oversold']}) < overbought ({p['overbought']}) < 100"
        )


def _check_rsi_max(p: Mapping[str, ParamValue]) -> None:
    if not 50 < p["rsi_max"] <= 100:
        raise StrategyParamError(
            f"rsi_max ({p['rsi_max']}) must be above 50 and at most 100 (100: no RSI filter)"
        )


class StrategySpec(NamedTuple):
    """A registry entry: the function, its default parameters and their types (and an
    optional cross-parameter check that raises StrategyParamError)."""

    fn: Callable[..., Array]
    defaults: Mapping[str, ParamValue]
    types: Mapping[str, type]
    check: Callable[[Mapping[str, ParamValue]], None] | None = None

    @property
    def doc(self) -> str:
        """The rule in one paragraph (the function's docstring)."""
        return " ".join((self.fn.__doc__ or "").split())


STRATEGIES: dict[str, StrategySpec] = {
    "sma_cross": StrategySpec(
        sma_cross, {"fast": 10, "slow": 20}, {"fast": int, "slow": int}, _check_fast_slow
    ),
    "ema_cross": StrategySpec(
        ema_cross, {"fast": 12, "slow": 26}, {"fast": int, "slow": int}, _check_fast_slow
    ),
    "breakout": StrategySpec(
        breakout,
        {"n": 20, "rsi_max": 100.0, "rsi_n": 14},
        {"n": int, "rsi_max": float, "rsi_n": int},
        _check_rsi_max,
    ),
    "mean_reversion": StrategySpec(
        mean_reversion,
        {"n": 20, "k": 2.0, "rsi_n": 14, "oversold": 30.0, "overbought": 70.0},
        {"n": int, "k": float, "rsi_n": int, "oversold": float, "overbought": float},
        _check_rsi_levels,
    ),
    "volume_spike": StrategySpec(
        volume_spike, {"n": 20, "k": 2.0, "hold": 5}, {"n": int, "k": float, "hold": int}
    ),
}


def get_strategy(name: str) -> StrategySpec:
    """The registry entry for `name`; raises UnknownStrategyError listing the known ones."""
    spec = STRATEGIES.get(name)
    if spec is None:
        raise UnknownStrategyError(name, list(STRATEGIES))
    return spec


def parse_param(text: str) -> tuple[str, str]:
    """Split a `KEY=VALUE` command-line parameter."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise StrategyParamError(f"parameter {text!r} is not KEY=VALUE")
    return key.strip(), value.strip()


def _coerce(strategy: str, key: str, kind: type, value: object) -> ParamValue:
    noun = "an integer" if kind is int else "a number"
    bad = StrategyParamError(f"{strategy} parameter {key} must be {noun}, got {value!r}")
    if isinstance(value, bool):
        raise bad
    try:
        number = float(value) if isinstance(value, str) else value
        if kind is int:
            if isinstance(number, float) and not number.is_integer():
                raise bad
            out: ParamValue = int(number)  # type: ignore[call-overload]
        else:
            out = float(number)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise bad from None
    if not np.isfinite(out) or out <= 0:
        raise StrategyParamError(f"{strategy} parameter {key} must be positive, got {value!r}")
    return out


def resolve_params(
    strategy: str, overrides: Mapping[str, object] | Iterable[str] | None = None
) -> Params:
    """The strategy's defaults updated with `overrides` (a mapping, or `KEY=VALUE` strings),
    each value coerced to its declared type and checked; raises StrategyParamError naming the
    parameter (or UnknownStrategyError)."""
    spec = get_strategy(strategy)
    if isinstance(overrides, str):
        overrides = [overrides]
    if overrides is None:
        items: Iterable[tuple[str, object]] = ()
    elif isinstance(overrides, Mapping):
        items = overrides.items()
    else:
        items = [parse_param(t) for t in overrides]
    params: Params = dict(spec.defaults)
    for key, value in items:
        if key not in spec.types:
            known = ", ".join(spec.types) or "none"
            raise StrategyParamError(
                f"strategy {strategy} has no parameter {key!r}; its parameters: {known}"
            )
        params[key] = _coerce(strategy, key, spec.types[key], value)
    if spec.check is not None:
        spec.check(params)
    return params


def compute_signals(strategy: str, bars: OHLCV, params: Mapping[str, Any] | None = None) -> Array:
    """The strategy's signal over `bars` with validated parameters."""
    spec = get_strategy(strategy)
    return spec.fn(bars, **resolve_params(strategy, params))
