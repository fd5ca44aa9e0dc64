"""Typed errors of the risk engine: bad input, and a resume a careful desk refuses."""

from __future__ import annotations

import math


class RiskInputError(ValueError):
    """Numbers the engine cannot reason about (NaN, infinite, non-positive prices...)."""


class ResumeRefused(Exception):
    """A person asked to resume while a limit that stops trading still holds."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def finite(name: str, value: float, *, positive: bool = False, non_negative: bool = False) -> None:
    """Raise RiskInputError unless `value` is a finite number (and > 0 / >= 0 when asked)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RiskInputError(f"{name} must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise RiskInputError(f"{name} must be greater than 0, got {value:g}")
    if non_negative and value < 0:
        raise RiskInputError(f"{name} must not be negative, got {value:g}")
