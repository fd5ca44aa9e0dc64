"""The run-time settings: each value checked by the model that owns it, the new config put
in place only when it passes, unknown and start-up-only keys refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from agents.errors import BadInput
from agents.tunables import Family, Tunables
from models.config import RiskLimits, ScannerConfig, StrategyConfig


class Box:
    """Where a test keeps the configs the tunables swap."""

    def __init__(self) -> None:
        self.risk: BaseModel = RiskLimits()
        self.scanner: BaseModel = ScannerConfig()
        self.strategy = StrategyConfig()

    def tunables(self) -> Tunables:
        return Tunables(
            {
                "risk": Family(lambda: self.risk, lambda m: setattr(self, "risk", m)),
                "scanner": Family(lambda: self.scanner, lambda m: setattr(self, "scanner", m)),
            },
            lambda: self.strategy,
            lambda m: setattr(self, "strategy", m),
        )


def test_a_valid_value_is_put_in_place_and_read_back() -> None:
    box = Box()
    t = box.tunables()
    assert t.set("risk.risk_per_trade_pct", 0.5) == 0.5
    assert box.risk.risk_per_trade_pct == 0.5  # type: ignore[attr-defined]
    assert t.value("risk.risk_per_trade_pct") == 0.5
    assert t.set("scanner.top_n", 7.0) == 7 and isinstance(box.scanner.top_n, int)  # type: ignore[attr-defined]
    assert t.set("breakout.rsi_max", 70) == 70
    assert box.strategy.params["breakout"] == {"n": 20, "rsi_max": 70.0, "rsi_n": 14}


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("scanner.min_score", 250.0, "refused"),
        ("risk.risk_per_trade_pct", -1.0, "refused"),
        ("breakout.rsi_max", 40.0, "rsi_max"),
        ("breakout.nope", 1.0, "no parameter"),
        ("risk.allow_short", 0.0, "not a number"),
        ("risk.max_order_quantity", 10.0, "start-up"),
        ("lottery.odds", 1.0, "Unknown setting"),
        ("risk", 1.0, "not a setting"),
    ],
)
def test_a_refused_value_changes_nothing(key: str, value: float, words: str) -> None:
    box = Box()
    before = (box.risk, box.scanner, box.strategy)
    with pytest.raises(BadInput, match=words):
        box.tunables().set(key, value)
    assert (box.risk, box.scanner, box.strategy) == before


def test_every_listed_name_reads() -> None:
    t = Box().tunables()
    names = t.names()
    assert "risk.risk_per_trade_pct" in names and "breakout.rsi_max" in names
    assert "risk.max_order_quantity" not in names and "risk.allow_short" not in names
    for n in names:
        assert isinstance(t.value(n), int | float)


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_min_score_is_set_only_within_its_bounds(v: float) -> None:
    box = Box()
    t = box.tunables()
    try:
        t.set("scanner.min_score", v)
    except BadInput:
        assert box.scanner.min_score == 50.0 and not 0 <= v <= 100  # type: ignore[attr-defined]
    else:
        assert 0 <= v <= 100 and box.scanner.min_score == v  # type: ignore[attr-defined]
