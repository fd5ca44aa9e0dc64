"""Typed errors of the backtester: each message names the problem for the user."""

from __future__ import annotations


class BacktestError(ValueError):
    """Base: bad input to a backtest (the message is for the user; nothing ran)."""


class DataError(BacktestError):
    """The bars are unusable: missing columns, NaNs, duplicated or unsorted dates, no rows."""


class UnknownStrategyError(BacktestError):
    """No strategy of that name in the registry."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown strategy {name!r}; known: {', '.join(sorted(known))}")
        self.name = name


class StrategyParamError(BacktestError):
    """A strategy parameter that does not exist, or a value of the wrong type or range."""


class ConfigError(BacktestError):
    """A backtest setting out of range (cash, commission, sizing, stops...)."""
