"""Vectorized backtester: validated bars, a signal series in, trades + equity + metrics out.

`services.backtest.runner` ties it to the strategies of `services.signals` (one symbol, a
universe, parameter sweeps); the modules here do not import the strategies.
"""

from services.backtest.engine import run_backtest
from services.backtest.errors import (
    BacktestError,
    ConfigError,
    DataError,
    StrategyParamError,
    UnknownStrategyError,
)
from services.backtest.frames import (
    OHLCV,
    ohlcv_from_arrays,
    ohlcv_from_domain,
    ohlcv_from_frame,
)
from services.backtest.metrics import compute_metrics, drawdown
from services.backtest.result import BacktestConfig, BacktestResult, Trade

__all__ = [
    "OHLCV",
    "BacktestConfig",
    "BacktestError",
    "BacktestResult",
    "ConfigError",
    "DataError",
    "StrategyParamError",
    "Trade",
    "UnknownStrategyError",
    "compute_metrics",
    "drawdown",
    "ohlcv_from_arrays",
    "ohlcv_from_domain",
    "ohlcv_from_frame",
    "run_backtest",
]
