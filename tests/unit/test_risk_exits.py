"""Exits (allowed in any desk state, never beyond the position), reducing, drift."""

from __future__ import annotations

import inspect
import math

import pytest

from models.domain import Side
from services.risk import (
    drift_pct,
    evaluate_exit,
    is_reducing,
)
from tests.unit.risk_helpers import pf

# ----------------------------------------------------------------------------- exits


HELD = pf(positions={"AAPL": (100, 150.0), "TSLA": (-50, 200.0)})


def test_exit_reducing_long_passes() -> None:
    d = evaluate_exit("AAPL", Side.SELL, 40, HELD)
    assert d.approved
    assert d.quantity == 40
    assert d.notional == pytest.approx(6_000.0)
    assert d.risk_amount == 0.0
    assert d.sizing == "position exit"
    assert [c.name for c in d.checks] == ["reduces_position"]
    assert d.checks[0].value == 40
    assert d.checks[0].limit == 100


def test_exit_closing_all_passes() -> None:
    assert evaluate_exit("AAPL", Side.SELL, 100, HELD).approved


def test_exit_covering_short_passes() -> None:
    d = evaluate_exit("TSLA", Side.BUY, 50, HELD)
    assert d.approved
    assert d.quantity == 50


def test_exit_over_closing_fails() -> None:
    d = evaluate_exit("AAPL", Side.SELL, 101, HELD)
    assert not d.approved
    assert d.quantity == 0
    assert "does not reduce the position held (100)" in d.reason()


def test_exit_on_the_wrong_side_fails() -> None:
    assert not evaluate_exit("AAPL", Side.BUY, 10, HELD).approved
    assert not evaluate_exit("TSLA", Side.SELL, 10, HELD).approved


def test_exit_of_nothing_held_fails() -> None:
    d = evaluate_exit("NVDA", Side.SELL, 1, HELD)
    assert not d.approved
    assert d.quantity == 0


def test_exits_are_allowed_while_halted() -> None:
    # evaluate_exit takes no desk state at all, so a halted desk cannot block an exit
    assert "desk" not in inspect.signature(evaluate_exit).parameters
    d = evaluate_exit("AAPL", Side.SELL, 100, HELD)
    assert d.approved
    assert all(c.name != "desk_state" for c in d.checks)


@pytest.mark.parametrize(
    ("side", "quantity", "held", "expected"),
    [
        (Side.SELL, 10, 100, True),
        (Side.SELL, 100, 100, True),
        (Side.SELL, 101, 100, False),
        (Side.BUY, 10, 100, False),
        (Side.BUY, 10, -100, True),
        (Side.BUY, 100, -100, True),
        (Side.BUY, 101, -100, False),
        (Side.SELL, 10, -100, False),
        (Side.SELL, 10, 0, False),
        (Side.BUY, 10, 0, False),
        (Side.SELL, 0, 100, False),
        (Side.SELL, -5, 100, False),
    ],
)
def test_is_reducing(side: Side, quantity: int, held: int, expected: bool) -> None:
    assert is_reducing(side, quantity, held) is expected


@pytest.mark.parametrize(
    ("proposed", "current", "expected"),
    [
        (100.0, 101.0, 1.0),
        (100.0, 99.0, 1.0),
        (100.0, 100.0, 0.0),
        (50.0, 55.0, 10.0),
        (0.0, 10.0, math.inf),
        (-1.0, 10.0, math.inf),
    ],
)
def test_drift_pct(proposed: float, current: float, expected: float) -> None:
    assert drift_pct(proposed, current) == pytest.approx(expected)
